import { mergeSlices } from './slices.js';
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
 * - Schema: the union of columns, sorted by name. When the two sides give a column different types, every
 *   type is kept: the merged field has type `other` and a sourceType listing each `type (sourceType)` seen,
 *   sorted and joined with " | " (see `MIXED_TYPES_SEPARATOR`), so `compare` reports the retype whatever
 *   the order of the batches.
 * - Columns: a column absent from one side's schema counts that side's rows as nulls (so its null share is
 *   the share of rows really without a value). When both sides have it with the same kind, the stats merge
 *   (see mergeNumeric/mergeCategorical); with different kinds (numbers became strings) no stats are kept:
 *   `compare` reports the column as retyped instead of testing one arbitrary side.
 *
 * Throws ConfigError when a numeric column's sketches use different relative accuracies (they cannot add).
 *
 * Commutative bit for bit (moments use a symmetric formula, lists are sorted), whether or not the schemas
 * agree; associative exactly for counts, sketches, HLL and top-K (when every side has at most K distinct
 * values) and within floating-point rounding (~1e-15 relative) for mean and m2.
 */
export function mergeSignatures(a: DatasetSignature, b: DatasetSignature): DatasetSignature {
  const fieldsA = new Map(a.schema.map((f) => [f.name, f] as const));
  const fieldsB = new Map(b.schema.map((f) => [f.name, f] as const));
  const fields = new Map<string, ColumnField>();
  for (const name of new Set([...fieldsA.keys(), ...fieldsB.keys()])) {
    const x = fieldsA.get(name);
    const y = fieldsB.get(name);
    fields.set(name, x === undefined ? { ...(y as ColumnField), nullable: true } : y === undefined ? { ...x, nullable: true } : mergeField(x, y));
  }
  const columns: Record<string, ColumnSignature> = {};
  const names = new Set([...Object.keys(a.columns), ...Object.keys(b.columns)]);
  for (const name of [...names].sort(byCodeUnit)) {
    const x = Object.hasOwn(a.columns, name) ? a.columns[name] : undefined;
    const y = Object.hasOwn(b.columns, name) ? b.columns[name] : undefined;
    // A side whose schema lacks the column contributes its rows as nulls.
    const merged =
      x === undefined ? (fieldsA.has(name) ? y : withAbsentRows(y as ColumnSignature, a.rowCount))
      : y === undefined ? (fieldsB.has(name) ? x : withAbsentRows(x, b.rowCount))
      : mergeColumn(x, y);
    if (merged !== undefined) putKey(columns, name, merged);
  }
  return {
    schemaVersion: 1,
    rowCount: a.rowCount + b.rowCount,
    schema: [...fields.values()].sort((f, g) => byCodeUnit(f.name, g.name)).map(copyField),
    columns,
    sources: [...new Set([...a.sources, ...b.sources])].sort(byCodeUnit),
    ...(a.slices !== undefined || b.slices !== undefined ? { slices: mergeSlices([a.slices, b.slices]) } : {}),
  };
}

/** Joins the `type (sourceType)` entries of a field whose merged batches disagree on its type. */
export const MIXED_TYPES_SEPARATOR = ' | ';

/** The `type (sourceType)` entries a field stands for (one, or several for an already mixed field). */
export function fieldTypes(field: ColumnField): string[] {
  if (field.type === 'other' && field.sourceType.includes(MIXED_TYPES_SEPARATOR)) return field.sourceType.split(MIXED_TYPES_SEPARATOR);
  return [`${field.type} (${field.sourceType})`];
}

function mergeField(a: ColumnField, b: ColumnField): ColumnField {
  const nullable = a.nullable || b.nullable;
  if (a.type === b.type && a.sourceType === b.sourceType) return { ...a, nullable };
  const types = [...new Set([...fieldTypes(a), ...fieldTypes(b)])].sort(byCodeUnit);
  if (new Set(types.map((t) => t.slice(0, t.indexOf(' (')))).size === 1) {
    // Same logical type, different physical types (Int32 and Int64): a deterministic sourceType, no retype.
    return { ...a, sourceType: byCodeUnit(a.sourceType, b.sourceType) <= 0 ? a.sourceType : b.sourceType, nullable };
  }
  return { name: a.name, type: 'other', sourceType: types.join(MIXED_TYPES_SEPARATOR), nullable };
}

function withAbsentRows(column: ColumnSignature, rows: number): ColumnSignature {
  return { ...column, count: column.count + rows, nulls: column.nulls + rows };
}

function mergeColumn(a: ColumnSignature, b: ColumnSignature): ColumnSignature | undefined {
  const merged = mergeSameKind(a, b);
  // Same kind, different logical types (int and float): the stats merge; the label must not depend on order.
  if (merged === undefined || a.type === b.type) return merged;
  return { ...merged, type: byCodeUnit(a.type, b.type) <= 0 ? a.type : b.type } as ColumnSignature;
}

function mergeSameKind(a: ColumnSignature, b: ColumnSignature): ColumnSignature | undefined {
  if (a.kind === 'numeric' && b.kind === 'numeric') return mergeNumeric(a, b);
  if (a.kind === 'categorical' && b.kind === 'categorical') return mergeCategorical(a, b);
  if (a.kind === 'time' && b.kind === 'time') return mergeTime(a, b);
  return undefined;
}

/** Merge a non-empty list of signatures left to right; throws ConfigError on an empty list. */
export function mergeAll(signatures: readonly DatasetSignature[]): DatasetSignature {
  if (signatures.length === 0) throw new ConfigError('signature', 'mergeAll needs at least one signature');
  let merged = signatures[0];
  for (let i = 1; i < signatures.length; i++) merged = mergeSignatures(merged, signatures[i]);
  return merged;
}
