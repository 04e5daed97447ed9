/**
 * Sign batch files: read each file (one after another, one row group at a time, only the columns the
 * signature needs) into its own SignatureBuilder, then merge. Each file gets its own builder because
 * schemas may differ between files; the merge reconciles them.
 */
import { openBatchFile } from './columnar-reader.js';
import { ConfigError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { mergeAll, SignatureBuilder, type DatasetSignature, type SignatureOptions } from '../core/signature/index.js';

/** Progress of the file being read: rows read so far out of the file's total (when known). */
export interface SignProgress {
  file: string;
  rowsDone: number;
  rowsTotal: number | undefined;
}

/** signSources options: the signature options plus a progress callback. */
export type SignSourcesOptions = SignatureOptions & {
  /** Called when a file starts and after each of its batches. @default undefined */
  onProgress?: (progress: SignProgress) => void;
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
  const { onProgress, ...signatureOptions } = options;
  const signatures: DatasetSignature[] = [];
  for (const source of sources) {
    const file = await openBatchFile(source);
    const builder = new SignatureBuilder(file.schema, signatureOptions);
    let rowsDone = 0;
    onProgress?.({ file: source.name, rowsDone, rowsTotal: file.rowCount });
    // Each batch is folded into the builder before the next is requested: its arrays can be reused.
    for await (const batch of file.batches(builder.columns, { reuseBuffers: true })) {
      builder.add(batch);
      rowsDone += batch.rowCount;
      onProgress?.({ file: source.name, rowsDone, rowsTotal: file.rowCount });
    }
    signatures.push(builder.finish([source.name]));
  }
  return mergeAll(signatures);
}
