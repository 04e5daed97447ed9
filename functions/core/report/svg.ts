/**
 * Inline-SVG charts for the drift report.
 *
 * Why our own small code instead of a charting library: the three charts we need (overlaid histogram,
 * side-by-side category bars, a time line with a threshold) fit in a few hundred lines; no dependency
 * to audit or bundle into the Lambda; the output is a deterministic string (same input, same bytes, so
 * reports can be diffed and snapshot-tested); and static SVG needs no script, so it renders under the
 * report's strict Content-Security-Policy (`default-src 'none'`) and offline.
 *
 * Data marks carry class="mark" (legend swatches do not), so tests can count what was drawn.
 *
 * Readability without colour: the reference is drawn as hatched bars, the current batch as a solid
 * dark step line or solid bars, drift points as squares (no-drift as circles), and every series is
 * named in a text legend.
 */
import { escapeHtml } from './escape.js';
import { formatInterval, formatNumber, formatShare, formatUtcShortDay } from './format.js';
import type { CadenceChange, Forecast, HistoryPoint } from './types.js';

/** A function from a data value to a pixel position. */
export interface Scale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

/** Build a linear scale; a degenerate domain (min === max or non-finite) maps every value to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const degenerate = !Number.isFinite(span) || span === 0;
  const scale = (value: number): number => (degenerate ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0));
  return Object.assign(scale, { domain: [d0, d1] as const, range: [r0, r1] as const });
}

/** Return about `count` round tick values (1, 2 or 5 times a power of ten) within [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  // The nearest of 1, 2, 5, 10 times the power (thresholds at the geometric means, as d3 does).
  const step = power * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1);
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let t = first; t <= hi + step * 1e-9; t += step) {
    // Round away binary noise so 0.30000000000000004 prints as 0.3.
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** Round a coordinate to 2 decimals so the SVG text is compact and stable. */
function r(x: number): string {
  return String(Math.round(x * 100) / 100);
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

function frameOf(width: number, height: number, left = 56, right = 16, top = 28, bottom = 40): Frame {
  return { width, height, left, right, top, bottom };
}

function openSvg(id: string, title: string, description: string, frame: Frame): string {
  const tid = `${id}-title`;
  const did = `${id}-desc`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="${escapeHtml(id)}" class="chart" viewBox="0 0 ${frame.width} ${frame.height}" ` +
    `width="${frame.width}" height="${frame.height}" role="img" aria-labelledby="${escapeHtml(tid)} ${escapeHtml(did)}">` +
    `<title id="${escapeHtml(tid)}">${escapeHtml(title)}</title><desc id="${escapeHtml(did)}">${escapeHtml(description)}</desc>`
  );
}

/** The hatch pattern that marks "reference" in every chart, so it reads without colour. */
function hatchDefs(id: string): string {
  return (
    `<defs><pattern id="${escapeHtml(id)}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">` +
    `<rect width="6" height="6" fill="#dbe4f0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#5b7aa6" stroke-width="2"/></pattern></defs>`
  );
}

function emptyChart(id: string, title: string, message: string, width = 640, height = 120): string {
  const frame = frameOf(width, height);
  return (
    `${openSvg(id, title, message, frame)}` +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="empty">${escapeHtml(message)}</text></svg>`
  );
}

function legend(id: string, x: number, y: number, items: readonly { readonly swatch: 'hatch' | 'line' | 'solid' | 'dashed'; readonly label: string }[]): string {
  let out = '';
  let cx = x;
  for (const item of items) {
    if (item.swatch === 'hatch') {
      out += `<rect x="${r(cx)}" y="${r(y - 9)}" width="14" height="10" fill="url(#${escapeHtml(id)}-hatch)" stroke="#5b7aa6"/>`;
    } else if (item.swatch === 'solid') {
      out += `<rect x="${r(cx)}" y="${r(y - 9)}" width="14" height="10" fill="#b3411f"/>`;
    } else {
      const dash = item.swatch === 'dashed' ? ' stroke-dasharray="5 3"' : '';
      out += `<line x1="${r(cx)}" y1="${r(y - 4)}" x2="${r(cx + 14)}" y2="${r(y - 4)}" stroke="#b3411f" stroke-width="2.5"${dash}/>`;
    }
    out += `<text x="${r(cx + 19)}" y="${r(y)}" class="legend">${escapeHtml(item.label)}</text>`;
    cx += 19 + item.label.length * 6.6 + 18;
  }
  return out;
}

function yAxis(frame: Frame, y: Scale, ticks: readonly number[], label: (v: number) => string): string {
  let out = `<g class="axis y">`;
  for (const t of ticks) {
    const py = y(t);
    out += `<line x1="${frame.left}" y1="${r(py)}" x2="${frame.width - frame.right}" y2="${r(py)}" class="grid"/>`;
    out += `<text x="${frame.left - 6}" y="${r(py + 4)}" text-anchor="end">${escapeHtml(label(t))}</text>`;
  }
  return `${out}</g>`;
}

function xAxis(frame: Frame, x: Scale, ticks: readonly number[], label: (v: number) => string): string {
  const base = frame.height - frame.bottom;
  let out = `<g class="axis x"><line x1="${frame.left}" y1="${base}" x2="${frame.width - frame.right}" y2="${base}" class="baseline"/>`;
  for (const t of ticks) {
    const px = x(t);
    out += `<line x1="${r(px)}" y1="${base}" x2="${r(px)}" y2="${base + 4}" class="tick"/>`;
    out += `<text x="${r(px)}" y="${base + 16}" text-anchor="middle">${escapeHtml(label(t))}</text>`;
  }
  return `${out}</g>`;
}

/** One bin ready to draw: its x extent and the two shares. */
export interface PlotBin {
  readonly left: number;
  readonly right: number;
  readonly reference: number;
  readonly current: number;
  /** `below`/`above` for the open tails of a histogram whose counts include values outside the edges. */
  readonly tail?: 'below' | 'above';
}

/**
 * Turn edges and counts into drawable bins with shares; accepts `counts.length === edges.length - 1`
 * (closed bins) or `edges.length + 1` (with open tails below the first and above the last edge).
 * Returns null when the lengths do not match either form.
 */
export function toPlotBins(edges: readonly number[], reference: readonly number[], current: readonly number[]): PlotBin[] | null {
  const n = reference.length;
  if (current.length !== n || n === 0) return null;
  const finiteEdges = edges.filter((e) => Number.isFinite(e));
  if (finiteEdges.length !== edges.length || edges.length === 0) return null;
  const withTails = n === edges.length + 1;
  if (!withTails && n !== edges.length - 1) return null;
  const widths = edges.slice(1).map((e, i) => e - edges[i]).filter((w) => w > 0).sort((a, b) => a - b);
  // Open tails and zero-width bins (a constant column) get a typical width so they stay visible.
  const typical = widths.length > 0 ? widths[Math.floor(widths.length / 2)] : Math.max(Math.abs(edges[0]) * 0.1, 1);
  const refTotal = reference.reduce((a, b) => a + b, 0);
  const curTotal = current.reduce((a, b) => a + b, 0);
  const share = (c: number, total: number): number => (total > 0 ? c / total : 0);
  const bins: PlotBin[] = [];
  for (let i = 0; i < n; i++) {
    let left: number;
    let right: number;
    let tail: 'below' | 'above' | undefined;
    if (withTails) {
      if (i === 0) {
        [left, right, tail] = [edges[0] - typical, edges[0], 'below'];
      } else if (i === n - 1) {
        [left, right, tail] = [edges[edges.length - 1], edges[edges.length - 1] + typical, 'above'];
      } else {
        [left, right] = [edges[i - 1], edges[i]];
      }
    } else {
      [left, right] = [edges[i], edges[i + 1]];
    }
    if (right <= left) {
      left -= typical / 2;
      right = left + typical;
    }
    const bin: PlotBin = { left, right, reference: share(reference[i], refTotal), current: share(current[i], curTotal) };
    bins.push(tail === undefined ? bin : { ...bin, tail });
  }
  // Empty open tails only waste space.
  return bins.filter((b) => b.tail === undefined || b.reference > 0 || b.current > 0);
}

/** What the histogram chart needs. */
export interface HistogramChartInput {
  /** Element id prefix, unique in the page (not derived from data). */
  readonly id: string;
  /** Accessible title, e.g. "delay: reference vs current distribution". */
  readonly title: string;
  readonly edges: readonly number[];
  readonly reference: readonly number[];
  readonly current: readonly number[];
  readonly width?: number;
  readonly height?: number;
}

/**
 * Draw reference bins as hatched bars and the current batch as a step line on the same bins; bar height
 * is the share of rows scaled to a typical bin width, so unequal (quantile) bins are not misleading.
 */
export function histogramChart(input: HistogramChartInput): string {
  const width = input.width ?? 640;
  const height = input.height ?? 230;
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  if (sum(input.reference) === 0 && sum(input.current) === 0) {
    return emptyChart(input.id, input.title, 'No non-null values to plot.', width);
  }
  const bins = toPlotBins(input.edges, input.reference, input.current);
  if (bins === null) {
    return emptyChart(input.id, input.title, 'No plot: the bin counts do not match the bin edges.', width);
  }
  const curTotal = bins.reduce((a, b) => a + b.current, 0);
  const widths = bins.map((b) => b.right - b.left).sort((a, b) => a - b);
  const typical = widths[Math.floor(widths.length / 2)];
  const density = (share: number, b: PlotBin): number => share * (typical / (b.right - b.left));
  const yMax = Math.max(...bins.map((b) => Math.max(density(b.reference, b), density(b.current, b))));
  // 8% headroom so the tallest bar never touches the legend.
  const yTicks = niceTicks(0, yMax * 1.08, 4);
  const yTop = Math.max(yMax * 1.08, yTicks[yTicks.length - 1] ?? yMax);
  const frame = frameOf(width, height);
  const x = linearScale([bins[0].left, bins[bins.length - 1].right], [frame.left, width - frame.right]);
  const y = linearScale([0, yTop], [height - frame.bottom, frame.top]);
  const base = height - frame.bottom;
  const desc =
    `Reference (hatched bars) and current (solid line) share of rows in ${bins.length} bins from ` +
    `${formatNumber(bins[0].left)} to ${formatNumber(bins[bins.length - 1].right)}.`;

  let out = openSvg(input.id, input.title, desc, frame) + hatchDefs(input.id);
  out += yAxis(frame, y, yTicks, (v) => formatShare(v));
  out += `<g class="series reference">`;
  for (const b of bins) {
    const h = base - y(density(b.reference, b));
    if (h <= 0) continue;
    out +=
      `<rect class="mark" x="${r(x(b.left))}" y="${r(base - h)}" width="${r(Math.max(x(b.right) - x(b.left), 0.5))}" height="${r(h)}" ` +
      `fill="url(#${escapeHtml(input.id)}-hatch)" stroke="#5b7aa6" stroke-width="0.5"><title>${escapeHtml(binLabel(b))}: reference ${formatShare(b.reference)}</title></rect>`;
  }
  out += `</g>`;
  // The current batch as one step path over all bins, so gaps (zero bins) read as drops to the axis.
  let d = `M${r(x(bins[0].left))},${base}`;
  for (const b of bins) {
    const py = y(density(b.current, b));
    d += `V${r(py)}H${r(x(b.right))}`;
  }
  d += `V${base}`;
  if (curTotal > 0) {
    out += `<path class="mark series current" d="${d}" fill="none" stroke="#b3411f" stroke-width="2.5" stroke-linejoin="round"><title>current batch</title></path>`;
  }
  const edgeTicks = niceTicks(bins[0].left, bins[bins.length - 1].right, 6).filter(
    (t) => t >= bins[0].left && t <= bins[bins.length - 1].right,
  );
  out += xAxis(frame, x, edgeTicks, (v) => formatNumber(v, 3));
  for (const b of bins) {
    if (b.tail === undefined) continue;
    const label = b.tail === 'below' ? `< ${formatNumber(b.right, 3)}` : `> ${formatNumber(b.left, 3)}`;
    out += `<text x="${r((x(b.left) + x(b.right)) / 2)}" y="${base + 30}" text-anchor="middle" class="tail">${escapeHtml(label)}</text>`;
  }
  out += legend(input.id, frame.left, 16, [
    { swatch: 'hatch', label: 'reference (before)' },
    { swatch: 'line', label: 'current (after)' },
  ]);
  return `${out}</svg>`;
}

function binLabel(b: PlotBin): string {
  if (b.tail === 'below') return `below ${formatNumber(b.right)}`;
  if (b.tail === 'above') return `above ${formatNumber(b.left)}`;
  return `[${formatNumber(b.left)}, ${formatNumber(b.right)})`;
}

/** What the category chart needs. */
export interface CategoryChartInput {
  readonly id: string;
  readonly title: string;
  readonly categories: readonly { readonly value: string; readonly reference: number; readonly current: number; readonly unseen: boolean }[];
  readonly width?: number;
}

/** Truncate a label for a chart axis (the full value stays in the tooltip and the table). */
export function truncateLabel(value: string, max = 24): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

/** Draw each top category as two horizontal bars (reference hatched, current solid), new values marked "NEW". */
export function categoryChart(input: CategoryChartInput): string {
  const width = input.width ?? 640;
  if (input.categories.length === 0) {
    return emptyChart(input.id, input.title, 'No categories to plot.', width);
  }
  const rowHeight = 30;
  const labelWidth = 200;
  const frame = frameOf(width, 36 + input.categories.length * rowHeight + 24, labelWidth, 110, 30, 24);
  const maxShare = Math.max(...input.categories.map((c) => Math.max(c.reference, c.current)), 1e-12);
  const xTicks = niceTicks(0, maxShare, 4);
  const xTop = Math.max(maxShare, xTicks[xTicks.length - 1] ?? maxShare);
  const x = linearScale([0, xTop], [frame.left, width - frame.right]);
  const desc = `Share of rows per category, reference (hatched) above current (solid); ${input.categories.filter((c) => c.unseen).length} value(s) never seen in the reference are marked NEW.`;
  let out = openSvg(input.id, input.title, desc, frame) + hatchDefs(input.id);
  for (const t of xTicks) {
    out += `<line x1="${r(x(t))}" y1="${frame.top}" x2="${r(x(t))}" y2="${frame.height - frame.bottom}" class="grid"/>`;
    out += `<text x="${r(x(t))}" y="${frame.height - frame.bottom + 14}" text-anchor="middle" class="axis-label">${escapeHtml(formatShare(t))}</text>`;
  }
  input.categories.forEach((c, i) => {
    const top = frame.top + i * rowHeight;
    const label = c.unseen ? `NEW ${truncateLabel(c.value, 22)}` : truncateLabel(c.value, 26);
    out += `<g class="category${c.unseen ? ' unseen' : ''}"><title>${escapeHtml(c.value)}: ${formatShare(c.reference)} → ${formatShare(c.current)}${c.unseen ? ' (never seen in the reference)' : ''}</title>`;
    out += `<text x="${labelWidth - 8}" y="${r(top + 17)}" text-anchor="end" class="${c.unseen ? 'cat-label new' : 'cat-label'}">${escapeHtml(label)}</text>`;
    const refW = x(c.reference) - x(0);
    const curW = x(c.current) - x(0);
    if (refW > 0) {
      out += `<rect class="mark reference" x="${frame.left}" y="${r(top + 3)}" width="${r(Math.max(refW, 1))}" height="11" fill="url(#${escapeHtml(input.id)}-hatch)" stroke="#5b7aa6" stroke-width="0.5"/>`;
    }
    if (curW > 0) {
      out += `<rect class="mark current" x="${frame.left}" y="${r(top + 15)}" width="${r(Math.max(curW, 1))}" height="11" fill="#b3411f"/>`;
    }
    out += `<text x="${r(Math.max(x(c.reference), x(c.current)) + 6)}" y="${r(top + 19)}" class="value">${escapeHtml(`${formatShare(c.reference)} → ${formatShare(c.current)}`)}</text></g>`;
  });
  out += legend(input.id, frame.left, 18, [
    { swatch: 'hatch', label: 'reference (before)' },
    { swatch: 'solid', label: 'current (after)' },
  ]);
  return `${out}</svg>`;
}

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
    const iso = new Date(t).toISOString();
    return `${formatUtcShortDay(t)} ${iso.slice(11, 16)}`;
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
