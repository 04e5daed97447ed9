/**
 * The batch reader: Parquet or Arrow IPC (file or stream) over a ByteSource, one row group / record
 * batch at a time, only the columns asked for, converted to the core's ColumnBatch.
 *
 * Decoder choice, measured 2026-11-26 on this 2-core machine while other jobs ran (load average 2 to 17,
 * so wall times are noisy; CPU times are steadier). File: 2M rows x 12 nullable columns written by pyarrow
 * (5 float64, 3 int64, 2 low-cardinality strings, 1 bool, 1 timestamp[us]), 2 row groups of 1M rows,
 * 121 MiB snappy / 109 MiB zstd:
 *   - hyparquet + hyparquet-compressors (parquetRead per row group, onChunk): 10.8-15.2 s wall for all
 *     columns, 450-630 ms per 1M values, 730-750 MB RSS (boxed JS arrays for nullable columns).
 *   - parquet-wasm ParquetFile.read({rowGroups:[g], columns}) + Table.intoIPCStream + apache-arrow
 *     tableFromIPC: 4.5 s wall (decode 2.1 s + IPC serialisation 1.7 s), 680-760 MB RSS (the IPC copy).
 *   - parquet-wasm ParquetFile.read + Table.intoFFI, columns copied straight out of wasm memory by our own
 *     C-data-interface reader (arrow-c-data.ts) into Float64Array / dictionary indices (what this reader
 *     does): decode 1.1 s + conversion 0.6 s at load 2; through openBatchFile at load 15: 2.2 s CPU
 *     (snappy) / 3.8 s CPU (zstd) for all 24M values, ~90 ms CPU per 1M values, peak RSS 490 MB (one
 *     1M-row group of 12 columns); signSources on the same file: 3.0 s CPU. One float64 column of that
 *     file: 15 MiB read of 121 MiB, 1.1 s wall.
 *   => parquet-wasm + FFI: 4-6x faster than hyparquet with about half its memory. parquet-wasm is opened
 *   over a Blob view of the ByteSource (byte-views.ts; its glue duck-types `size`, `slice`, `arrayBuffer`),
 *   so it reads the footer, then only the requested column chunks. Its whole-file readParquet and fromUrl are
 *   not used (they read everything). hyparquet is still used, on error paths only: to name the column
 *   and cause when parquet-wasm fails on a row group (parquet-wasm-host.ts contains its panics).
 * Strings arrive as Arrow Utf8 (unless the writer stored a dictionary type, then the dictionary is reused):
 * they are dictionary-encoded by hashing their bytes, so each distinct value becomes a JS string once per
 * batch. Arrow IPC is read with apache-arrow (zstd- and LZ4_FRAME-compressed bodies too).
 */
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import type { BatchFile, BatchFormat, ReaderOptions } from './batch-file.js';
import { openParquet } from './parquet-reader.js';

// The reader's types live below both readers (batch-file.ts); re-exported for the callers of openBatchFile.
export type { BatchFile, BatchFormat, BatchOptions, ReadUnit, ReaderOptions, UnitRange } from './batch-file.js';
export { DEFAULT_MEMORY_BUDGET } from './batch-file.js';

const PARQUET_MAGIC = 'PAR1';
const ARROW_MAGIC = 'ARROW1';

/**
 * Detect the format by its magic bytes, read the footer/schema and return a BatchFile; a file that is
 * empty, truncated, of another format or with an unreadable footer throws InvalidInputError naming it, and so
 * does one whose declared sizes exceed the file or `options.memoryBudget` (checked before anything is allocated).
 * @example
 * const file = await openBatchFile(await fileByteSource('batch.parquet'));
 * for await (const batch of file.batches(['age', 'country'])) signatureBuilder.add(batch);
 */
export async function openBatchFile(source: ByteSource, options: ReaderOptions = {}): Promise<BatchFile> {
  if (source.byteLength === 0) throw new InvalidInputError(source.name, 'empty file (0 bytes)');
  // One read of the file's end serves the magic check and (usually) the whole footer the decoders read
  // next: two fewer round trips per file on S3.
  const tailStart = Math.max(0, source.byteLength - TAIL_BYTES);
  const cached = withCachedRange(source, tailStart, await source.read(tailStart, source.byteLength));
  const format = await detectFormat(cached);
  if (format === 'parquet') return openParquet(cached, options);
  // Loaded for Arrow files only: apache-arrow costs a Parquet reader memory it never uses.
  const { openArrowIpc } = await import('./arrow-ipc-reader.js');
  return openArrowIpc(cached, format, options);
}

/** Bytes read from the end of each file up front. */
const TAIL_BYTES = 64 * 1024;

/** A ByteSource that answers reads inside [start, start + bytes.length) from memory. */
function withCachedRange(source: ByteSource, start: number, bytes: Uint8Array): ByteSource {
  const end = start + bytes.byteLength;
  return {
    name: source.name,
    byteLength: source.byteLength,
    read: (from, to, into) => {
      const clampedTo = Math.min(to, source.byteLength);
      if (from >= start && clampedTo <= end && from <= clampedTo) {
        return Promise.resolve(bytes.subarray(from - start, clampedTo - start));
      }
      return source.read(from, to, into);
    },
    ...(source.readAheadBytes !== undefined ? { readAheadBytes: source.readAheadBytes } : {}),
  };
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
