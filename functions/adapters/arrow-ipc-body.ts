/**
 * Arrow IPC record batch bodies, read only where the requested columns lie: from a batch's field nodes and
 * buffer regions we locate each requested column's buffers (validity, offsets, values), read just that span
 * of the body, one column at a time, and describe it as a RawArray for arrow-columns.ts. Also the mapping of
 * apache-arrow's types to RawType and the merging of dictionary deltas.
 */
import { DataType, Type, compressionRegistry, type Schema } from 'apache-arrow';
import type { ColumnBatch, ColumnChunk } from '../core/columns.js';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { toColumnChunk } from './arrow-columns.js';
import { readRange, type BatchHeader, type DictionaryHeader, type IpcMessage } from './arrow-ipc-messages.js';
import type { RawArray, RawType, TimeUnit } from './arrow-types.js';
import { buffersFor, type ChunkBuffers } from './chunk-buffers.js';

/** The requested top-level columns: their index in the schema, raw type and the dictionaries they need. */
export interface ColumnPlan {
  readonly fields: readonly Schema['fields'][number][];
  readonly wanted: readonly { readonly name: string; readonly index: number; readonly type: RawType; readonly dictionaryId?: number }[];
  readonly dictionaryTypes: ReadonlyMap<number, RawType>;
}

/** The plan for reading `names` (unknown names and `other` columns are left out). */
export function planColumns(schema: Schema, names: readonly string[]): ColumnPlan {
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

/** Read the planned columns of one record batch, one column's raw bytes at a time, as a ColumnBatch. */
export async function readRecordBatch(
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

/** The values of a dictionary batch: its one column, at field node 0 and buffer 0. */
export function readDictionaryValues(source: ByteSource, ipc: IpcMessage, header: DictionaryHeader, type: RawType): Promise<RawArray> {
  return readColumn(source, ipc.bodyStart, header.data, { node: 0, buffer: 0 }, type, undefined);
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
