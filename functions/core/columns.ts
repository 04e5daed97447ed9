/**
 * The in-memory shape a reader hands to the core: one row group (Parquet) or one record batch (Arrow)
 * at a time, only the columns asked for. The core never sees Arrow or Parquet types.
 */

/** Logical type of a column, as recorded in a signature's schema. */
export type LogicalType =
  | 'boolean'
  | 'int'
  | 'float'
  | 'decimal'
  | 'string'
  | 'date'
  | 'timestamp'
  | 'other';

/** How the engine treats a column. `time` columns are the batch's time axis, not features. */
export type ColumnRole = 'numeric' | 'categorical' | 'time' | 'ignored';

/** Schema entry of one column. */
export interface ColumnField {
  readonly name: string;
  readonly type: LogicalType;
  /** The writer's physical/Arrow type, for messages only (e.g. "Int64", "Utf8", "Timestamp<MICROSECOND>"). */
  readonly sourceType: string;
  readonly nullable: boolean;
}

/**
 * Values of one numeric column in one chunk. `values[i]` is meaningless where `nulls?.[i] === 1`.
 * Integers, decimals, floats, dates (milliseconds since epoch at midnight UTC) and timestamps (milliseconds since epoch) all
 * arrive as Float64Array: the conversion from bigint happens once, in the reader.
 */
export interface NumericChunk {
  readonly kind: 'numeric';
  readonly length: number;
  readonly values: Float64Array;
  /** One byte per row, 1 = null. Absent when the chunk has no nulls. */
  readonly nulls?: Uint8Array;
}

/**
 * Values of one string/boolean column in one chunk, dictionary-encoded: row i has the value
 * `dictionary[indices[i]]`, or is null when `indices[i] < 0`. Booleans use the dictionary ["false", "true"].
 */
export interface CategoricalChunk {
  readonly kind: 'categorical';
  readonly length: number;
  readonly dictionary: readonly string[];
  readonly indices: Int32Array;
}

export type ColumnChunk = NumericChunk | CategoricalChunk;

/**
 * A numeric column chunk as its distinct values and how many rows hold each: `counts[i]` rows have the value
 * `values[i]` (a count may be 0) and `nulls` rows are null; counts and nulls add up to `length`. What a
 * dictionary-encoded Parquet chunk holds, summarised without visiting its rows. Row order is gone, so it only
 * comes in a column part (ColumnBatch.counted), for a column the caller said a per-column accumulator takes.
 */
export interface CountedChunk {
  readonly kind: 'counted';
  readonly length: number;
  readonly values: Float64Array;
  readonly counts: Float64Array;
  readonly nulls: number;
}

/**
 * A string column chunk as its dictionary and how many rows hold each entry (`counts[i]` rows have
 * `dictionary[i]`; `nulls` rows are null): a dictionary-encoded Parquet string chunk, summarised without
 * building its rows. Comes only as CountedChunk does (ColumnBatch.counted).
 */
export interface CountedCategories {
  readonly kind: 'counted-categories';
  readonly length: number;
  readonly dictionary: readonly string[];
  readonly counts: Float64Array;
  readonly nulls: number;
}

/** One row group / record batch: the same row count in every column. */
export interface ColumnBatch {
  readonly rowCount: number;
  /** Keyed by column name; only the columns that were requested. */
  readonly columns: ReadonlyMap<string, ColumnChunk>;
  /**
   * Set when a reader hands a unit out a few columns at a time (a reader's `columnParts` option): this batch
   * holds `rowCount` rows of some of the unit's columns, and the unit's part that carries `unitRows` (its
   * last) closes it: every column must then have had exactly `unitRows` rows. @default undefined (a whole unit)
   */
  readonly part?: ColumnPart;
  /**
   * On a column part only, for columns the caller listed (BatchOptions.countedColumns): columns given as
   * counted chunks instead of rows (not also in `columns`). @default undefined (none)
   */
  readonly counted?: ReadonlyMap<string, CountedChunk | CountedCategories>;
}

/** A column part of a unit (see ColumnBatch.part). */
export interface ColumnPart {
  /** The unit's rows, on its last part only. */
  readonly unitRows?: number;
}
