/**
 * The history chart: the drift index over time against its threshold 1, the forecast and cadence changes.
 */
import { formatInterval, formatNumber, formatUtcClockMs, formatUtcShortDay } from '../format.js';
import { escapeHtml } from './escape.js';
import { emptyChart, frameOf, linearScale, niceTicks, openSvg, r, xAxis, yAxis, type Frame } from './svg-kit.js';
import type { CadenceChange, Forecast, HistoryPoint } from './types.js';

/** What the history chart needs. */
export interface HistoryChartInput {
  readonly id: string;
  readonly title: string;
  readonly history: readonly HistoryPoint[];
  readonly forecast: Forecast | null;
  readonly cadence: readonly CadenceChange[];
  readonly width?: number;
  readonly height?: number;
}

const DAY_MS = 86_400_000;

/** The forecast segment to draw: from the last check to the crossing, or a short projection of the slope. */
export function forecastSegment(
  history: readonly HistoryPoint[],
  forecast: Forecast | null,
): { readonly from: readonly [number, number]; readonly to: readonly [number, number] } | null {
  if (forecast === null || history.length === 0) return null;
  const points = history
    .map((h) => [Date.parse(h.at), h.driftIndex] as const)
    .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  if (points.length === 0) return null;
  const last = points[points.length - 1];
  const crossing = forecast.crossingAt === null ? Number.NaN : Date.parse(forecast.crossingAt);
  if (Number.isFinite(crossing) && crossing > last[0]) return { from: last, to: [crossing, 1] };
  if (!Number.isFinite(forecast.slopePerDay)) return null;
  // No crossing: project the trend over a quarter of the history span (at least one day).
  const span = Math.max(points[points.length - 1][0] - points[0][0], DAY_MS * 4);
  const ahead = span / 4;
  return { from: last, to: [last[0] + ahead, Math.max(0, last[1] + (forecast.slopePerDay * ahead) / DAY_MS)] };
}

/** Draw the drift index over time with the threshold at 1, the forecast as a dashed extension and cadence changes as markers. */
export function historyChart(input: HistoryChartInput): string {
  const width = input.width ?? 720;
  const height = input.height ?? 280;
  const points = input.history
    .map((h) => ({ t: Date.parse(h.at), v: h.driftIndex, h }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v))
    .sort((a, b) => a.t - b.t);
  if (points.length === 0) {
    return emptyChart(input.id, input.title, 'No earlier checks yet.', width);
  }
  const seg = forecastSegment(input.history, input.forecast);
  const cadence = input.cadence.map((c) => ({ t: Date.parse(c.at), c })).filter((c) => Number.isFinite(c.t));
  const times = [...points.map((p) => p.t), ...(seg === null ? [] : [seg.to[0]]), ...cadence.map((c) => c.t)];
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 - t0 < DAY_MS) {
    // A single check (or a few within hours): give the axis a day of room.
    t0 -= DAY_MS / 2;
    t1 += DAY_MS / 2;
  }
  const vMax = Math.max(1.25, ...points.map((p) => p.v * 1.1), seg === null ? 0 : seg.to[1] * 1.1);
  const yTicks = niceTicks(0, vMax, 5);
  const yTop = Math.max(vMax, yTicks[yTicks.length - 1] ?? vMax);
  const frame = frameOf(width, height, 48, 24, 40, 40);
  const x = linearScale([t0, t1], [frame.left, width - frame.right]);
  const y = linearScale([0, yTop], [height - frame.bottom, frame.top]);
  const drifted = points.filter((p) => p.h.verdict === 'drift').length;
  const desc =
    `Drift index of ${points.length} checks (${drifted} with drift) from ${formatUtcShortDay(points[0].t)} to ${formatUtcShortDay(points[points.length - 1].t)}; ` +
    `threshold at 1` +
    (seg === null ? '' : `; forecast reaches ${formatNumber(seg.to[1], 3)} on ${formatUtcShortDay(seg.to[0])}`) +
    `; ${cadence.length} cadence change(s).`;

  let out = openSvg(input.id, input.title, desc, frame);
  out += yAxis(frame, y, yTicks, (v) => formatNumber(v, 3));
  const span = t1 - t0;
  const xTickTimes = Array.from({ length: 5 }, (_, i) => t0 + (span * i) / 4);
  const timeLabel = (t: number): string => {
    if (span >= 3 * DAY_MS) return formatUtcShortDay(t);
    return `${formatUtcShortDay(t)} ${formatUtcClockMs(t)}`;
  };
  out += xAxis(frame, x, xTickTimes, timeLabel);
  // Threshold: a dashed horizontal rule with a text label (not only a colour).
  out +=
    `<line class="threshold" x1="${frame.left}" y1="${r(y(1))}" x2="${width - frame.right}" y2="${r(y(1))}" stroke="#222" stroke-width="1.5" stroke-dasharray="8 4"/>` +
    `<text x="${width - frame.right - 4}" y="${r(y(1) - 5)}" text-anchor="end" class="legend">threshold = 1</text>`;
  for (const c of cadence) {
    const px = x(c.t);
    out +=
      `<g class="cadence"><title>${escapeHtml(`${formatUtcShortDay(c.t)}: check every ${formatInterval(c.c.checkIntervalSeconds)} (was ${formatInterval(c.c.previousIntervalSeconds)}): ${c.c.reason}`)}</title>` +
      `<line x1="${r(px)}" y1="${frame.top}" x2="${r(px)}" y2="${height - frame.bottom}" stroke="#777" stroke-width="1" stroke-dasharray="2 3"/>` +
      `<text x="${r(px + 3)}" y="${frame.top + 10}" class="cadence-label">${escapeHtml(`→${formatInterval(c.c.checkIntervalSeconds)}`)}</text></g>`;
  }
  if (seg !== null) {
    out +=
      `<path class="mark forecast" d="M${r(x(seg.from[0]))},${r(y(seg.from[1]))}L${r(x(seg.to[0]))},${r(y(seg.to[1]))}" fill="none" stroke="#b3411f" stroke-width="2" stroke-dasharray="6 4"><title>forecast</title></path>`;
  }
  const line = points.map((p) => `${r(x(p.t))},${r(y(p.v))}`).join(' ');
  if (points.length > 1) {
    out += `<polyline class="mark series history" points="${line}" fill="none" stroke="#1f3b63" stroke-width="2"/>`;
  }
  for (const p of points) {
    const px = x(p.t);
    const py = y(p.v);
    const tip = `<title>${escapeHtml(`${p.h.at}: ${p.h.verdict}, drift index ${formatNumber(p.v, 3)}`)}</title>`;
    out +=
      p.h.verdict === 'drift'
        ? `<rect class="mark point drift" x="${r(px - 4.5)}" y="${r(py - 4.5)}" width="9" height="9" fill="#b3411f" stroke="#fff">${tip}</rect>`
        : p.h.verdict === 'insufficient-data'
          ? `<rect class="mark point insufficient" x="${r(px - 4)}" y="${r(py - 4)}" width="8" height="8" fill="#fff" stroke="#1f3b63" stroke-width="1.5" transform="rotate(45 ${r(px)} ${r(py)})">${tip}</rect>`
          : `<circle class="mark point ok" cx="${r(px)}" cy="${r(py)}" r="4" fill="#1f3b63" stroke="#fff">${tip}</circle>`;
  }
  out += historyLegend(frame);
  return `${out}</svg>`;
}

function historyLegend(frame: Frame): string {
  const y = 18;
  let x = frame.left;
  let out = `<g class="legend-box">`;
  out += `<circle cx="${x + 5}" cy="${y - 4}" r="4" fill="#1f3b63"/><text x="${x + 14}" y="${y}" class="legend">no drift</text>`;
  x += 80;
  out += `<rect x="${x}" y="${y - 8.5}" width="9" height="9" fill="#b3411f"/><text x="${x + 14}" y="${y}" class="legend">drift</text>`;
  x += 60;
  out += `<rect x="${x + 1}" y="${y - 8}" width="7" height="7" fill="#fff" stroke="#1f3b63" stroke-width="1.5" transform="rotate(45 ${x + 4.5} ${y - 4.5})"/><text x="${x + 14}" y="${y}" class="legend">insufficient data</text>`;
  x += 130;
  out += `<line x1="${x}" y1="${y - 4}" x2="${x + 16}" y2="${y - 4}" stroke="#b3411f" stroke-width="2" stroke-dasharray="6 4"/><text x="${x + 20}" y="${y}" class="legend">forecast</text>`;
  x += 90;
  out += `<line x1="${x + 4}" y1="${y - 10}" x2="${x + 4}" y2="${y + 2}" stroke="#777" stroke-dasharray="2 3"/><text x="${x + 10}" y="${y}" class="legend">cadence change</text>`;
  return `${out}</g>`;
}
