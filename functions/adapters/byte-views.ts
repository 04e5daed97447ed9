/**
 * Our ByteSource as each decoder library wants to see it, one view per library, each a few lines (as
 * hyparquet's `asyncBufferFromFile`): hyparquet's AsyncBuffer, a Blob-like window for parquet-wasm, a
 * Node FileHandle for apache-arrow. The readers never adapt a source themselves.
 */
import type { FileHandle } from 'node:fs/promises';
import type { AsyncBuffer } from 'hyparquet';
import type { ByteSource } from '../core/ports.js';

/** The first error a source threw, kept so a reader can rethrow it instead of a library's copy of it. */
export interface ReadFailures {
  first?: unknown;
}

/** The same source, noting in `failures` the first error its reads throw (an S3 error, a vanished file). */
export function recordFailures(source: ByteSource, failures: ReadFailures): ByteSource {
  return {
    name: source.name,
    byteLength: source.byteLength,
    read: async (start, end, into) => {
      try {
        return await source.read(start, end, into);
      } catch (error) {
        failures.first ??= error;
        throw error;
      }
    },
  };
}

/** hyparquet's AsyncBuffer over a ByteSource. */
export function asAsyncBuffer(source: ByteSource): AsyncBuffer {
  return {
    byteLength: source.byteLength,
    slice: async (start, end) => toArrayBuffer(await source.read(start, end ?? source.byteLength)),
  };
}

/**
 * A Blob over a ByteSource for parquet-wasm's `ParquetFile.fromFile`: its glue uses only `size`, `slice`
 * and `arrayBuffer`, so it reads the footer and then just the column chunks asked for.
 */
export function asBlob(source: ByteSource): Blob {
  return blobWindow(source, 0, source.byteLength) as unknown as Blob;
}

interface BlobWindow {
  readonly size: number;
  slice(start?: number, end?: number): BlobWindow;
  arrayBuffer(): Promise<ArrayBuffer>;
}

function blobWindow(source: ByteSource, start: number, end: number): BlobWindow {
  const size = end - start;
  return {
    size,
    slice: (from = 0, to = size) => {
      const first = start + clampIndex(from, size);
      return blobWindow(source, first, Math.max(first, start + clampIndex(to, size)));
    },
    arrayBuffer: async () => toArrayBuffer(await source.read(start, end)),
  };
}

/** Blob.slice's indices: negative ones count from the end. */
function clampIndex(index: number, size: number): number {
  return index < 0 ? Math.max(0, size + index) : Math.min(index, size);
}

/**
 * A Node FileHandle over a ByteSource for apache-arrow: `fd` and `stat` make RecordBatchReader.from read at
 * random. The IPC reader no longer uses it (it verifies each flatbuffer before apache-arrow decodes it, which
 * RecordBatchReader does not allow); kept for callers of apache-arrow's own readers.
 */
export function asFileHandle(source: ByteSource): FileHandle {
  const handle = {
    fd: -1,
    stat: () => Promise.resolve({ size: source.byteLength }),
    read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      const bytes = await source.read(position, position + length);
      buffer.set(bytes, offset);
      return { bytesRead: bytes.byteLength, buffer };
    },
    close: () => Promise.resolve(),
  };
  return handle as unknown as FileHandle;
}

/** The bytes as a whole ArrayBuffer: the source's own when it is exactly that, else a copy. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : (bytes.slice().buffer as ArrayBuffer);
}
