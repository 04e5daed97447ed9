import type { DatasetSignature } from '../core/signature/types.js';
import type { DriftResult, FeatureDrift } from '../core/drift/types.js';
import { formatNumber as formatDigits, formatShare } from '../core/format.js';

/** Scores in the table: three significant digits (the one number rule, core/format.ts). */
function formatNumber(x: number): string {
  return formatDigits(x, 3);
}

/** Plain-text rendering of CLI results (pure: strings in, string out). */

function mark(feature: FeatureDrift): string {
  if (feature.status === 'insufficient-data') return 'n/a';
  return feature.drift ? 'DRIFT' : 'ok';
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  // The last column (the explanation) is free text: it is not padded.
  const widths = header.map((h, i) => (i === header.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w, i) => '-'.repeat(i === header.length - 1 ? header[i].length : w))), ...rows.map(line)];
}

/**
 * The readable table of a drift result: features ranked as in the result (drift first, then score relative to
 * threshold), then schema changes, time ranges, the dataset verdict and summary.
 */
export function renderDriftText(result: DriftResult): string {
  const rows = result.features.map((f) => [
    f.name,
    f.kind,
    f.test,
    formatNumber(f.score),
    `${f.scoreKind === 'p-value' ? '<' : '≥'}${formatNumber(f.threshold)}`,
    f.severity < 0 ? 'n/a' : formatNumber(f.severity),
    mark(f),
    `${formatShare(f.nullShare.reference)} → ${formatShare(f.nullShare.current)}`,
    f.explanation,
  ]);
  const lines = [
    `Reference: ${result.rowCount.reference} rows   Current: ${result.rowCount.current} rows`,
    '',
    ...(rows.length
      ? table(['feature', 'kind', 'test', 'score', 'threshold', 'severity', 'drift', 'nulls before → after', 'explanation'], rows)
      : ['(no features to compare)']),
  ];
  const { missing, added, retyped } = result.schema;
  if (missing.length || added.length || retyped.length) {
    lines.push('', 'Schema changes:');
    if (missing.length) lines.push(`  missing: ${missing.join(', ')}`);
    if (added.length) lines.push(`  added:   ${added.join(', ')}`);
    for (const r of retyped) lines.push(`  retyped: ${r.name} ${r.reference} → ${r.current}`);
  }
  if (result.time.length) {
    lines.push('', 'Time columns (not tested):');
    for (const t of result.time) lines.push(`  ${t.name}: ${range(t.reference)} → ${range(t.current)}`);
  }
  lines.push('', `Verdict: ${result.verdict.toUpperCase()}  (dataset score ${formatNumber(result.score)}, drift index ${formatNumber(result.driftIndex)})`);
  lines.push(`Rule: ${result.rule.description}`);
  lines.push(result.summary);
  return lines.join('\n');
}

function range([min, max]: readonly [number | null, number | null]): string {
  const iso = (ms: number | null): string => (ms === null || !Number.isFinite(ms) ? '-' : new Date(ms).toISOString());
  return `[${iso(min)} .. ${iso(max)}]`;
}

/** One line describing a written signature, e.g. "ref.json: 1000 rows, 6 columns (4 numeric, 2 categorical) from 2 files". */
export function describeSignature(path: string, signature: DatasetSignature): string {
  const kinds = new Map<string, number>();
  for (const column of Object.values(signature.columns)) kinds.set(column.kind, (kinds.get(column.kind) ?? 0) + 1);
  const parts = [...kinds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${n} ${kind}`);
  const count = Object.keys(signature.columns).length;
  const files = signature.sources.length;
  return `${path}: ${signature.rowCount} rows, ${count} columns (${parts.join(', ') || 'none'}) from ${files} file${files === 1 ? '' : 's'}`;
}
