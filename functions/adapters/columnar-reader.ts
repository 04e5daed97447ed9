/**
 * The batch reader: Parquet or Arrow IPC (file or stream) over a ByteSource, one row group / record
 * batch at a time, only the columns asked for, converted to the core's ColumnBatch.
 *
 * Decoder choice (measured 2026-11-26 on this 2-core machine, other jobs running, so absolute numbers are
 * noisy; a 2M-row x 12 nullable column pyarrow file, 2 row groups of 1M rows: 5 float64, 3 int64, 2 low-
 * cardinality strings, 1 bool, 1 timestamp[us]; 121 MiB snappy / 109 MiB zstd):
 *   - hyparquet + hyparquet-compressors (parquetRead per row group, onChunk):  10.8 s for all columns,
 *     ~450 ms per 1M values, 747 MB RSS (boxed JS arrays for nullable columns).
 *   - parquet-wasm ParquetFile.read({rowGroups:[g], columns}) + Table.intoIPCStream + apache-arrow
 *     tableFromIPC: 4.5 s (decode 2.1 s + IPC serialisation 1.7 s), 676-758 MB RSS (the IPC copy).
 *   - parquet-wasm ParquetFile.read + Table.intoFFI, columns copied straight out of wasm memory by our
 *     own C-data-interface reader (arrow-c-data.ts) into Float64Array / dictionary indices: decode 1.1-1.8 s
 *     + conversion 0.6 s for the 24M values (~70 ms per 1M values end to end, snappy), 332 MB RSS.
 *   => parquet-wasm + FFI: 4-6x faster than hyparquet and half the memory of the IPC route. parquet-wasm
 *   is opened over a Blob-like window of the ByteSource (it duck-types `size`, `slice`, `arrayBuffer`),
 *   so it reads the footer and then only the requested column chunks: one float64 column of that file
 *   took 15 MiB of reads out of 121 MiB. Its whole-file readParquet and fromUrl are not used (they read
 *   everything). Arrow IPC is read with apache-arrow (already JS arrays; no decoding to speak of).
 * Strings arrive as Arrow Utf8 (unless the writer stored a dictionary type): they are dictionary-encoded by
 * hashing their bytes, so each distinct value becomes a JS string once per batch.
 */
import type { ColumnBatch, ColumnField } from '../core/columns.js';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { openArrowIpc } from './arrow-ipc-reader.js';
import { openParquet } from './parquet-reader.js';

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
  batches(columns?: readonly string[]): AsyncIterable<ColumnBatch>;
}

const PARQUET_MAGIC = 'PAR1';
const ARROW_MAGIC = 'ARROW1';

/**
 * Detect the format by its magic bytes, read the footer/schema and return a BatchFile; a file that is
 * empty, truncated, of another format or with an unreadable footer throws InvalidInputError naming it.
 * @example
 * const file = await openBatchFile(await fileByteSource('batch.parquet'));
 * for await (const batch of file.batches(['age', 'country'])) signatureBuilder.add(batch);
 */
export async function openBatchFile(source: ByteSource): Promise<BatchFile> {
  const format = await detectFormat(source);
  return format === 'parquet' ? openParquet(source) : openArrowIpc(source, format);
}

/** Check magic bytes and the footer length; the reason of each failure says what was expected. */
export async function detectFormat(source: ByteSource): Promise<BatchFormat> {
  const size = source.byteLength;
  if (size === 0) throw new InvalidInputError(source.name, 'empty file (0 bytes)');
  const head = await source.read(0, Math.min(size, 8));
  if (ascii(head, 0, 4) === PARQUET_MAGIC) {
    if (size < 12) {
      throw new InvalidInputError(source.name, `truncated: ${size} bytes is too small for a Parquet file (at least 12)`);
    }
    const tail = await source.read(size - 8, size);
    const tailMagic = ascii(tail, 4, 8);
    if (tailMagic === 'PARE') {
      throw new InvalidInputError(source.name, 'encrypted Parquet footer (PARE) is not supported');
    }
    if (tailMagic !== PARQUET_MAGIC) {
      throw new InvalidInputError(
        source.name,
        'truncated: no PAR1 magic at the end of the file (cut short, or still being written?)',
      );
    }
    const footerLength = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
    if (footerLength > size - 12) {
      throw new InvalidInputError(
        source.name,
        `truncated: footer length ${footerLength} exceeds file size (${size} bytes)`,
      );
    }
    return 'parquet';
  }
  if (ascii(head, 0, 6) === ARROW_MAGIC) {
    const tail = await source.read(Math.max(0, size - 6), size);
    if (size < 12 || ascii(tail, 0, 6) !== ARROW_MAGIC) {
      throw new InvalidInputError(
        source.name,
        'truncated: no ARROW1 magic at the end of the Arrow IPC file (cut short, or still being written?)',
      );
    }
    return 'arrow-file';
  }
  if (head.byteLength >= 8) {
    const view = new DataView(head.buffer, head.byteOffset, 8);
    // An IPC stream starts with the continuation marker then the schema message length.
    if (view.getInt32(0, true) === -1) {
      const length = view.getInt32(4, true);
      if (length <= 0) {
        throw new InvalidInputError(source.name, `not a valid Arrow IPC stream (first message length ${length})`);
      }
      if (length > size - 8) {
        throw new InvalidInputError(
          source.name,
          `truncated: the Arrow IPC stream's schema message (${length} bytes) exceeds file size (${size} bytes)`,
        );
      }
      return 'arrow-stream';
    }
  }
  throw new InvalidInputError(
    source.name,
    `not a Parquet or Arrow IPC file (expected magic PAR1 or ARROW1 at the start, or an Arrow IPC stream; found ${preview(head)})`,
  );
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  if (bytes.byteLength < end) return '';
  return String.fromCharCode(...bytes.subarray(start, end));
}

function preview(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, 8);
  const printable = shown.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  return printable
    ? JSON.stringify(String.fromCharCode(...shown))
    : `bytes ${Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}
