/**
 * Data-quality incidents: findings that say the pipeline broke, not that the world changed. Retraining on
 * such a batch would teach the model the breakage, so any incident makes the action `data-quality`
 * (action.ts). Pure: each finding is read from the two signatures and the schema changes.
 */
import { formatShare } from '../format.js';
import type { ColumnSignature, NumericColumnSignature } from '../signature/types.js';
import { formatPValue, formatValue } from './explain.js';
import { MIN_VALUES } from './judge-feature.js';
import { NULL_SHARE_RULE, nullShareIncident, twoProportionPValue } from './null-share.js';
import { outOfRangeShare } from './numeric.js';
import { MAX_BUCKETS, sketchCount } from '../signature/sketch.js';
import { SIGNIFICANCE_LEVEL } from './registry.js';
import type { Incident, IncidentKind, SchemaChanges } from './types.js';
import { plainQuote, plainText } from '../text/plain.js';

/** Share of current values far outside the reference range that makes an out-of-range jump (with significance). */
export const OUT_OF_RANGE_JUMP_SHARE = 0.2;

/** Longest name or type label in an incident sentence (as in explain.ts). */
const NAME_MAX = 80;

/**
 * The data-quality rule, as stated in every result. "Far" outside the range means beyond it by more than the
 * reference's own width (max − min): a real shift of a few σ moves values just past the edge of the range
 * (a normal feature moved 3σ puts ~30% of its values there), while a unit change, a sentinel value or a
 * scaling bug throws them much further; so only values further than one width count.
 */
export const DATA_QUALITY_RULE =
  `a column missing or retyped; ${NULL_SHARE_RULE}; ≥ ${formatShare(OUT_OF_RANGE_JUMP_SHARE)} of a numeric column's values ` +
  `beyond its reference range by more than the range's width (significant vs the reference's 0, at least ${MIN_VALUES} values) is an ` +
  `out-of-range jump; an empty batch, or one where every feature has no values, is a row collapse`;

/** Most serious first: the order incidents are listed and the first one names the action's reason. */
const KIND_ORDER: readonly IncidentKind[] = ['row-collapse', 'missing-column', 'retyped-column', 'all-null', 'null-surge', 'out-of-range-jump'];

/** Incidents sorted most serious first (stable within a kind, so columns keep their schema order). */
export function orderIncidents(incidents: readonly Incident[]): Incident[] {
  return [...incidents].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
}

/** The incidents of the schema changes: each missing and each retyped column (added columns are harmless). */
export function schemaIncidents(schema: SchemaChanges): Incident[] {
  return [
    ...schema.missing.map((name): Incident => ({ kind: 'missing-column', feature: name, detail: `Column ${plainQuote(name, NAME_MAX)} is missing from the current batch.` })),
    ...schema.retyped.map(
      (r): Incident => ({
        kind: 'retyped-column',
        feature: r.name,
        detail: `Column ${plainQuote(r.name, NAME_MAX)} changed type (${plainText(r.reference, NAME_MAX)} → ${plainText(r.current, NAME_MAX)}).`,
      }),
    ),
  ];
}

/** The reference range widened by its own width on each side (by its magnitude when the reference is constant). */
function farBounds(reference: NumericColumnSignature): { min: number; max: number } | null {
  if (reference.min === null || reference.max === null) return null;
  const width = reference.max - reference.min;
  const margin = width > 0 ? width : Math.max(Math.abs(reference.min), Math.abs(reference.max));
  return { min: reference.min - margin, max: reference.max + margin };
}

/**
 * Share of current values outside `bounds`, as outOfRangeShare counts it, but never more than the sketch
 * knows: a store that reached MAX_BUCKETS folded its smallest values into its lowest kept bucket (data
 * spanning more than ~6e17 in magnitude, e.g. a sentinel at Number.MAX_VALUE), so that bucket is left out
 * of the outside count and the share is a lower bound (the 90% ordinary values of such a batch are not "far").
 */
function farShare(bounds: NumericColumnSignature, current: NumericColumnSignature): number {
  const { positive, negative } = current.sketch;
  const saturated = (store: typeof positive): boolean => store.counts.length >= MAX_BUCKETS;
  if (!saturated(positive) && !saturated(negative)) return outOfRangeShare(bounds, current);
  const unfold = (store: typeof positive): typeof positive => (saturated(store) ? { ...store, counts: [0, ...store.counts.slice(1)] } : store);
  const known = { ...current.sketch, positive: unfold(positive), negative: unfold(negative) };
  const total = sketchCount(current.sketch);
  const kept = sketchCount(known);
  if (kept === 0 || total === 0) return 0;
  return (outOfRangeShare(bounds, { ...current, sketch: known }) * kept) / total;
}

/** The out-of-range jump of a numeric column, or null (see DATA_QUALITY_RULE). */
export function outOfRangeIncident(name: string, reference: NumericColumnSignature, current: NumericColumnSignature): Incident | null {
  if (reference.finite < MIN_VALUES || current.finite < MIN_VALUES) return null;
  const bounds = farBounds(reference);
  if (bounds === null) return null;
  // An overflowing width (values near ±MAX_VALUE) widens to ±Infinity: nothing is beyond it.
  const share = farShare({ ...reference, ...bounds }, current);
  if (share < OUT_OF_RANGE_JUMP_SHARE) return null;
  const p = twoProportionPValue(0, reference.finite, Math.round(share * current.finite), current.finite);
  if (!(p < SIGNIFICANCE_LEVEL)) return null;
  const range = `[${formatValue(reference.min)}, ${formatValue(reference.max)}]`;
  return {
    kind: 'out-of-range-jump',
    feature: name,
    detail: `${formatShare(share)} of ${plainQuote(name, NAME_MAX)} values lie far outside the reference range ${range} (beyond it by more than its width; ${formatPValue(p)}).`,
  };
}

/** Every incident of one tested column: null surge or all-null, and for a numeric column an out-of-range jump. */
export function columnIncidents(name: string, reference: ColumnSignature, current: ColumnSignature): Incident[] {
  const found: Incident[] = [];
  const nulls = nullShareIncident(name, reference, current);
  if (nulls !== null) found.push(nulls);
  if (reference.kind === 'numeric' && current.kind === 'numeric' && nulls?.kind !== 'all-null') {
    const range = outOfRangeIncident(name, reference, current);
    if (range !== null) found.push(range);
  }
  return found;
}

/**
 * The row collapse of a batch, or null: the current batch has no rows while the reference had some, or every
 * tested column has no non-null value while the reference had values. The signature knows only total rows,
 * not the rows a batch is expected to hold, so a partial collapse shows as null surges instead.
 */
export function rowCollapseIncident(
  rowCount: { readonly reference: number; readonly current: number },
  columns: readonly { readonly reference: ColumnSignature; readonly current: ColumnSignature }[],
): Incident | null {
  if (rowCount.reference > 0 && rowCount.current === 0) {
    return { kind: 'row-collapse', detail: `The current batch has no rows (the reference has ${rowCount.reference}).` };
  }
  const values = (c: ColumnSignature): number => c.count - c.nulls;
  if (columns.length === 0 || !columns.every((c) => values(c.current) === 0) || !columns.some((c) => values(c.reference) > 0)) return null;
  return { kind: 'row-collapse', detail: `Every feature is empty in the current batch (${rowCount.current} rows, no non-null values; the reference has ${rowCount.reference} rows).` };
}
