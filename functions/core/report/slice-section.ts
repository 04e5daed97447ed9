/**
 * The report's per-slice table (pure): for each slice column of the check (core/drift/slices.ts), each
 * value's share of the current rows, its status and what moved. The same rows are the stored report's
 * `sliceTable` field (report-json.ts), so a reader of the JSON sees what the HTML shows.
 *
 * Status: `drifted` (the slice alarmed after the Benjamini–Hochberg control across slices × features),
 * `stable` (judged, no alarm), `insufficient-data` (too few rows, never drift), `data-quality` (the slice's
 * own check found an incident: reported, not acted on). Every data string is escaped (escape.ts).
 */
import type { DeepReadonly } from '../drift/json-number.js';
import { driftTests } from '../drift/registry.js';
import type { SliceDrift } from '../drift/slice-types.js';
import { MISSING, formatNumber, formatShare, formatVersus } from '../format.js';
import { escapeHtml as e } from './escape.js';

/** A slice value's status in the table. */
export type SliceStatus = 'drifted' | 'stable' | 'insufficient-data' | 'data-quality';

/** One value of a slice column, as the table shows it. */
export interface SliceRow {
  readonly value: string;
  /** True for `other`: every value outside the reference's top K (and null). */
  readonly isOther: boolean;
  /** Share of the current rows. */
  readonly share: number;
  readonly rows: { readonly reference: number; readonly current: number };
  readonly status: SliceStatus;
  /** The drifted features of a `drifted` slice (empty otherwise), with the test's score and threshold. */
  readonly moved: readonly { readonly name: string; readonly test: string; readonly score: number; readonly threshold: number }[];
}

/** One slice column's rows: largest share first, `other` last. */
export interface SliceTable {
  readonly column: string;
  readonly values: readonly SliceRow[];
}

function statusOf(s: DeepReadonly<SliceDrift>): SliceStatus {
  if (s.status === 'insufficient-data') return 'insufficient-data';
  if (s.status === 'data-quality') return 'data-quality';
  return s.alarm ? 'drifted' : 'stable';
}

/**
 * The slice tables of a check's result; empty when it has no slices.
 * @example
 * sliceTables(result)[0]; // { column: 'country', values: [{ value: 'DE', share: 0.1, status: 'drifted', moved: [...] }, ...] }
 */
export function sliceTables(result: { readonly slices?: readonly DeepReadonly<SliceDrift>[] }): SliceTable[] {
  const byColumn = new Map<string, SliceRow[]>();
  for (const s of result.slices ?? []) {
    const status = statusOf(s);
    const row: SliceRow = {
      value: s.value,
      isOther: s.isOther,
      share: s.share,
      rows: { reference: s.rows.reference, current: s.rows.current },
      status,
      moved: status === 'drifted' ? s.drifted.map((f) => ({ name: f.name, test: f.test, score: f.score, threshold: f.threshold })) : [],
    };
    const rows = byColumn.get(s.column) ?? [];
    rows.push(row);
    byColumn.set(s.column, rows);
  }
  return [...byColumn.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([column, values]) => ({
      column,
      values: values.sort((a, b) => Number(a.isOther) - Number(b.isOther) || b.share - a.share || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)),
    }));
}

/**
 * A drifted feature's score against its threshold in words, unescaped (each medium escapes it): the test's
 * label and unit, at a precision that never contradicts the comparison, e.g. "Wasserstein 2.16 σ ≥ 0.194 σ".
 */
export function scoreVersus(f: { readonly test: string; readonly score: number; readonly threshold: number }): string {
  const test = Object.hasOwn(driftTests, f.test) ? driftTests[f.test] : undefined;
  const distance = test?.scoreKind !== 'p-value';
  const unit = distance ? (test?.unit ?? '') : '';
  const v = formatVersus(f.score, f.threshold);
  return `${test?.label ?? f.test} ${v.score}${unit} ${distance ? '≥' : '<'} ${v.threshold}${unit}`;
}

function movedCell(row: SliceRow): string {
  if (row.status === 'drifted') return row.moved.map((f) => `<bdi>${e(f.name)}</bdi> (${e(scoreVersus(f))})`).join(', ');
  if (row.status === 'insufficient-data') return `too few rows to judge (${formatNumber(row.rows.reference, 9)} reference, ${formatNumber(row.rows.current, 9)} current)`;
  if (row.status === 'data-quality') return 'its own check found a data-quality problem (reported, not acted on)';
  return MISSING;
}

/**
 * The report section "Slices": one table per slice column; empty when the check had no slices.
 * @example
 * const html = sliceSection(input.result);
 */
export function sliceSection(result: { readonly slices?: readonly DeepReadonly<SliceDrift>[] }): string {
  const tables = sliceTables(result);
  if (tables.length === 0) return '';
  const body = tables
    .map((t) => {
      const rows = t.values
        .map(
          (v) =>
            `<tr class="slice ${v.status}"><th scope="row"><bdi>${v.isOther ? 'other values' : e(v.value)}</bdi></th>` +
            `<td class="num">${formatShare(v.share)}</td><td>${v.status}</td><td>${movedCell(v)}</td></tr>`,
        )
        .join('');
      const drifted = t.values.filter((v) => v.status === 'drifted').length;
      return (
        `<div class="table-wrap"><table class="slices"><caption>Slice column <bdi>${e(t.column)}</bdi>: ${drifted} of ${t.values.length} value(s) drifted</caption>` +
        `<thead><tr><th scope="col">Value</th><th scope="col" class="num">Share of rows</th><th scope="col">Status</th><th scope="col">What moved</th></tr></thead>` +
        `<tbody>${rows}</tbody></table></div>`
      );
    })
    .join('');
  return `<section id="slices" aria-labelledby="slices-h"><h2 id="slices-h">Slices</h2>${body}</section>`;
}

/**
 * The stored report's `sliceTable` field (absent when the check had no slices): the rows of `sliceSection`.
 * @example
 * stableJson({ ...input, ...sliceReportField(input.result) });
 */
export function sliceReportField(result: { readonly slices?: readonly DeepReadonly<SliceDrift>[] }): { sliceTable?: SliceTable[] } {
  const tables = sliceTables(result);
  return tables.length === 0 ? {} : { sliceTable: tables };
}
