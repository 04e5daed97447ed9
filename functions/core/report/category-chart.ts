/**
 * The category chart of a categorical feature: two bars per top category, new values marked "NEW".
 */
import { formatShare } from '../format.js';
import { escapeHtml } from './escape.js';
import { emptyChart, frameOf, hatchDefs, legend, linearScale, niceTicks, openSvg, r } from './svg-kit.js';

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
