/**
 * A feature's distribution in a table cell: reference (hatched bars) and current (solid line) on the same
 * axis, small enough to scan down a ranked table, as people read Evidently's summary table. Numeric
 * features use their bins; categorical ones their top categories in the result's order.
 */
import type { FeatureDrift } from '../drift/types.js';
import { escapeHtml } from './escape.js';
import { r } from './svg-kit.js';

/** Size of the cell chart in CSS pixels. */
export const MINI_CHART = { width: 96, height: 24 } as const;

/** Categories shown in a cell; the rest are in the feature's own chart. */
const MINI_CATEGORIES = 8;

/** Shares of one side, zero where a count is not a finite positive number (a hostile document). */
function shares(counts: readonly number[]): number[] {
  const clean = counts.map((c) => (Number.isFinite(c) && c > 0 ? c : 0));
  const total = clean.reduce((a, b) => a + b, 0);
  return clean.map((c) => (total > 0 ? c / total : 0));
}

/** The paired shares a cell plots: one pair per bin or category. */
function pairsOf(f: FeatureDrift): { reference: number[]; current: number[] } {
  if (f.kind === 'numeric') return { reference: shares(f.bins.reference), current: shares(f.bins.current) };
  const top = f.categories.slice(0, MINI_CATEGORIES);
  // Category shares are already shares of all rows: plotted as they are, so a NEW value's height is its share.
  const clean = (x: number): number => (Number.isFinite(x) && x > 0 ? Math.min(1, x) : 0);
  return { reference: top.map((c) => clean(c.reference)), current: top.map((c) => clean(c.current)) };
}

/**
 * The cell chart of one feature as inline SVG (no script, no external reference), with a text alternative
 * naming what it shows; `id` makes its element ids unique in the page.
 * @example miniChart(feature, 'mini-3')
 */
export function miniChart(f: FeatureDrift, id: string): string {
  const { width, height } = MINI_CHART;
  const { reference, current } = pairsOf(f);
  const n = reference.length;
  const label = `${f.name}: reference (bars) and current (line) ${f.kind === 'numeric' ? `over ${n} bins` : `over the top ${n} categories`}`;
  if (n === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" class="mini" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`${f.name}: no distribution to show`)}"></svg>`;
  }
  const top = Math.max(...reference, ...current, 1e-12);
  const step = width / n;
  const y = (share: number): number => height - 1 - (share / top) * (height - 3);
  const bars = reference
    .map((s, i) => (s > 0 ? `<rect x="${r(i * step + 0.5)}" y="${r(y(s))}" width="${r(Math.max(0.5, step - 1))}" height="${r(height - 1 - y(s))}"/>` : ''))
    .join('');
  const line = current.map((s, i) => `${i === 0 ? 'M' : 'L'}${r(i * step)},${r(y(s))}H${r((i + 1) * step)}`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="mini" id="${escapeHtml(id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">` +
    `<g class="mini-ref" fill="#c9d5e6">${bars}</g>` +
    `<path class="mini-cur" d="${line}" fill="none" stroke="#b3411f" stroke-width="1.5"/>` +
    `<line x1="0" y1="${height - 0.5}" x2="${width}" y2="${height - 0.5}" stroke="#8a94a3" stroke-width="1"/></svg>`
  );
}
