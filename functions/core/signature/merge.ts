import type { ColumnField } from '../columns.js';
import { ConfigError } from '../errors.js';
import { byCodeUnit, copyField, putKey } from './builder.js';
import { mergeCategorical } from './categorical.js';
import { mergeNumeric } from './numeric.js';
import { mergeTime } from './time.js';
import type { ColumnSignature, DatasetSignature } from './types.js';

/**
 * Merge two signatures (e.g. several batch files into one current window).
 *
 * - rowCount adds; sources are the sorted union.
 * - Schema: the union of columns, sorted by name; when both sides have a column with different types, the
 *   first signature's field wins (the drift module reports the retype against the reference anyway).
 * - Columns: a column present on one side only keeps its stats (its count covers only the rows where it was
 *   seen). When both sides have it with the same kind, the stats merge (see mergeNumeric/mergeCategorical);
 *   with different kinds (the column changed from numbers to strings), the first side's stats are kept.
 *
 * Throws ConfigError when a numeric column's sketches use different relative accuracies (they cannot add).
 *
 * Commutative bit for bit when the two schemas agree (moments use a symmetric formula, lists are sorted);
 * associative exactly for counts, sketches, HLL and top-K (when every side has at most K distinct values) and
 * within floating-point rounding (~1e-15 relative) for mean and m2.
 */
export function mergeSignatures(a: DatasetSignature, b: DatasetSignature): DatasetSignature {
  const fields = new Map<string, ColumnField>();
  for (const field of a.schema) fields.set(field.name, field);
  for (const field of b.schema) if (!fields.has(field.name)) fields.set(field.name, field);
  const columns: Record<string, ColumnSignature> = {};
  const names = new Set([...Object.keys(a.columns), ...Object.keys(b.columns)]);
  for (const name of [...names].sort(byCodeUnit)) {
    const x = Object.hasOwn(a.columns, name) ? a.columns[name] : undefined;
    const y = Object.hasOwn(b.columns, name) ? b.columns[name] : undefined;
    putKey(columns, name, x === undefined ? y : y === undefined ? x : mergeColumn(x, y));
  }
  return {
    schemaVersion: 1,
    rowCount: a.rowCount + b.rowCount,
    schema: [...fields.values()].sort((f, g) => byCodeUnit(f.name, g.name)).map(copyField),
    columns,
    sources: [...new Set([...a.sources, ...b.sources])].sort(byCodeUnit),
  };
}

function mergeColumn(a: ColumnSignature, b: ColumnSignature): ColumnSignature {
  if (a.kind === 'numeric' && b.kind === 'numeric') return mergeNumeric(a, b);
  if (a.kind === 'categorical' && b.kind === 'categorical') return mergeCategorical(a, b);
  if (a.kind === 'time' && b.kind === 'time') return mergeTime(a, b);
  return a;
}

/** Merge a non-empty list of signatures left to right; throws ConfigError on an empty list. */
export function mergeAll(signatures: readonly DatasetSignature[]): DatasetSignature {
  if (signatures.length === 0) throw new ConfigError('signature', 'mergeAll needs at least one signature');
  let merged = signatures[0];
  for (let i = 1; i < signatures.length; i++) merged = mergeSignatures(merged, signatures[i]);
  return merged;
}
