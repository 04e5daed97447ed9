/**
 * The pieces every chart of the report shares: scales, ticks, the frame, the accessible <svg> opening, the
 * hatch that marks "reference", the legend and the axes. Output is a deterministic string.
 */
import { escapeHtml } from './escape.js';

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
  // A step lost in the magnitude (1e16 + 1 === 1e16) or an underflowed one would never advance: no ticks then.
  if (!(step > 0) || !Number.isFinite(step) || lo + step === lo || hi + step === hi) return [lo, hi];
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  // Ticks by index, bounded: a sum of steps can stall or drift where a product cannot.
  for (let i = 0; i <= 4 * Math.max(1, count) + 2; i++) {
    const t = first + i * step;
    if (t > hi + step * 1e-9) break;
    // Round away binary noise so 0.30000000000000004 prints as 0.3.
    const tick = Number(t.toPrecision(12));
    if (ticks.length === 0 || tick !== ticks[ticks.length - 1]) ticks.push(tick);
  }
  return ticks;
}

/** Round a coordinate to 2 decimals so the SVG text is compact and stable. */
export function r(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** A chart's size and the margins around its plot area. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** A frame with the usual margins (room for y labels on the left, x labels below). */
export function frameOf(width: number, height: number, left = 56, right = 16, top = 28, bottom = 40): Frame {
  return { width, height, left, right, top, bottom };
}

/** The opening <svg> tag with its accessible title and description. */
export function openSvg(id: string, title: string, description: string, frame: Frame): string {
  const tid = `${id}-title`;
  const did = `${id}-desc`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="${escapeHtml(id)}" class="chart" viewBox="0 0 ${frame.width} ${frame.height}" ` +
    `width="${frame.width}" height="${frame.height}" role="img" aria-labelledby="${escapeHtml(tid)} ${escapeHtml(did)}">` +
    `<title id="${escapeHtml(tid)}">${escapeHtml(title)}</title><desc id="${escapeHtml(did)}">${escapeHtml(description)}</desc>`
  );
}

/** The hatch pattern that marks "reference" in every chart, so it reads without colour. */
export function hatchDefs(id: string): string {
  return (
    `<defs><pattern id="${escapeHtml(id)}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">` +
    `<rect width="6" height="6" fill="#dbe4f0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#5b7aa6" stroke-width="2"/></pattern></defs>`
  );
}

/** A chart that says why there is nothing to draw. */
export function emptyChart(id: string, title: string, message: string, width = 640, height = 120): string {
  const frame = frameOf(width, height);
  return (
    `${openSvg(id, title, message, frame)}` +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="empty">${escapeHtml(message)}</text></svg>`
  );
}

/** A text legend, each series named beside its swatch, laid out left to right from (x, y). */
export function legend(id: string, x: number, y: number, items: readonly { readonly swatch: 'hatch' | 'line' | 'solid' | 'dashed'; readonly label: string }[]): string {
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

/** Horizontal grid lines with their labels on the left. */
export function yAxis(frame: Frame, y: Scale, ticks: readonly number[], label: (v: number) => string): string {
  let out = `<g class="axis y">`;
  for (const t of ticks) {
    const py = y(t);
    out += `<line x1="${frame.left}" y1="${r(py)}" x2="${frame.width - frame.right}" y2="${r(py)}" class="grid"/>`;
    out += `<text x="${frame.left - 6}" y="${r(py + 4)}" text-anchor="end">${escapeHtml(label(t))}</text>`;
  }
  return `${out}</g>`;
}

/** The baseline with ticks and labels below it. */
export function xAxis(frame: Frame, x: Scale, ticks: readonly number[], label: (v: number) => string): string {
  const base = frame.height - frame.bottom;
  let out = `<g class="axis x"><line x1="${frame.left}" y1="${base}" x2="${frame.width - frame.right}" y2="${base}" class="baseline"/>`;
  for (const t of ticks) {
    const px = x(t);
    out += `<line x1="${r(px)}" y1="${base}" x2="${r(px)}" y2="${base + 4}" class="tick"/>`;
    out += `<text x="${r(px)}" y="${base + 16}" text-anchor="middle">${escapeHtml(label(t))}</text>`;
  }
  return `${out}</g>`;
}
