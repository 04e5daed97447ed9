/**
 * Arrow IPC (file and stream formats) through apache-arrow's async readers over the ByteSource.
 * File format: the footer is read first (random access through a FileHandle-like view of the source) and
 * each record batch is read when iterated. Stream format: read front to back in fixed-size chunks. Either
 * way one record batch is in memory at a time; all of its columns are decoded (an IPC record batch body
 * is one contiguous range), then only the requested ones are converted.
 */
import { decompressZstd } from 'hyparquet-compressors';
import {
  CompressionType,
  DataType,
  Message,
  compressionRegistry,
  RecordBatchReader,
  type Data,
  type Field,
  type RecordBatch,
  type Schema,
  type Vector,
} from 'apache-arrow';
import type { ColumnBatch, ColumnChunk, ColumnField } from '../core/columns.js';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { columnFieldOf, toColumnChunk, type RawArray, type RawType, type TimeUnit } from './arrow-columns.js';
import type { BatchFile } from './columnar-reader.js';
import { messageOf, selectColumns } from './parquet-reader.js';

/** Chunk size for reading the stream format front to back. */
const STREAM_CHUNK_BYTES = 4 * 1024 * 1024;
/** Parallel metadata reads when counting the rows of an Arrow file. */
const HEADER_READ_CONCURRENCY = 8;

// IPC body compression: ZSTD is decoded with the pure-JS zstd decoder we already ship for Parquet
// fallbacks. LZ4_FRAME has no decoder here: such files fail with a message saying so.
if (!compressionRegistry.get(CompressionType.ZSTD)) {
  compressionRegistry.set(CompressionType.ZSTD, {
    decode: (data: Uint8Array) => {
      const out = decompressZstd(data);
      // apache-arrow views the result as typed arrays: it must start 8-byte aligned.
      return out.byteOffset % 8 === 0 ? out : out.slice();
    },
  });
}

/** apache-arrow's message when a body codec is missing, turned into advice. */
function explain(error: unknown): string {
  const text = messageOf(error);
  return /compressed but codec not found/.test(text)
    ? `${text} (LZ4_FRAME-compressed IPC is not supported; write it uncompressed or with zstd)`
    : text;
}

interface Failures {
  first?: unknown;
}

/** apache-arrow's view of a file handle: `fd` and `stat` make it choose random access. */
function fileHandleLike(source: ByteSource, failures: Failures): unknown {
  return {
    fd: -1,
    stat: () => Promise.resolve({ size: source.byteLength }),
    read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      try {
        const bytes = await source.read(position, position + length);
        buffer.set(bytes, offset);
        return { bytesRead: bytes.byteLength, buffer };
      } catch (error) {
        failures.first ??= error;
        throw error;
      }
    },
    close: () => Promise.resolve(),
  };
}

async function* streamChunks(source: ByteSource, failures: Failures): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < source.byteLength; start += STREAM_CHUNK_BYTES) {
    try {
      yield await source.read(start, Math.min(source.byteLength, start + STREAM_CHUNK_BYTES));
    } catch (error) {
      failures.first ??= error;
      throw error;
    }
  }
}

type AsyncReader = AsyncIterable<RecordBatch> & {
  readonly schema: Schema;
  readonly footer: { readonly numRecordBatches: number; getRecordBatch(i: number): { offset: number; metaDataLength: number } | null } | null;
  open(): Promise<unknown>;
  isFile(): boolean;
};

async function openReader(source: ByteSource, format: 'arrow-file' | 'arrow-stream', failures: Failures): Promise<AsyncReader> {
  const input = format === 'arrow-file' ? fileHandleLike(source, failures) : streamChunks(source, failures);
  const reader = (await RecordBatchReader.from(input as never)) as unknown as AsyncReader;
  await reader.open();
  if (!reader.schema) throw new Error('no schema message');
  return reader;
}

/** Open an Arrow IPC file or stream whose leading bytes were already checked. */
export async function openArrowIpc(source: ByteSource, format: 'arrow-file' | 'arrow-stream'): Promise<BatchFile> {
  const failures: Failures = {};
  let reader: AsyncReader;
  let rowCount: number | undefined;
  try {
    reader = await openReader(source, format, failures);
    rowCount = format === 'arrow-file' ? await countFileRows(source, reader) : undefined;
  } catch (error) {
    if (failures.first !== undefined) throw failures.first;
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(source.name, `unreadable Arrow IPC ${kindOf(format)}: ${messageOf(error)}`, { cause: error });
  }
  const schema = reader.schema.fields.map((field) => columnFieldOf(field.name, rawTypeOf(field.type), field.nullable));
  return new ArrowBatchFile(source, format, schema, rowCount, reader);
}

function kindOf(format: 'arrow-file' | 'arrow-stream'): string {
  return format === 'arrow-file' ? 'file' : 'stream';
}

/** Sum the record batch lengths from each batch's metadata message (small reads; bodies untouched). */
async function countFileRows(source: ByteSource, reader: AsyncReader): Promise<number> {
  const footer = reader.footer;
  if (!footer) throw new Error('no footer');
  const blocks = Array.from({ length: footer.numRecordBatches }, (_, i) => footer.getRecordBatch(i));
  let total = 0;
  for (let i = 0; i < blocks.length; i += HEADER_READ_CONCURRENCY) {
    const counts = await Promise.all(
      blocks.slice(i, i + HEADER_READ_CONCURRENCY).map(async (block, k) => {
        if (!block) throw new Error(`record batch ${i + k}: missing footer block`);
        if (block.offset + block.metaDataLength > source.byteLength) {
          throw new InvalidInputError(
            source.name,
            `truncated: record batch ${i + k} ends at byte ${block.offset + block.metaDataLength}, after the end of the file (${source.byteLength} bytes)`,
          );
        }
        const bytes = await source.read(block.offset, block.offset + block.metaDataLength);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const continued = view.getInt32(0, true) === -1;
        const length = view.getInt32(continued ? 4 : 0, true);
        const start = continued ? 8 : 4;
        const message = Message.decode(bytes.subarray(start, start + length));
        if (!message.isRecordBatch()) throw new Error(`record batch ${i + k}: footer points at a non-record-batch message`);
        return message.header().length;
      }),
    );
    for (const c of counts) total += c;
  }
  return total;
}

class ArrowBatchFile implements BatchFile {
  readonly name: string;
  private used = false;

  constructor(
    private readonly source: ByteSource,
    readonly format: 'arrow-file' | 'arrow-stream',
    readonly schema: readonly ColumnField[],
    readonly rowCount: number | undefined,
    private reader: AsyncReader | undefined,
  ) {
    this.name = source.name;
  }

  async *batches(columns?: readonly string[]): AsyncIterable<ColumnBatch> {
    const wanted = selectColumns(this.source.name, this.schema, columns);
    const failures: Failures = {};
    // The reader opened for the schema serves the first pass; later passes reopen the source.
    const reader = !this.used && this.reader ? this.reader : await this.reopen(failures);
    this.used = true;
    this.reader = undefined;
    let index = 0;
    const iterator = reader[Symbol.asyncIterator]();
    for (;;) {
      let batch: RecordBatch | undefined;
      try {
        const next = await iterator.next();
        if (next.done) break;
        batch = next.value;
      } catch (error) {
        if (failures.first !== undefined) throw failures.first;
        throw new InvalidInputError(
          this.source.name,
          `failed to decode Arrow record batch ${index}: ${explain(error)}`,
          { cause: error },
        );
      }
      yield toColumnBatch(batch, wanted);
      index++;
    }
  }

  private async reopen(failures: Failures): Promise<AsyncReader> {
    try {
      return await openReader(this.source, this.format, failures);
    } catch (error) {
      if (failures.first !== undefined) throw failures.first;
      throw new InvalidInputError(this.source.name, `unreadable Arrow IPC ${kindOf(this.format)}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
}

function toColumnBatch(batch: RecordBatch, wanted: readonly string[]): ColumnBatch {
  const columns = new Map<string, ColumnChunk>();
  const fields = batch.schema.fields;
  const children = batch.data.children;
  for (const name of wanted) {
    const index = fields.findIndex((f: Field) => f.name === name);
    if (index < 0) continue;
    const chunk = toColumnChunk(rawArrayOf(children[index]));
    if (chunk) columns.set(name, chunk);
  }
  return { rowCount: batch.numRows, columns };
}

const ARROW_UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'ns'];

/** apache-arrow DataType -> RawType. */
export function rawTypeOf(type: DataType): RawType {
  if (DataType.isBool(type)) return { kind: 'bool' };
  if (DataType.isInt(type)) {
    return { kind: 'int', bits: type.bitWidth as 8 | 16 | 32 | 64, signed: type.isSigned };
  }
  if (DataType.isFloat(type)) return { kind: 'float', bits: ([16, 32, 64] as const)[type.precision] };
  if (DataType.isDecimal(type)) {
    const bits = type.bitWidth;
    if (bits === 32 || bits === 64 || bits === 128 || bits === 256) {
      return { kind: 'decimal', bits, precision: type.precision, scale: type.scale };
    }
  }
  if (DataType.isUtf8(type)) return { kind: 'utf8', large: false };
  if (DataType.isLargeUtf8(type)) return { kind: 'utf8', large: true };
  if (DataType.isDate(type)) return { kind: 'date', unit: type.unit === 0 ? 'day' : 'ms' };
  if (DataType.isTimestamp(type)) {
    const unit = ARROW_UNITS[type.unit];
    return type.timezone ? { kind: 'timestamp', unit, timezone: type.timezone } : { kind: 'timestamp', unit };
  }
  if (DataType.isDictionary(type)) {
    const index = rawTypeOf(type.indices);
    if (index.kind === 'int') return { kind: 'dictionary', index, value: rawTypeOf(type.dictionary) };
  }
  return { kind: 'other', name: String(type) };
}

function bytesOf(array: ArrayBufferView | undefined | null): Uint8Array | undefined {
  return array ? new Uint8Array(array.buffer, array.byteOffset, array.byteLength) : undefined;
}

/** apache-arrow Data -> RawArray: value buffers are pre-sliced (valueOffset 0), bitmaps are not. */
function rawArrayOf(data: Data, type: RawType = rawTypeOf(data.type)): RawArray {
  const isUtf8 = type.kind === 'utf8';
  let dictionary: RawArray | undefined;
  if (type.kind === 'dictionary' && data.dictionary) dictionary = dictionaryArrayOf(data.dictionary, type.value);
  return {
    type,
    length: data.length,
    nullCount: data.nullCount,
    valueOffset: 0,
    bitOffset: data.offset,
    validity: data.nullCount === 0 ? undefined : bytesOf(data.nullBitmap),
    values: bytesOf(isUtf8 ? data.valueOffsets : data.values),
    data: isUtf8 ? bytesOf(data.values) : undefined,
    dictionary,
  };
}

function dictionaryArrayOf(vector: Vector, type: RawType): RawArray {
  if (vector.data.length === 1) return rawArrayOf(vector.data[0], type);
  if (type.kind !== 'utf8') {
    // Rare (numeric dictionary with delta batches): leave the column out rather than guess.
    return { ...rawArrayOf(vector.data[0], type), type: { kind: 'other', name: 'Dictionary (delta)' } };
  }
  // A dictionary grown by delta batches spans several chunks: rebuild it as one utf8 array.
  const values = Array.from(vector as Iterable<unknown>, (v) => (v === null || v === undefined ? null : String(v)));
  const encoder = new TextEncoder();
  const encoded = values.map((v) => encoder.encode(v ?? ''));
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i] + encoded[i].byteLength;
  const bytes = new Uint8Array(offsets[values.length]);
  encoded.forEach((e, i) => bytes.set(e, offsets[i]));
  const validity = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null) nulls++;
    else validity[i >> 3] |= 1 << (i & 7);
  });
  return {
    type: { kind: 'utf8', large: false },
    length: values.length,
    nullCount: nulls,
    valueOffset: 0,
    bitOffset: 0,
    validity,
    values: bytesOf(offsets),
    data: bytes,
    dictionary: undefined,
  };
}
