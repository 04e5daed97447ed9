import type { DatasetSignature } from '../core/signature/types.js';
import type { DriftResult, FeatureDrift } from '../core/drift/types.js';
import { ACTION_BADGE, actionBody, inputNames } from '../core/report/summary.js';
import { driftTests } from '../core/drift/registry.js';
import { formatNumber as formatDigits, formatShare, formatVersus } from '../core/format.js';
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
/** Narrowest name cell before other columns are dropped. */
const NAME_MIN = 12;
/** Widest label cell (kind, test). */
const LABEL_MAX = 32;
/** Longest free-text cell or line (an explanation, the rule, the summary). */
const SENTENCE_MAX = 2000;
/** Width when the terminal's is unknown (a pipe, a file). */
export const DEFAULT_WIDTH = 100;
/** Narrowest layout: below this, lines are wrapped at this width anyway. */
const MIN_WIDTH = 40;
/** Indent of a feature's explanation under its row. */
const EXPLANATION_INDENT = 5;

/** A row count in full (a stored document may hold a non-finite one). */
function count(x: number): string {
  return Number.isFinite(x) ? String(x) : formatDigits(x);
}

/** Characters as a terminal counts them (code points; the plain-text rule leaves no controls or combining tricks that matter here). */
function width(text: string): number {
  return [...text].length;
}

function padEnd(text: string, to: number): string {
  return text + ' '.repeat(Math.max(0, to - width(text)));
}

function padStart(text: string, to: number): string {
  return ' '.repeat(Math.max(0, to - width(text))) + text;
}

/**
 * Wrap plain text at word boundaries to `columns`, every line after the first starting with `indent` spaces
 * (and the first with `firstIndent`). A word longer than a line is cut, the only case where a word breaks.
 */
export function wrapText(text: string, columns: number, indent = 0, firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = ' '.repeat(firstIndent);
  let empty = true;
  const room = (): number => columns - width(line);
  for (let word of text.split(/ +/).filter((w) => w !== '')) {
    if (!empty && width(word) + 1 > room()) {
      lines.push(line);
      line = ' '.repeat(indent);
      empty = true;
    }
    while (empty && width(word) > room() && room() > 0) {
      const cut = [...word];
      lines.push(line + cut.slice(0, room()).join(''));
      word = cut.slice(room()).join('');
      line = ' '.repeat(indent);
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

function mark(feature: FeatureDrift, quality: ReadonlySet<string>): string {
  const own = feature.status === 'insufficient-data' ? 'n/a' : feature.drift ? 'DRIFT' : 'ok';
  return quality.has(feature.name) ? `${own} DQ` : own;
}

/** The action line, e.g. "Action: DATA-QUALITY — column 'x' is missing …; fix the pipeline before retraining." */
export function actionLine(result: DriftResult): string {
  return `Action: ${ACTION_BADGE[result.action]} — ${actionBody(result)}`;
}

/** A table column: its header, how to fill a cell, its alignment, and when it is dropped on a narrow terminal. */
interface Column {
  readonly header: string;
  readonly cell: (f: FeatureDrift, rank: number) => string;
  readonly right?: boolean;
  /** Lower goes first when the table does not fit; the feature column is never dropped. */
  readonly keep: number;
}

/** The score and its threshold with the test's unit, at a precision that never contradicts the comparison. */
function scoreCells(f: FeatureDrift): { score: string; threshold: string } {
  const unit = driftTests[f.test]?.unit ?? '';
  const pair = formatVersus(f.score, f.threshold);
  const op = f.scoreKind === 'p-value' ? '<' : '≥';
  return f.scoreKind === 'p-value'
    ? { score: `p ${pair.score}`, threshold: `${op} ${pair.threshold}` }
    : { score: `${pair.score}${unit}`, threshold: `${op} ${pair.threshold}${unit}` };
}

/**
 * The readable text of a drift result, laid out for a terminal `columns` wide: features ranked as in the
 * result (drift first), one row each with its explanation wrapped under it; then schema changes, time
 * ranges, data-quality findings, the action and why, the distribution verdict with its two figures
 * explained, and the rule. Columns are dropped (nulls, severity, test, rank) before a line would wrap.
 */
export function renderDriftText(result: DriftResult, columns: number = DEFAULT_WIDTH): string {
  const cols = Math.max(MIN_WIDTH, Math.floor(Number.isFinite(columns) ? columns : DEFAULT_WIDTH));
  const quality = new Set(result.incidents.flatMap((i) => (i.feature === undefined ? [] : [i.feature])));
  const all: Column[] = [
    { header: '#', cell: (_f, i) => String(i), right: true, keep: 1 },
    { header: 'feature', cell: (f) => plainText(f.name, NAME_MAX), keep: 99 },
    { header: 'test', cell: (f) => plainText(f.test, LABEL_MAX), keep: 2 },
    { header: 'score', cell: (f) => scoreCells(f).score, right: true, keep: 5 },
    { header: 'drift when', cell: (f) => scoreCells(f).threshold, keep: 4 },
    { header: 'severity', cell: (f) => (f.severity < 0 ? 'n/a' : formatNumber(f.severity)), right: true, keep: 3 },
    { header: 'result', cell: (f) => mark(f, quality), keep: 6 },
    { header: 'nulls', cell: (f) => `${formatShare(f.nullShare.reference)} → ${formatShare(f.nullShare.current)}`, keep: 0 },
  ];
  const cells = all.map((c) => result.features.map((f, i) => c.cell(f, i + 1)));
  const widths = all.map((c, i) => Math.max(width(c.header), ...cells[i].map(width)));
  const nameAt = all.findIndex((c) => c.header === 'feature');
  let shown = all.map((_c, i) => i);
  const total = (): number => shown.reduce((sum, i) => sum + widths[i], 0) + 2 * (shown.length - 1);
  while (total() > cols) {
    if (widths[nameAt] > NAME_MIN) {
      widths[nameAt] = Math.max(NAME_MIN, widths[nameAt] - (total() - cols));
      continue;
    }
    const drop = shown.filter((i) => i !== nameAt).sort((a, b) => all[a].keep - all[b].keep)[0];
    if (drop === undefined) break;
    shown = shown.filter((i) => i !== drop);
  }
  const fit = (text: string, w: number): string => (width(text) <= w ? text : `${[...text].slice(0, w - 1).join('')}…`);
  const row = (texts: readonly string[]): string =>
    shown
      .map((i) => (all[i].right ? padStart(fit(texts[i], widths[i]), widths[i]) : padEnd(fit(texts[i], widths[i]), widths[i])))
      .join('  ')
      .trimEnd();
  const named = (side: 'reference' | 'current'): string => {
    const inputs = result.inputs?.[side];
    return inputs === undefined || inputs.count === 0 ? '' : ` (${plainText(inputNames(inputs), SENTENCE_MAX)})`;
  };
  const lines = [
    ...wrapText(`Reference: ${count(result.rowCount.reference)} rows${named('reference')} · Current: ${count(result.rowCount.current)} rows${named('current')}`, cols, 2, 0),
    '',
  ];
  if (result.features.length === 0) lines.push('(no features to compare)');
  else {
    lines.push(row(all.map((c) => c.header)), row(all.map((_c, i) => '-'.repeat(widths[i]))));
    result.features.forEach((f, r) => {
      lines.push(row(all.map((_c, i) => cells[i][r])));
      lines.push(...wrapText(plainText(f.explanation, SENTENCE_MAX), cols, EXPLANATION_INDENT));
    });
  }
  const { missing, added, retyped } = result.schema;
  if (missing.length || added.length || retyped.length) {
    lines.push('', 'Schema changes:');
    // Names in a list are quoted: a name holding ", " cannot pose as two columns.
    const names = (list: readonly string[]): string => list.map((n) => plainQuote(n, NAME_MAX)).join(', ');
    if (missing.length) lines.push(...wrapText(`missing: ${names(missing)}`, cols, 11, 2));
    if (added.length) lines.push(...wrapText(`added:   ${names(added)}`, cols, 11, 2));
    for (const r of retyped) {
      lines.push(...wrapText(`retyped: ${plainQuote(r.name, NAME_MAX)} ${plainText(r.reference, LABEL_MAX)} → ${plainText(r.current, LABEL_MAX)}`, cols, 11, 2));
    }
  }
  if (result.time.length) {
    lines.push('', 'Time columns (not tested):');
    for (const t of result.time) lines.push(...wrapText(`${plainText(t.name, NAME_MAX)}: ${range(t.reference)} → ${range(t.current)}`, cols, 4, 2));
  }
  if (result.incidents.length) {
    lines.push('', 'Data-quality findings (DQ):');
    for (const i of result.incidents) lines.push(...wrapText(`${plainText(i.kind, LABEL_MAX)}: ${plainText(i.detail, SENTENCE_MAX)}`, cols, 4, 2));
  }
  lines.push('', ...wrapText(actionLine(result), cols, 2, 0));
  lines.push(
    ...wrapText(
      `Distribution verdict: ${plainText(result.verdict, LABEL_MAX)}. Dataset score ${formatNumber(result.score)} (the share of judged ` +
        `features that drifted); drift index ${formatNumber(result.driftIndex)} (the most drifted feature's severity, 1 = at its threshold).`,
      cols,
      2,
      0,
    ),
  );
  lines.push(...wrapText(`Rule: ${plainText(result.rule.description, SENTENCE_MAX)}`, cols, 2, 0));
  return lines.join('\n');
}

function range([min, max]: readonly [string | null, string | null]): string {
  return `[${min === null ? '-' : plainText(min, LABEL_MAX)} .. ${max === null ? '-' : plainText(max, LABEL_MAX)}]`;
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
