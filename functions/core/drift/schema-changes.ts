/**
 * Schema changes between two signatures: columns missing, added, retyped, or summarised with another role.
 */
import type { ColumnField } from '../columns.js';
import { MIXED_TYPES_SEPARATOR } from '../signature/merge.js';
import type { ColumnSignature } from '../signature/types.js';

type Retyped = { name: string; reference: string; current: string };

/** A field's type for the schema report: a window whose batches disagree lists every type seen. */
function typeLabel(field: ColumnField): string {
  return field.type === 'other' && field.sourceType.includes(MIXED_TYPES_SEPARATOR) ? `mixed: ${field.sourceType}` : field.type;
}

/** The fields missing from, added to or retyped in the current schema (both maps already filtered to the wanted columns). */
export function fieldChanges(
  reference: ReadonlyMap<string, ColumnField>,
  current: ReadonlyMap<string, ColumnField>,
): { missing: string[]; added: string[]; retyped: Retyped[] } {
  const missing = [...reference.keys()].filter((n) => !current.has(n));
  const added = [...current.keys()].filter((n) => !reference.has(n));
  const retyped: Retyped[] = [];
  for (const [name, field] of reference) {
    const other = current.get(name);
    if (other !== undefined && other.type !== field.type) retyped.push({ name, reference: field.type, current: typeLabel(other) });
  }
  return { missing, added, retyped };
}

/**
 * Record a column whose summary kind differs between the signatures (its role changed, or it is ignored on
 * one side): nothing to compare, reported as a retype unless its type change is already listed.
 */
export function addRoleChange(
  retyped: Retyped[],
  name: string,
  fields: { reference: ColumnField; current: ColumnField },
  columns: { reference: ColumnSignature | undefined; current: ColumnSignature | undefined },
): void {
  if (retyped.some((r) => r.name === name)) return;
  const label = (field: ColumnField, column: ColumnSignature | undefined): string => `${field.type} (${column?.kind ?? 'ignored'})`;
  retyped.push({ name, reference: label(fields.reference, columns.reference), current: label(fields.current, columns.current) });
}
