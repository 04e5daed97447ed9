/**
 * The histogram of a numeric feature: reference bins hatched, the current batch as a step line on them.
 */
import { formatNumber, formatShare } from '../format.js';
import { escapeHtml } from './escape.js';
import { emptyChart, frameOf, hatchDefs, legend, linearScale, niceTicks, openSvg, r, xAxis, yAxis } from './svg-kit.js';

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
