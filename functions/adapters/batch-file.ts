/**
 * What every batch reader returns (BatchFile) and the rules they share: which columns a request means and
 * how a decoder's error becomes one line of a message. Both readers (parquet-reader.ts, arrow-ipc-reader.ts)
 * and the dispatcher (columnar-reader.ts) build on this module; it imports none of them.
 */
import type { ColumnBatch, ColumnField } from '../core/columns.js';
import { ConfigError, InvalidInputError } from '../core/errors.js';

export type BatchFormat = 'parquet' | 'arrow-file' | 'arrow-stream';

/** An opened batch file: its schema up front, then its batches on demand. */
export interface BatchFile {
  readonly name: string;
  readonly format: BatchFormat;
  readonly schema: readonly ColumnField[];
  /** Known up front for Parquet and the Arrow file format; undefined for Arrow streams. */
  readonly rowCount: number | undefined;
  /**
   * One ColumnBatch per Parquet row group / Arrow record batch, with only `columns` (default: every
   * column whose type is not `other`). Unknown column names throw InvalidInputError.
   */
  batches(columns?: readonly string[], options?: BatchOptions): AsyncIterable<ColumnBatch>;
  /**
   * The file's read units (Parquet row groups, Arrow file record batches) with their rows and bytes, for a
   * signing plan (core/signature/plan.ts); undefined for an Arrow stream, whose batches are known only by
   * reading it (a plan signs it whole).
   */
  units(): Promise<readonly ReadUnit[] | undefined>;
}

/** One unit a reader reads at a time: a Parquet row group or an Arrow record batch. */
export interface ReadUnit {
  readonly rows: number;
  /** Bytes stored in the file (Parquet: its column chunks; Arrow: the batch's body). */
  readonly bytes: number;
  /** Bytes once decoded (Parquet: the chunks' uncompressed size; Arrow: the body, which is not compressed or is decoded to about its size). */
  readonly decodedBytes: number;
}

/** Units [start, end) of a file: Parquet row groups or Arrow record batches, `end` exclusive. */
export interface UnitRange {
  readonly start: number;
  readonly end: number;
}

/** How `BatchFile.batches` hands out its chunks. */
export interface BatchOptions {
  /**
   * Reuse the chunks' arrays from batch to batch (Parquet and Arrow IPC): a batch's chunks are then valid only until
   * the next batch is requested or the iteration ends (a later read in the thread may reuse them), so consume
   * each batch before asking for the next (as SignatureBuilder does). Saves allocating, zeroing and collecting
   * ~8 MB per 1M-row column per row group.
   * @default false
   */
  readonly reuseBuffers?: boolean;
  /**
   * Read only units [start, end) (Parquet row groups, Arrow record batches); a range past the file's units
   * throws InvalidInputError naming the file. Signatures of disjoint ranges merge to the whole file's.
   * @default - every unit
   */
  readonly range?: UnitRange;
  /**
   * Hand each Parquet row group out one column chunk at a time (ColumnBatch.part), so memory is bounded by a
   * column chunk, not a row group; the consumer must accept parts (SignatureBuilder.acceptsParts). Arrow IPC
   * ignores it (a record batch's columns are views of one body already read). @default false
   */
  readonly columnParts?: boolean;
  /**
   * With columnParts: the columns a caller takes as counted chunks (ColumnBatch.counted: distinct values and
   * their row counts, for a per-column numeric accumulator). A reader gives one where a column chunk is
   * dictionary-encoded throughout (parquet-native.ts), rows otherwise. @default none
   */
  readonly countedColumns?: ReadonlySet<string>;
}

/**
 * The units [start, end) of a file with `count` units (undefined: an Arrow stream, checked as it is read),
 * checked: integers, start <= end, end <= count; throws InvalidInputError naming the file.
 */
export function rangeOf(file: string, range: UnitRange | undefined, count: number | undefined, unit: string): UnitRange {
  if (range === undefined) return { start: 0, end: count ?? Number.POSITIVE_INFINITY };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new InvalidInputError(file, `bad ${unit} range [${start}, ${end}): expected integers with 0 <= start <= end`);
  }
  if (count !== undefined && end > count) {
    throw new InvalidInputError(file, `${unit} range [${start}, ${end}) is past the file's ${count} ${unit}s`);
  }
  return { start, end };
}

/** The working set one file may make a reader allocate, unless ReaderOptions say otherwise: 256 MiB. */
export const DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024;

/** How a reader opens a file. */
export interface ReaderOptions {
  /**
   * Bytes one file may make the reader allocate. Every size the file declares is checked against it (and
   * against the file's size) before anything is allocated: the footer, column chunks, pages and dictionary
   * pages (compressed and uncompressed), a row group's rows x 8 bytes (one decoded column), Arrow messages,
   * bodies and buffers. A file over it is refused with InvalidInputError naming the field, never read
   * halfway into an out-of-memory kill. A 1024 MB Lambda holds one file's working set several times over.
   * @default 268435456 (DEFAULT_MEMORY_BUDGET, 256 MiB)
   */
  readonly memoryBudget?: number;
  /**
   * What decodes Parquet pages. 'native' decodes, in JS, every column chunk whose codec, encodings and type it
   * supports (parquet-native.ts: flat columns, PLAIN and dictionary encodings, uncompressed, snappy, gzip and,
   * where node:zlib has it, zstd) and hands any other chunk to parquet-wasm; 'wasm' sends every chunk to
   * parquet-wasm (for comparison: both must give the same signature). @default 'native'
   */
  readonly parquetDecoder?: 'native' | 'wasm';
}

/** The budget of `options`, checked: a positive integer number of bytes. */
export function memoryBudgetOf(options: ReaderOptions | undefined): number {
  const budget = options?.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  if (!Number.isSafeInteger(budget) || budget <= 0) {
    throw new ConfigError('reader options', `memoryBudget must be a positive integer number of bytes, got ${budget}`);
  }
  return budget;
}

/** "256 MiB memory budget", for messages. */
export function describeBudget(budget: number): string {
  const size = budget % (1024 * 1024) === 0 ? `${budget / (1024 * 1024)} MiB` : budget % 1024 === 0 ? `${budget / 1024} KiB` : `${budget}-byte`;
  return `${size} memory budget`;
}

/** The error for a declared size over the budget: names the file, where, the field and the size. */
export function overBudget(file: string, where: string, field: string, bytes: number, budget: number): InvalidInputError {
  return new InvalidInputError(file, `${where}: declares ${bytes} bytes (${field}), over the ${describeBudget(budget)}`);
}

/** Requested columns (default: every column the reader can convert), validated against the schema. */
export function selectColumns(file: string, schema: readonly ColumnField[], columns: readonly string[] | undefined): string[] {
  if (columns === undefined) return schema.filter((f) => f.type !== 'other').map((f) => f.name);
  const known = new Set(schema.map((f) => f.name));
  const missing = columns.filter((c) => !known.has(c));
  if (missing.length > 0) {
    throw new InvalidInputError(
      file,
      `no column ${missing.map((m) => `'${m}'`).join(', ')} (the file has ${schema.map((f) => `'${f.name}'`).join(', ')})`,
    );
  }
  return [...new Set(columns)];
}

/** One readable line of a decoder's error (wasm errors arrive as Error, string or JsValue-ish objects). */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].trim() || 'unknown error';
}
