/**
 * Arrow IPC (file and stream formats) over the ByteSource, reading only what the requested columns need.
 * apache-arrow opens the file format (schema, footer) and decodes each message's flatbuffer metadata; the
 * bodies are read here: from a record batch's field nodes and buffer regions we locate the requested
 * columns' buffers (validity, offsets, values) and read just that span of the body, one column at a time,
 * convert it, and let it go. Dictionary batches are read only for requested dictionary columns. File
 * format: the footer gives each message's offset; stream format: messages are walked front to back, their
 * bodies skipped. Peak memory: one column's raw bytes plus the converted chunks (reused with `reuseBuffers`).
 */
import { decompressZstd } from 'hyparquet-compressors';
import {
  CompressionType,
  DataType,
  Message,
  compressionRegistry,
  RecordBatchReader,
  Type,
  type Schema,
} from 'apache-arrow';
import type { ColumnBatch, ColumnChunk, ColumnField } from '../core/columns.js';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { ChunkBuffers, columnFieldOf, toColumnChunk, type RawArray, type RawType, type TimeUnit } from './arrow-columns.js';
import type { BatchFile, BatchOptions } from './columnar-reader.js';
import { messageOf, selectColumns } from './parquet-reader.js';

/** Parallel metadata reads when counting the rows of an Arrow file. */
const HEADER_READ_CONCURRENCY = 8;
/** First read of a stream message: its prefix and (usually) all its metadata in one read. */
const STREAM_HEADER_READ_BYTES = 4096;

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

/** Where each message sits, from the Arrow file footer. */
interface FileBlockLike {
  readonly offset: number;
  readonly metaDataLength: number;
  readonly bodyLength: number;
}

interface FooterLike {
  readonly numRecordBatches: number;
  readonly numDictionaries: number;
  getRecordBatch(i: number): FileBlockLike | null;
  getDictionaryBatch(i: number): FileBlockLike | null;
}

/** apache-arrow's view of a file handle: `fd` and `stat` make it choose random access. */
function fileHandleLike(source: ByteSource, failures: { first?: unknown }): unknown {
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

/** The stream's schema message (its first message), read with the same metadata reader as the batches. */
async function readStreamSchema(source: ByteSource): Promise<Schema> {
  const first = await readMessageAt(source, 0);
  if (!first?.message.isSchema()) throw new Error('no schema message');
  return first.message.header();
}

interface Opened {
  readonly schema: Schema;
  readonly footer: FooterLike | null;
}

async function openSchema(source: ByteSource, format: 'arrow-file' | 'arrow-stream', failures: { first?: unknown }): Promise<Opened> {
  if (format === 'arrow-stream') return { schema: await readStreamSchema(source), footer: null };
  // The file format: apache-arrow reads the footer (and the small dictionary batches) through random access.
  const reader = (await RecordBatchReader.from(fileHandleLike(source, failures) as never)) as unknown as {
    readonly schema: Schema;
    readonly footer: FooterLike | null;
    open(): Promise<unknown>;
  };
  await reader.open();
  if (!reader.schema) throw new Error('no schema message');
  if (!reader.footer) throw new Error('no footer');
  return { schema: reader.schema, footer: reader.footer };
}

/** Open an Arrow IPC file or stream whose leading bytes were already checked. */
export async function openArrowIpc(source: ByteSource, format: 'arrow-file' | 'arrow-stream'): Promise<BatchFile> {
  const failures: { first?: unknown } = {};
  let opened: Opened;
  let rowCount: number | undefined;
  try {
    opened = await openSchema(source, format, failures);
    rowCount = opened.footer ? await countFileRows(source, opened.footer) : undefined;
  } catch (error) {
    if (failures.first !== undefined) throw failures.first;
    if (error instanceof InvalidInputError || error instanceof SourceReadError) throw unwrapRead(error);
    throw new InvalidInputError(source.name, `unreadable Arrow IPC ${kindOf(format)}: ${messageOf(error)}`, { cause: error });
  }
  const schema = opened.schema.fields.map((field) => columnFieldOf(field.name, rawTypeOf(field.type), field.nullable));
  return new ArrowBatchFile(source, format, schema, rowCount, opened.schema, opened.footer);
}

function kindOf(format: 'arrow-file' | 'arrow-stream'): string {
  return format === 'arrow-file' ? 'file' : 'stream';
}

/** Sum the record batch lengths from each batch's metadata message (small reads; bodies untouched). */
async function countFileRows(source: ByteSource, footer: FooterLike): Promise<number> {
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

  constructor(
    private readonly source: ByteSource,
    readonly format: 'arrow-file' | 'arrow-stream',
    readonly schema: readonly ColumnField[],
    readonly rowCount: number | undefined,
    private readonly arrowSchema: Schema,
    private readonly footer: FooterLike | null,
  ) {
    this.name = source.name;
  }

  async *batches(columns?: readonly string[], options: BatchOptions = {}): AsyncIterable<ColumnBatch> {
    const wanted = selectColumns(this.source.name, this.schema, columns);
    const plan = planColumns(this.arrowSchema, wanted);
    // No read-ahead: batch i+1 is converted only when the caller asks for it, so one set of arrays suffices.
    const pool = options.reuseBuffers ? new Map<string, ChunkBuffers>() : undefined;
    const dictionaries = new Map<number, RawArray[]>();
    let index = 0;
    try {
      for await (const message of this.recordBatches(dictionaries, plan)) {
        let batch: ColumnBatch;
        try {
          batch = await readRecordBatch(this.source, message, plan, dictionaries, pool);
        } catch (error) {
          throw decodeError(this.source.name, `record batch ${index}`, error);
        }
        yield batch;
        index++;
      }
    } catch (error) {
      throw unwrapRead(error);
    }
  }

  /** Record batch messages in order; the dictionary batches of requested columns are read on the way. */
  private async *recordBatches(dictionaries: Map<number, RawArray[]>, plan: ColumnPlan): AsyncGenerator<IpcMessage> {
    const footer = this.footer;
    if (footer) {
      for (let i = 0; i < footer.numDictionaries; i++) {
        const message = await this.blockMessage(footer.getDictionaryBatch(i), `dictionary batch ${i}`);
        await this.addDictionary(message, i, dictionaries, plan);
      }
      for (let i = 0; i < footer.numRecordBatches; i++) {
        const message = await this.blockMessage(footer.getRecordBatch(i), `record batch ${i}`);
        if (!message.message.isRecordBatch()) {
          throw new InvalidInputError(this.source.name, `record batch ${i}: the footer points at a non-record-batch message`);
        }
        yield message;
      }
      return;
    }
    let position = 0;
    let dictionaryIndex = 0;
    for (;;) {
      const message = await readMessageAt(this.source, position);
      if (!message) return;
      position = message.bodyStart + message.bodyLength;
      if (message.message.isRecordBatch()) yield message;
      else if (message.message.isDictionaryBatch()) await this.addDictionary(message, dictionaryIndex++, dictionaries, plan);
    }
  }

  private async blockMessage(block: FileBlockLike | null, what: string): Promise<IpcMessage> {
    if (!block) throw new InvalidInputError(this.source.name, `${what}: missing footer block`);
    const message = await readMessageAt(this.source, block.offset, block.metaDataLength);
    if (!message) throw new InvalidInputError(this.source.name, `${what}: empty message at byte ${block.offset}`);
    return message;
  }

  private async addDictionary(message: IpcMessage, index: number, dictionaries: Map<number, RawArray[]>, plan: ColumnPlan): Promise<void> {
    if (!message.message.isDictionaryBatch()) {
      throw new InvalidInputError(this.source.name, `dictionary batch ${index}: not a dictionary batch message`);
    }
    const header = message.message.header() as unknown as DictionaryHeader;
    const valueType = plan.dictionaryTypes.get(header.id);
    if (!valueType) return; // no requested column uses it: its body is never read
    let values: RawArray;
    try {
      values = await readColumn(this.source, message.bodyStart, header.data, { node: 0, buffer: 0 }, valueType, undefined);
    } catch (error) {
      throw decodeError(this.source.name, `dictionary batch ${index}`, error);
    }
    const chunks = header.isDelta ? (dictionaries.get(header.id) ?? []) : [];
    chunks.push(values);
    dictionaries.set(header.id, chunks);
  }
}

/** A ByteSource failure, carried unchanged through the decode-error wrapping. */
class SourceReadError extends Error {
  constructor(readonly original: unknown) {
    super('source read failed');
  }
}

function unwrapRead(error: unknown): unknown {
  return error instanceof SourceReadError ? error.original : error;
}

async function readRange(source: ByteSource, start: number, end: number): Promise<Uint8Array> {
  try {
    return await source.read(start, end);
  } catch (error) {
    throw new SourceReadError(error);
  }
}

function decodeError(name: string, what: string, error: unknown): unknown {
  if (error instanceof SourceReadError || error instanceof InvalidInputError) return error;
  return new InvalidInputError(name, `failed to decode Arrow ${what}: ${explain(error)}`, { cause: error });
}

interface IpcMessage {
  readonly message: Message;
  readonly bodyStart: number;
  readonly bodyLength: number;
}

/**
 * The message at `offset` (metadata decoded, body not read), or undefined at the end of a stream. With
 * `metaDataLength` (from a file footer block) exactly that prefix + metadata is read.
 */
async function readMessageAt(source: ByteSource, offset: number, metaDataLength?: number): Promise<IpcMessage | undefined> {
  const size = source.byteLength;
  if (metaDataLength === undefined && offset + 4 > size) return undefined;
  const end = metaDataLength === undefined ? Math.min(size, offset + STREAM_HEADER_READ_BYTES) : offset + metaDataLength;
  if (end > size) {
    throw new InvalidInputError(source.name, `truncated: a message ends at byte ${end}, after the end of the file (${size} bytes)`);
  }
  let bytes = await readRange(source, offset, end);
  if (bytes.byteLength < 4) throw new InvalidInputError(source.name, `truncated: incomplete message prefix at byte ${offset}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const continued = view.getInt32(0, true) === -1;
  if (continued && bytes.byteLength < 8) {
    if (metaDataLength === undefined && offset + 4 === size) return undefined;
    throw new InvalidInputError(source.name, `truncated: incomplete message prefix at byte ${offset}`);
  }
  const length = view.getInt32(continued ? 4 : 0, true);
  const start = continued ? 8 : 4;
  if (length === 0) return undefined; // end-of-stream marker
  if (length < 0) throw new Error(`invalid message length ${length} at byte ${offset}`);
  if (start + length > bytes.byteLength) {
    if (metaDataLength !== undefined || offset + start + length > size) {
      throw new InvalidInputError(source.name, `truncated: the message at byte ${offset} ends after the end of the file (${size} bytes)`);
    }
    bytes = await readRange(source, offset, offset + start + length);
  }
  const message = Message.decode(bytes.subarray(start, start + length));
  const bodyStart = offset + (metaDataLength ?? start + length);
  const bodyLength = Number(message.bodyLength);
  if (bodyStart + bodyLength > size) {
    throw new InvalidInputError(source.name, `truncated: a message body ends at byte ${bodyStart + bodyLength}, after the end of the file (${size} bytes)`);
  }
  return { message, bodyStart, bodyLength };
}

interface BufferRegionLike {
  readonly offset: number;
  readonly length: number;
}

/** The decoded metadata of a record batch (apache-arrow's metadata.RecordBatch, which it does not export). */
interface BatchHeader {
  readonly length: number;
  readonly nodes: readonly { readonly length: number; readonly nullCount: number }[];
  readonly buffers: readonly BufferRegionLike[];
  readonly compression: { readonly type: CompressionType } | null;
  readonly variadicBufferCounts: readonly number[];
}

interface DictionaryHeader {
  readonly id: number;
  readonly isDelta: boolean;
  readonly data: BatchHeader;
}

/** The requested top-level columns: their index in the schema, raw type and the dictionaries they need. */
interface ColumnPlan {
  readonly fields: readonly Schema['fields'][number][];
  readonly wanted: readonly { readonly name: string; readonly index: number; readonly type: RawType; readonly dictionaryId?: number }[];
  readonly dictionaryTypes: ReadonlyMap<number, RawType>;
}

function planColumns(schema: Schema, names: readonly string[]): ColumnPlan {
  const fields = schema.fields;
  const dictionaryTypes = new Map<number, RawType>();
  const wanted: ColumnPlan['wanted'][number][] = [];
  for (const name of names) {
    const index = fields.findIndex((f) => f.name === name);
    if (index < 0) continue;
    const field = fields[index];
    const type = rawTypeOf(field.type);
    if (type.kind === 'other') continue;
    if (type.kind === 'dictionary' && DataType.isDictionary(field.type)) {
      dictionaryTypes.set(field.type.id, type.value);
      wanted.push({ name, index, type, dictionaryId: field.type.id });
    } else wanted.push({ name, index, type });
  }
  return { fields, wanted, dictionaryTypes };
}

interface Cursor {
  node: number;
  buffer: number;
  variadic?: number;
}

/** Advance `cursor` past one field's nodes and buffers (the order of apache-arrow's VectorLoader). */
function skipField(type: DataType, cursor: Cursor, header: BatchHeader, version: number): void {
  cursor.node++;
  switch (type.typeId) {
    case Type.Null:
      return;
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary:
      cursor.buffer += 3;
      return;
    case Type.Utf8View:
    case Type.BinaryView: {
      cursor.variadic = (cursor.variadic ?? -1) + 1;
      cursor.buffer += 2 + (header.variadicBufferCounts[cursor.variadic] ?? 0);
      return;
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map:
      cursor.buffer += 2;
      break;
    case Type.FixedSizeList:
    case Type.Struct:
      cursor.buffer += 1;
      break;
    case Type.Union: {
      // MetadataVersion V5 (= 4) dropped the union validity buffer.
      const dense = (type as DataType & { mode: number }).mode === 1;
      cursor.buffer += (version < 4 ? 1 : 0) + (dense ? 2 : 1);
      break;
    }
    default:
      // Fixed-width types and dictionary indices: validity + data.
      cursor.buffer += 2;
      return;
  }
  for (const child of type.children) skipField(child.type, cursor, header, version);
}

async function readRecordBatch(
  source: ByteSource,
  ipc: IpcMessage,
  plan: ColumnPlan,
  dictionaries: ReadonlyMap<number, RawArray[]>,
  pool: Map<string, ChunkBuffers> | undefined,
): Promise<ColumnBatch> {
  const header = ipc.message.header() as unknown as BatchHeader;
  const version = Number(ipc.message.version);
  // Where each top-level field starts in the batch's node and buffer lists.
  const starts: Cursor[] = [];
  const cursor: Cursor = { node: 0, buffer: 0 };
  for (const field of plan.fields) {
    starts.push({ node: cursor.node, buffer: cursor.buffer });
    skipField(field.type, cursor, header, version);
  }
  const columns = new Map<string, ColumnChunk>();
  // One column's raw bytes at a time: read, convert, drop.
  for (const column of plan.wanted) {
    let dictionary: RawArray | undefined;
    if (column.dictionaryId !== undefined) {
      const chunks = dictionaries.get(column.dictionaryId);
      if (!chunks) throw new Error(`column '${column.name}': no dictionary batch with id ${column.dictionaryId} before this batch`);
      dictionary = mergeDictionary(chunks);
    }
    const raw = await readColumn(source, ipc.bodyStart, header, starts[column.index], column.type, dictionary);
    const chunk = toColumnChunk(raw, pool ? buffersFor(pool, column.name) : undefined);
    if (chunk) columns.set(column.name, chunk);
  }
  return { rowCount: Number(header.length), columns };
}

function buffersFor(pool: Map<string, ChunkBuffers>, column: string): ChunkBuffers {
  let buffers = pool.get(column);
  if (!buffers) {
    buffers = new ChunkBuffers();
    pool.set(column, buffers);
  }
  return buffers;
}

/** Read one supported column's buffers (one ranged read spanning them) as a RawArray. */
async function readColumn(
  source: ByteSource,
  bodyStart: number,
  header: BatchHeader,
  at: Cursor,
  type: RawType,
  dictionary: RawArray | undefined,
): Promise<RawArray> {
  const node = header.nodes[at.node];
  if (!node) throw new Error(`missing field node ${at.node}`);
  const count = type.kind === 'utf8' ? 3 : 2;
  const regions = header.buffers.slice(at.buffer, at.buffer + count);
  if (regions.length < count) throw new Error(`missing buffer regions at ${at.buffer}`);
  const used = regions.filter((r, i) => Number(r.length) > 0 && (i > 0 || Number(node.nullCount) > 0));
  let bytes: Uint8Array = new Uint8Array(0);
  let low = 0;
  if (used.length > 0) {
    low = Math.min(...used.map((r) => Number(r.offset)));
    const high = Math.max(...used.map((r) => Number(r.offset) + Number(r.length)));
    bytes = await readRange(source, bodyStart + low, bodyStart + high);
    if (bytes.byteLength < high - low) {
      throw new InvalidInputError(source.name, `truncated: a column's buffers end at byte ${bodyStart + high}, after the end of the file`);
    }
  }
  const codec = header.compression ? compressionRegistry.get(header.compression.type) : undefined;
  if (header.compression && !codec) throw new Error('Record batch is compressed but codec not found');
  const piece = (i: number): Uint8Array | undefined => {
    const region = regions[i];
    if (!used.includes(region)) return undefined;
    const raw = bytes.subarray(Number(region.offset) - low, Number(region.offset) - low + Number(region.length));
    return codec ? decompress(raw, codec) : raw;
  };
  const nullCount = Number(node.nullCount);
  return {
    type,
    length: Number(node.length),
    nullCount,
    valueOffset: 0,
    bitOffset: 0,
    validity: nullCount > 0 ? piece(0) : undefined,
    values: piece(1),
    data: type.kind === 'utf8' ? piece(2) : undefined,
    dictionary,
  };
}

/** A compressed IPC buffer: int64 uncompressed length (-1 = stored as is), then the codec's bytes. */
function decompress(raw: Uint8Array, codec: { decode?: (data: Uint8Array) => Uint8Array }): Uint8Array {
  if (raw.byteLength < 8) throw new Error(`compressed buffer of ${raw.byteLength} bytes has no length prefix`);
  const view = new DataView(raw.buffer, raw.byteOffset, 8);
  const body = raw.subarray(8);
  if (view.getInt32(0, true) === -1 && view.getInt32(4, true) === -1) return body;
  if (!codec.decode) throw new Error('Record batch is compressed but codec not found');
  return codec.decode(body);
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

/** One dictionary from its batches: deltas of a utf8 dictionary are concatenated; numeric deltas are left out. */
function mergeDictionary(chunks: readonly RawArray[]): RawArray {
  if (chunks.length === 1) return chunks[0];
  const type = chunks[0].type;
  if (type.kind !== 'utf8') return { ...chunks[0], type: { kind: 'other', name: 'Dictionary (delta)' } };
  const stride = type.large ? 2 : 1;
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const offsets = new Int32Array(length + 1);
  const parts: Uint8Array[] = [];
  const validity = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  let row = 0;
  let position = 0;
  for (const chunk of chunks) {
    const words = chunk.values ? int32s(chunk.values) : new Int32Array(stride * (chunk.length + 1));
    const first = words[0];
    const last = words[chunk.length * stride];
    for (let i = 0; i < chunk.length; i++) {
      offsets[row + i + 1] = position + words[(i + 1) * stride] - first;
      const valid = chunk.nullCount <= 0 || !chunk.validity || ((chunk.validity[i >> 3] >> (i & 7)) & 1) === 1;
      if (valid) validity[(row + i) >> 3] |= 1 << ((row + i) & 7);
      else nulls++;
    }
    parts.push((chunk.data ?? new Uint8Array(0)).subarray(first, last));
    position += last - first;
    row += chunk.length;
  }
  const data = new Uint8Array(position);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.byteLength;
  }
  return {
    type: { kind: 'utf8', large: false },
    length,
    nullCount: nulls,
    valueOffset: 0,
    bitOffset: 0,
    validity: nulls > 0 ? validity : undefined,
    values: new Uint8Array(offsets.buffer),
    data,
    dictionary: undefined,
  };
}

function int32s(bytes: Uint8Array): Int32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 2);
}
