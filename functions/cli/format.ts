import type { DatasetSignature } from '../core/signature/types.js';
import type { DriftResult, FeatureDrift } from '../core/drift/types.js';
import { ACTION_BADGE, actionBody } from '../core/report/summary.js';
import { formatIsoMs, formatNumber as formatDigits, formatShare } from '../core/format.js';
import { invisibleChars, plainQuote, plainText, showInvisible } from '../core/text/plain.js';

/** Scores in the table: three significant digits (the one number rule, core/format.ts). */
function formatNumber(x: number): string {
  return formatDigits(x, 3);
}

/**
 * Plain-text rendering of CLI results (pure: strings in, string out). Every string from data (names, labels,
 * stored sentences) goes through the plain-text rule (core/text/plain.ts), so no batch can clear the
 * terminal, ring its bell, reorder a line or print a fake link.
 */

/** Widest name cell of the table (the HTML report and --json carry the full names). */
const NAME_MAX = 48;
/** Widest label cell (kind, test). */
const LABEL_MAX = 32;
/** Longest free-text cell or line (an explanation, the rule, the summary). */
const SENTENCE_MAX = 2000;

/** A row count in full (a stored document may hold a non-finite one). */
function count(x: number): string {
  return Number.isFinite(x) ? String(x) : formatDigits(x);
}

function mark(feature: FeatureDrift, quality: ReadonlySet<string>): string {
  const own = feature.status === 'insufficient-data' ? 'n/a' : feature.drift ? 'DRIFT' : 'ok';
  return quality.has(feature.name) ? `${own} DQ` : own;
}

/** The action line, e.g. "Action: DATA-QUALITY — column 'x' is missing …; fix the pipeline before retraining." */
export function actionLine(result: DriftResult): string {
  return `Action: ${ACTION_BADGE[result.action]} — ${actionBody(result)}`;
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
 * threshold; DQ marks a feature with a data-quality finding), then schema changes, time ranges, the
 * data-quality findings, the action and why, the distribution verdict, the rule and the summary.
 */
export function renderDriftText(result: DriftResult): string {
  const quality = new Set(result.incidents.flatMap((i) => (i.feature === undefined ? [] : [i.feature])));
  const rows = result.features.map((f) => [
    plainText(f.name, NAME_MAX),
    plainText(f.kind, LABEL_MAX),
    plainText(f.test, LABEL_MAX),
    formatNumber(f.score),
    `${f.scoreKind === 'p-value' ? '<' : '≥'}${formatNumber(f.threshold)}`,
    f.severity < 0 ? 'n/a' : formatNumber(f.severity),
    mark(f, quality),
    `${formatShare(f.nullShare.reference)} → ${formatShare(f.nullShare.current)}`,
    plainText(f.explanation, SENTENCE_MAX),
  ]);
  const lines = [
    `Reference: ${count(result.rowCount.reference)} rows   Current: ${count(result.rowCount.current)} rows`,
    '',
    ...(rows.length
      ? table(['feature', 'kind', 'test', 'score', 'threshold', 'severity', 'drift', 'nulls before → after', 'explanation'], rows)
      : ['(no features to compare)']),
  ];
  const { missing, added, retyped } = result.schema;
  if (missing.length || added.length || retyped.length) {
    lines.push('', 'Schema changes:');
    // Names in a list are quoted: a name holding ", " cannot pose as two columns.
    const names = (list: readonly string[]): string => list.map((n) => plainQuote(n, NAME_MAX)).join(', ');
    if (missing.length) lines.push(`  missing: ${names(missing)}`);
    if (added.length) lines.push(`  added:   ${names(added)}`);
    for (const r of retyped) lines.push(`  retyped: ${plainQuote(r.name, NAME_MAX)} ${plainText(r.reference, LABEL_MAX)} → ${plainText(r.current, LABEL_MAX)}`);
  }
  if (result.time.length) {
    lines.push('', 'Time columns (not tested):');
    for (const t of result.time) lines.push(`  ${plainText(t.name, NAME_MAX)}: ${range(t.reference)} → ${range(t.current)}`);
  }
  if (result.incidents.length) {
    lines.push('', 'Data-quality findings (DQ):');
    for (const i of result.incidents) lines.push(`  ${plainText(i.kind, LABEL_MAX)}: ${plainText(i.detail, SENTENCE_MAX)}`);
  }
  lines.push('', actionLine(result));
  lines.push(`Distribution verdict: ${plainText(result.verdict, LABEL_MAX)}  (dataset score ${formatNumber(result.score)}, drift index ${formatNumber(result.driftIndex)})`);
  lines.push(`Rule: ${plainText(result.rule.description, SENTENCE_MAX)}`);
  lines.push(plainText(result.summary, SENTENCE_MAX));
  return lines.join('\n');
}

function range([min, max]: readonly [number | null, number | null]): string {
  // A data time may lie beyond Date (date32 up to year 5881580): formatIsoMs never throws.
  const iso = (ms: number | null): string => (ms === null || Number.isNaN(ms) ? '-' : formatIsoMs(ms));
  return `[${iso(min)} .. ${iso(max)}]`;
}

/**
 * JSON for a terminal: the same document (it parses to the same value), with every invisible, bidi and
 * line-separator character written as a \u escape, which JSON.stringify leaves raw.
 */
export function terminalJson(value: unknown): string {
  // Raw controls other than the indentation's newlines never occur (JSON.stringify escapes them); DEL and C1 do.
  const escape = (c: string): string => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
  return JSON.stringify(value, null, 2).replace(invisibleChars(), (c) => (c === '\n' ? c : escape(c)));
}

/** The CLI's own message lines with any data in them made visible (`\u{1b}`); line breaks and URLs stay. */
export function terminalLines(text: string): string {
  return text
    .split('\n')
    .map((line) => showInvisible(line))
    .join('\n');
}

/** One line describing a written signature, e.g. "ref.json: 1000 rows, 6 columns (4 numeric, 2 categorical) from 2 files". */
export function describeSignature(path: string, signature: DatasetSignature): string {
  const kinds = new Map<string, number>();
  for (const column of Object.values(signature.columns)) kinds.set(column.kind, (kinds.get(column.kind) ?? 0) + 1);
  const parts = [...kinds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${n} ${kind}`);
  const count = Object.keys(signature.columns).length;
  const files = signature.sources.length;
  return `${showInvisible(path)}: ${signature.rowCount} rows, ${count} columns (${parts.join(', ') || 'none'}) from ${files} file${files === 1 ? '' : 's'}`;
}
