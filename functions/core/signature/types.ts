import type { ColumnField, LogicalType } from '../columns.js';
import type { SliceSignatures } from './slices.js';

/**
 * CONTRACT (owned by the signature module; consumers: drift, lifecycle, report, CLI).
 * A signature is plain JSON: deterministic bytes for the same input, versioned, zod-validated when loaded.
 */

/** Serialised mergeable quantile sketch (DDSketch-style log buckets; see sketch.ts for the error bound). */
export interface QuantileSketchJson {
  readonly type: 'ddsketch';
  readonly relativeAccuracy: number;
  readonly zeroCount: number;
  /** Bucket index offset and dense counts, for positive and for negative values. */
  readonly positive: { readonly offset: number; readonly counts: readonly number[] };
  readonly negative: { readonly offset: number; readonly counts: readonly number[] };
}

/** Counts on fixed edges: counts.length === edges.length + 1 (below the first edge, between, above the last). */
export interface HistogramJson {
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

export interface NumericColumnSignature {
  readonly kind: 'numeric';
  readonly type: LogicalType;
  /** Rows seen, nulls included. */
  readonly count: number;
  readonly nulls: number;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  /** Finite values only (count - nulls - nan - posInf - negInf). */
  readonly finite: number;
  /** null when finite === 0. */
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number;
  /** Sum of squared deviations from the mean (Chan et al. mergeable moments); variance = m2 / finite. */
  readonly m2: number;
  readonly sketch: QuantileSketchJson;
  /** On the edges fixed by the reference (or chosen for a reference). */
  readonly histogram: HistogramJson | null;
  /**
   * Exact counts of the finite values while there are at most EXACT_VALUES_MAX (256) distinct ones (years,
   * counts, flags, ratings): values ascending, -0 as 0. Absent when there were more (dropped for good, also by
   * a merge that exceeds the cap) and in signatures written before it. See numeric.ts.
   */
  readonly exact?: ExactCountsJson;
  /**
   * A second sketch of (x − offset) / scale for a column far from zero relative to its spread, whose log
   * buckets would be too wide there (mean 1000, σ 7: 1.4 σ). Frame fixed by the reference. Absent otherwise,
   * and after merging two signatures with different frames. See numeric.ts.
   */
  readonly centred?: CentredSketchJson;
}

/** Exact value counts of a numeric column: values strictly ascending, counts aligned. */
export interface ExactCountsJson {
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/** A quantile sketch of (x − offset) / scale. */
export interface CentredSketchJson {
  readonly offset: number;
  readonly scale: number;
  readonly sketch: QuantileSketchJson;
}

export interface CategoricalColumnSignature {
  readonly kind: 'categorical';
  readonly type: LogicalType;
  readonly count: number;
  readonly nulls: number;
  /** [value, count], sorted by count desc then value asc; at most `k` entries. */
  readonly top: readonly (readonly [string, number])[];
  /** Non-null rows whose value is not in `top`. */
  readonly other: number;
  readonly k: number;
  /** Distinct-count estimate state (HyperLogLog registers, base64). */
  readonly distinct: { readonly type: 'hll'; readonly p: number; readonly registers: string };
}

/** Date/timestamp columns: the batch's time axis. Values in ms since epoch (dates: midnight UTC). */
export interface TimeColumnSignature {
  readonly kind: 'time';
  readonly type: LogicalType;
  readonly count: number;
  readonly nulls: number;
  readonly min: number | null;
  readonly max: number | null;
}

export type ColumnSignature = NumericColumnSignature | CategoricalColumnSignature | TimeColumnSignature;

export interface DatasetSignature {
  readonly schemaVersion: 1;
  readonly rowCount: number;
  readonly schema: readonly ColumnField[];
  /** Keyed by column name; columns whose role is `ignored` are absent. */
  readonly columns: Readonly<Record<string, ColumnSignature>>;
  /** Names of the sources merged into it (files or batch keys), sorted. */
  readonly sources: readonly string[];
  /** One signature per top-K value of each slice column (signature/slices.ts); absent when the model slices nothing. */
  readonly slices?: SliceSignatures;
}
