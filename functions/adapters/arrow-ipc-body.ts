/**
 * Arrow IPC record batch bodies, read only where the requested columns lie: from a batch's field nodes and
 * buffer regions we locate each requested column's buffers (validity, offsets, values), read just that span
 * of the body, one column at a time, and describe it as a RawArray for arrow-columns.ts. Also the mapping of
 * apache-arrow's types to RawType and the merging of dictionary deltas.
 */
import { DataType, Type, type Schema } from 'apache-arrow';
import type { ColumnBatch, ColumnChunk } from '../core/columns.js';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { toColumnChunk } from './arrow-columns.js';
import { readRange, type BatchHeader, type DictionaryHeader, type IpcMessage } from './arrow-ipc-messages.js';
import type { RawArray, RawIntType, RawType, TimeUnit } from './arrow-types.js';
import { describeBudget } from './batch-file.js';
import { buffersFor, type ChunkBuffers } from './chunk-buffers.js';
import { decodeLz4Frame } from './lz4-frame.js';
import { wasmZstdUnavailable, zstdDecoder } from './wasm-zstd.js';

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
  budget: number,
): Promise<ColumnBatch> {
  const header = ipc.message.header() as unknown as BatchHeader;
  const version = Number(ipc.message.version);
  checkBatchHeader(header, ipc.bodyLength, budget);
  // Where each top-level field starts in the batch's node and buffer lists.
  const starts: Cursor[] = [];
  const cursor: Cursor = { node: 0, buffer: 0 };
  for (const field of plan.fields) {
    starts.push({ node: cursor.node, buffer: cursor.buffer });
    skipField(field.type, cursor, header, version);
  }
  // As arrow's loader: the schema's fields need this many nodes and buffers; every column has the batch's length.
  if (cursor.node > header.nodes.length || cursor.buffer > header.buffers.length) {
    throw new Error(`the batch has ${header.nodes.length} field nodes and ${header.buffers.length} buffers, its schema needs ${cursor.node} and ${cursor.buffer}`);
  }
  const rows = Number(header.length);
  starts.forEach((start, i) => {
    const length = Number(header.nodes[start.node].length);
    if (length !== rows) throw new Error(`column '${plan.fields[i].name}' has ${length} rows, the batch ${rows}`);
  });
  const columns = new Map<string, ColumnChunk>();
  // One column's raw bytes at a time: read, convert, drop.
  for (const column of plan.wanted) {
    let dictionary: RawArray | undefined;
    if (column.dictionaryId !== undefined) {
      const chunks = dictionaries.get(column.dictionaryId);
      if (!chunks) throw new Error(`column '${column.name}': no dictionary batch with id ${column.dictionaryId} before this batch`);
      dictionary = mergeDictionary(chunks);
    }
    const raw = await readColumn(source, ipc.bodyStart, header, starts[column.index], column.type, dictionary, budget);
    const chunk = toColumnChunk(raw, pool ? buffersFor(pool, column.name) : undefined);
    if (!chunk) throw new Error(`column '${column.name}': its values cannot be converted (${raw.type.kind})`);
    columns.set(column.name, chunk);
  }
  return { rowCount: rows, columns };
}

/** The values of a dictionary batch: its one column, at field node 0 and buffer 0. */
export async function readDictionaryValues(source: ByteSource, ipc: IpcMessage, header: DictionaryHeader, type: RawType, budget: number): Promise<RawArray> {
  checkBatchHeader(header.data, ipc.bodyLength, budget);
  return readColumn(source, ipc.bodyStart, header.data, { node: 0, buffer: 0 }, type, undefined, budget);
}

/**
 * Every string offset in order and inside the character data, one pass over the offsets (not the bytes):
 * arrow's basic validation checks only the first and last, but one corrupted offset in between would make the
 * conversion hash gigabytes past the data (a 70 KB file took minutes), and its strings are wrong anyway.
 */
function checkAllOffsets(offsets: Uint8Array, length: number, large: boolean, dataLength: number): void {
  const view = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  const width = large ? 8 : 4;
  let previous = 0;
  for (let i = 0; i <= length; i++) {
    const offset = view.getInt32(i * width, true);
    if ((large && view.getInt32(i * width + 4, true) !== 0) || offset < previous || offset > dataLength) {
      throw new Error(`string ${i} has offset ${offset}, out of order or past its ${dataLength} bytes of character data`);
    }
    previous = offset;
  }
}

/** IPC body compression codecs (Message.fbs CompressionType). */
const CODEC = { lz4Frame: 0, zstd: 1 } as const;

/**
 * A batch's declared lengths, checked before any of its body is read (arrow's ArrayLoader checks the same):
 * rows within the budget, field nodes non-negative, every buffer 8-byte aligned and inside the body.
 */
function checkBatchHeader(header: BatchHeader, bodyLength: number, budget: number): void {
  const rows = Number(header.length);
  if (!Number.isSafeInteger(rows) || rows < 0) throw new Error(`the batch declares ${rows} rows`);
  if (rows * 8 > budget) throw new Error(`the batch declares ${rows} rows: one converted column needs ${rows * 8} bytes, over the ${describeBudget(budget)}`);
  header.nodes.forEach((node, i) => {
    const length = Number(node.length);
    const nulls = Number(node.nullCount);
    if (!Number.isSafeInteger(length) || length < 0 || !Number.isSafeInteger(nulls) || nulls < 0 || nulls > length) {
      throw new Error(`field node ${i} declares length ${length} with ${nulls} nulls`);
    }
  });
  header.buffers.forEach((region, i) => {
    const offset = Number(region.offset);
    const length = Number(region.length);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new Error(`buffer ${i} declares offset ${offset} and length ${length}`);
    }
    if (offset % 8 !== 0) throw new Error(`buffer ${i} does not start on an 8-byte aligned offset (${offset})`);
    if (offset + length > bodyLength) throw new Error(`buffer ${i} [${offset}, ${offset + length}) lies outside the message body (${bodyLength} bytes)`);
  });
  if (header.compression && header.compression.type !== CODEC.zstd && header.compression.type !== CODEC.lz4Frame) {
    throw new Error(`unknown body compression codec ${header.compression.type}`);
  }
  if (header.variadicBufferCounts.some((c) => !Number.isSafeInteger(c) || c < 0)) throw new Error('negative variadic buffer counts');
}

/** Read one supported column's buffers (one ranged read spanning them) as a RawArray, their sizes checked. */
async function readColumn(
  source: ByteSource,
  bodyStart: number,
  header: BatchHeader,
  at: Cursor,
  type: RawType,
  dictionary: RawArray | undefined,
  budget: number,
): Promise<RawArray> {
  const node = header.nodes[at.node];
  if (!node) throw new Error(`missing field node ${at.node}`);
  const count = type.kind === 'utf8' ? 3 : 2;
  const regions = header.buffers.slice(at.buffer, at.buffer + count);
  if (regions.length < count) throw new Error(`missing buffer regions at ${at.buffer}`);
  const length = Number(node.length);
  const nullCount = Number(node.nullCount);
  const used = regions.filter((r, i) => Number(r.length) > 0 && (i > 0 || nullCount > 0));
  let bytes: Uint8Array = new Uint8Array(0);
  let low = 0;
  if (used.length > 0) {
    low = Math.min(...used.map((r) => Number(r.offset)));
    const high = Math.max(...used.map((r) => Number(r.offset) + Number(r.length)));
    if (high - low > budget) throw new Error(`a column's buffers span ${high - low} bytes, over the ${describeBudget(budget)}`);
    bytes = await readRange(source, bodyStart + low, bodyStart + high);
    if (bytes.byteLength < high - low) {
      throw new InvalidInputError(source.name, `truncated: a column's buffers end at byte ${bodyStart + high}, after the end of the file`);
    }
  }
  const codec = header.compression?.type;
  const piece = (i: number): Uint8Array | undefined => {
    const region = regions[i];
    if (!used.includes(region)) return undefined;
    const raw = bytes.subarray(Number(region.offset) - low, Number(region.offset) - low + Number(region.length));
    if (codec === undefined || codec === null) return raw;
    try {
      return decompress(raw, codec, budget);
    } catch (error) {
      throw new Error(`buffer ${at.buffer + i}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
  const validity = nullCount > 0 ? piece(0) : undefined;
  const values = piece(1);
  const data = type.kind === 'utf8' ? piece(2) : undefined;
  checkSizes(type, length, nullCount, validity, values, data, dictionary);
  return { type, length, nullCount, valueOffset: 0, bitOffset: 0, validity, values, data, dictionary };
}

/**
 * Each buffer holds what the array's length needs (arrow's basic validation): the values of `length` rows,
 * a bitmap agreeing with the null count, utf8 offsets in order within the character data, dictionary keys
 * within the dictionary.
 */
function checkSizes(
  type: RawType,
  length: number,
  nullCount: number,
  validity: Uint8Array | undefined,
  values: Uint8Array | undefined,
  data: Uint8Array | undefined,
  dictionary: RawArray | undefined,
): void {
  const need = (what: string, buffer: Uint8Array | undefined, bytes: number): void => {
    const has = buffer?.byteLength ?? 0;
    if (has < bytes) throw new Error(`its ${what} buffer holds ${has} bytes, ${length} rows need ${bytes}`);
  };
  if (nullCount > 0) {
    need('validity', validity, (length + 7) >> 3);
    // Readers count nulls either from this field or from the bitmap: the two must agree.
    const counted = length - setBits(validity!, length);
    if (counted !== nullCount) throw new Error(`its field node declares ${nullCount} nulls, its validity bitmap has ${counted}`);
  }
  if (length === 0) return;
  switch (type.kind) {
    case 'bool':
      need('values', values, (length + 7) >> 3);
      return;
    case 'utf8': {
      const width = type.large ? 8 : 4;
      need('offsets', values, (length + 1) * width);
      checkAllOffsets(values!, length, type.large, data?.byteLength ?? 0);
      return;
    }
    case 'dictionary': {
      need('indices', values, length * (type.index.bits / 8));
      if (dictionary) checkKeys(type.index, length, nullCount, validity, values!, dictionary.length);
      return;
    }
    case 'int':
    case 'float':
    case 'decimal':
      need('values', values, length * (type.bits / 8));
      return;
    case 'date':
      need('values', values, length * (type.unit === 'day' ? 4 : 8));
      return;
    case 'timestamp':
      need('values', values, length * 8);
      return;
    default:
      return;
  }
}

const BITS = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let b = v; b > 0; b >>= 1) n += b & 1;
  return n;
});

/** The set bits among the first `length` bits of a bitmap (per byte, from a table). */
function setBits(bitmap: Uint8Array, length: number): number {
  const whole = length >> 3;
  let n = 0;
  for (let i = 0; i < whole; i++) n += BITS[bitmap[i]];
  const rest = length & 7;
  if (rest > 0) n += BITS[bitmap[whole] & ((1 << rest) - 1)];
  return n;
}

/** Every non-null row's dictionary key is an index into the dictionary (a key past it is corrupt data, not a null). */
function checkKeys(index: RawIntType, length: number, nullCount: number, validity: Uint8Array | undefined, keys: Uint8Array, size: number): void {
  const view = new DataView(keys.buffer, keys.byteOffset, keys.byteLength);
  const width = index.bits / 8;
  for (let i = 0; i < length; i++) {
    if (nullCount > 0 && validity && ((validity[i >> 3] >> (i & 7)) & 1) === 0) continue;
    let key: number;
    if (width === 1) key = index.signed ? view.getInt8(i) : view.getUint8(i);
    else if (width === 2) key = index.signed ? view.getInt16(2 * i, true) : view.getUint16(2 * i, true);
    else if (width === 4) key = index.signed ? view.getInt32(4 * i, true) : view.getUint32(4 * i, true);
    else key = view.getInt32(8 * i + 4, true) !== 0 ? -1 : view.getUint32(8 * i, true);
    if (key < 0 || key >= size) throw new Error(`row ${i} has dictionary key ${key}, the dictionary ${size} values`);
  }
}

/**
 * A compressed IPC buffer: int64 uncompressed length (-1 = stored as is), then a zstd or an LZ4 frame. The
 * length is checked against the budget and the frame decoded into exactly that many bytes (fzstd would
 * otherwise allocate what the frame header claims); a frame declaring another size is refused. fzstd does
 * not detect every corruption libzstd does (a damaged block can decode to the right length of wrong bytes);
 * LZ4 frames are checked by their checksums when the writer added them (pyarrow adds none).
 */
function decompress(raw: Uint8Array, codec: number, budget: number): Uint8Array {
  if (raw.byteLength < 8) throw new Error(`compressed buffer of ${raw.byteLength} bytes has no length prefix`);
  const view = new DataView(raw.buffer, raw.byteOffset, 8);
  const body = raw.subarray(8);
  if (view.getInt32(0, true) === -1 && view.getInt32(4, true) === -1) return body;
  const length = view.getUint32(4, true) * 4294967296 + view.getUint32(0, true);
  if (view.getInt32(4, true) < 0 || length > budget) throw new Error(`a compressed buffer declares ${length} uncompressed bytes, over the ${describeBudget(budget)}`);
  // A fresh buffer of exactly `length` bytes: 8-byte aligned for the typed views.
  if (codec === CODEC.lz4Frame) return decodeLz4Frame(body, length);
  const frame = zstdFrameHeader(body);
  if (frame.contentSize !== undefined && frame.contentSize !== length) throw new Error(`a zstd frame declares ${frame.contentSize} bytes, its buffer ${length}`);
  // Decoded into exactly `length` bytes, copied to a fresh buffer (8-byte aligned for the typed views; the
  // decoder's own output is reused by its next call).
  const zstd = zstdDecoder();
  if (zstd === undefined) throw new Error(`no zstd decoder on this Node (${wasmZstdUnavailable() ?? 'none'})`);
  const decoded = zstd(body, length);
  if (decoded.length !== length) throw new Error(`a zstd frame decodes to ${decoded.length} bytes, its buffer declares ${length}`);
  const out = new Uint8Array(length);
  out.set(decoded);
  return out;
}

/** The Frame_Content_Size of a zstd frame header, when it declares one. */
function zstdFrameHeader(frame: Uint8Array): { contentSize: number | undefined } {
  if (frame.byteLength < 6 || frame[0] !== 0x28 || frame[1] !== 0xb5 || frame[2] !== 0x2f || frame[3] !== 0xfd) {
    throw new Error('a compressed buffer is not a zstd frame');
  }
  const descriptor = frame[4];
  const singleSegment = (descriptor >> 5) & 1;
  const sizeFlag = descriptor >> 6;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3];
  const sizeBytes = sizeFlag === 0 ? singleSegment : 1 << sizeFlag;
  const at = 5 + (singleSegment ? 0 : 1) + dictionaryBytes;
  if (frame.byteLength < at + sizeBytes) throw new Error('a zstd frame header ends early');
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + frame[at + i];
  return { contentSize: sizeBytes === 0 ? undefined : sizeBytes === 2 ? size + 256 : size };
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

/** Why `type` is not a valid Arrow type (what a corrupted schema carries), or undefined when it is one. */
export function typeProblem(type: DataType): string | undefined {
  const unit = (type as { unit?: number }).unit ?? 0;
  if (DataType.isInt(type)) return [8, 16, 32, 64].includes(type.bitWidth) ? undefined : `an integer of ${type.bitWidth} bits`;
  if (DataType.isFloat(type)) return [0, 1, 2].includes(type.precision) ? undefined : `floating point precision ${type.precision}`;
  if (DataType.isDecimal(type)) {
    const max: Readonly<Record<number, number>> = { 32: 9, 64: 18, 128: 38, 256: 76 };
    const limit = max[type.bitWidth];
    return limit !== undefined && type.precision >= 1 && type.precision <= limit ? undefined : `decimal(${type.precision}, ${type.scale}) of ${type.bitWidth} bits`;
  }
  if (DataType.isDate(type)) return unit === 0 || unit === 1 ? undefined : `date unit ${unit}`;
  if (DataType.isTimestamp(type) || DataType.isDuration(type)) return unit >= 0 && unit <= 3 ? undefined : `time unit ${unit}`;
  if (DataType.isTime(type)) {
    const bits = (type as { bitWidth?: number }).bitWidth;
    return unit >= 0 && unit <= 3 && bits === (unit <= 1 ? 32 : 64) ? undefined : `time of unit ${unit} in ${bits} bits`;
  }
  if (DataType.isInterval(type)) return unit >= 0 && unit <= 2 ? undefined : `interval unit ${unit}`;
  if (DataType.isFixedSizeBinary(type)) return type.byteWidth >= 0 ? undefined : `fixed-size binary of ${type.byteWidth} bytes`;
  if (DataType.isFixedSizeList(type)) return type.listSize >= 0 && type.children.length === 1 ? undefined : `fixed-size list of ${type.listSize}`;
  if (DataType.isList(type) || DataType.isLargeList(type)) return type.children.length === 1 ? undefined : `a list with ${type.children.length} child fields`;
  if (DataType.isMap(type)) return type.children.length === 1 ? undefined : `a map with ${type.children.length} child fields`;
  if (DataType.isUnion(type)) return type.mode === 0 || type.mode === 1 ? undefined : `union mode ${type.mode}`;
  if (DataType.isDictionary(type)) {
    return typeProblem(type.indices) ?? (DataType.isInt(type.indices) ? typeProblem(type.dictionary) : 'dictionary keys that are not integers');
  }
  return undefined;
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
