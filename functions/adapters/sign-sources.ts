/**
 * Sign batch files: read each file (one after another, one row group at a time, only the columns the
 * signature needs) into its own SignatureBuilder, then merge. Each file gets its own builder because
 * schemas may differ between files; the merge reconciles them. Every InvalidInputError names the file it
 * came from (the builder, which knows no file, says `<schema>` or `<batch>`).
 */
import { openBatchFile, type ReaderOptions, type UnitRange } from './columnar-reader.js';
import { ConfigError, InvalidInputError } from '../core/errors.js';
import type { ColumnBatch } from '../core/columns.js';
import type { ByteSource } from '../core/ports.js';
import { mergeAll, SignatureBuilder, type DatasetSignature, type SignatureOptions } from '../core/signature/index.js';

/** Progress of the file being read: rows read so far out of the file's total (when known). */
export interface SignProgress {
  file: string;
  rowsDone: number;
  rowsTotal: number | undefined;
}

/** signSources options: the signature options plus a progress callback and the reader's options. */
export type SignSourcesOptions = SignatureOptions & {
  /** Called when a file starts and after each of its batches. @default undefined */
  onProgress?: (progress: SignProgress) => void;
  /** How each file is read, e.g. its memory budget. @default {} (DEFAULT_MEMORY_BUDGET, 256 MiB per file) */
  reader?: ReaderOptions;
  /** Sign only units [start, end) of each file (row groups / record batches; a scale-out work item). @default every unit */
  range?: UnitRange;
  /** Sees every batch read, with its source's name, before the next is read (its arrays may be reused after). @default undefined */
  onBatch?: (source: string, batch: ColumnBatch) => void;
};

/**
 * Compute the merged signature of one or more Parquet / Arrow IPC sources (sources = their names).
 * @example
 * const signature = await signSources([await fileByteSource('batch.parquet')], { roles: { id: 'ignored' } });
 */
export async function signSources(
  sources: readonly ByteSource[],
  options: SignSourcesOptions = {},
): Promise<DatasetSignature> {
  if (sources.length === 0) throw new ConfigError('signSources', 'no sources to sign (expected at least one file)');
  const { onProgress, reader, range, onBatch, ...signatureOptions } = options;
  const signatures: DatasetSignature[] = [];
  for (const source of sources) {
    try {
      signatures.push(await signOne(source, signatureOptions, reader, onProgress, range, onBatch));
    } catch (error) {
      throw namingSource(source.name, error);
    }
  }
  return mergeAll(signatures);
}

async function signOne(
  source: ByteSource,
  options: SignatureOptions,
  reader: ReaderOptions | undefined,
  onProgress: ((progress: SignProgress) => void) | undefined,
  range?: UnitRange,
  onBatch?: (source: string, batch: ColumnBatch) => void,
): Promise<DatasetSignature> {
  const file = await openBatchFile(source, reader);
  const builder = new SignatureBuilder(file.schema, options);
  let rowsDone = 0;
  onProgress?.({ file: source.name, rowsDone, rowsTotal: file.rowCount });
  // Each batch is folded into the builder before the next is requested: its arrays can be reused. Column parts
  // (memory bounded by one column chunk) unless a caller watches whole rows (onBatch: the review sample), which
  // then reads whole row groups as before.
  const columnParts = builder.acceptsParts && onBatch === undefined;
  const counted = columnParts ? { countedColumns: builder.countedColumns } : {};
  for await (const batch of file.batches(builder.columns, { reuseBuffers: true, columnParts, ...counted, ...(range ? { range } : {}) })) {
    builder.add(batch);
    onBatch?.(source.name, batch);
    // Column parts (memory bounded by a column chunk): the unit's rows count once, on its last part.
    if (batch.part !== undefined && batch.part.unitRows === undefined) continue;
    rowsDone += batch.part?.unitRows ?? batch.rowCount;
    onProgress?.({ file: source.name, rowsDone, rowsTotal: file.rowCount });
  }
  return builder.finish([source.name]);
}

/** Placeholders the signature builder names, knowing no file: `<schema>` (duplicate columns), `<batch>`. */
const UNNAMED = new Set(['<schema>', '<batch>']);

/** The builder's InvalidInputError about `<schema>` or `<batch>`, renamed after the file it came from. */
function namingSource(name: string, error: unknown): unknown {
  if (error instanceof InvalidInputError && UNNAMED.has(error.file)) return new InvalidInputError(name, error.reason, { cause: error });
  return error;
}
