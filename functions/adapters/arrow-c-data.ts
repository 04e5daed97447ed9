/**
 * A minimal reader of the Arrow C data interface (ArrowSchema / ArrowArray structs) inside a wasm32
 * memory, as exported by parquet-wasm's `Table.intoFFI()`. It returns RawArrays whose buffers are views
 * into that memory: convert them (arrow-columns.ts) before the FFI object is freed and before the next
 * call into wasm (a memory.grow detaches the views).
 *
 * Struct layouts on wasm32 (pointers 4 bytes, int64 8-byte aligned), from the C data interface spec:
 *   ArrowSchema: format@0 name@4 metadata@8 flags@16(i64) n_children@24(i64) children@32 dictionary@36
 *   ArrowArray:  length@0 null_count@8 offset@16 n_buffers@24 n_children@32 (all i64) buffers@40
 *                children@44 dictionary@48
 */
import type { RawArray, RawType, TimeUnit } from './arrow-types.js';

/** One field of an ArrowSchema tree. */
export interface CSchema {
  readonly name: string;
  readonly format: string;
  readonly nullable: boolean;
  readonly type: RawType;
  readonly children: readonly CSchema[];
  readonly dictionary: CSchema | undefined;
}

const FLAG_NULLABLE = 2n;
const utf8 = new TextDecoder('utf-8');

function cString(memory: Uint8Array, pointer: number): string {
  if (pointer === 0) return '';
  let end = pointer;
  while (end < memory.length && memory[end] !== 0) end++;
  return utf8.decode(memory.subarray(pointer, end));
}

/** Parse the ArrowSchema at `pointer` (recursively). */
export function readCSchema(buffer: ArrayBufferLike, pointer: number): CSchema {
  const dv = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  const format = cString(bytes, dv.getUint32(pointer, true));
  const name = cString(bytes, dv.getUint32(pointer + 4, true));
  const flags = dv.getBigInt64(pointer + 16, true);
  const childCount = Number(dv.getBigInt64(pointer + 24, true));
  const childrenPointer = dv.getUint32(pointer + 32, true);
  const dictionaryPointer = dv.getUint32(pointer + 36, true);
  const children: CSchema[] = [];
  for (let i = 0; i < childCount; i++) children.push(readCSchema(buffer, dv.getUint32(childrenPointer + 4 * i, true)));
  const dictionary = dictionaryPointer === 0 ? undefined : readCSchema(buffer, dictionaryPointer);
  const own = typeFromFormat(format);
  const type: RawType =
    dictionary && own.kind === 'int' ? { kind: 'dictionary', index: own, value: dictionary.type } : own;
  return { name, format, nullable: (flags & FLAG_NULLABLE) !== 0n, type, children, dictionary };
}

/** Map a C data interface format string to a RawType. */
export function typeFromFormat(format: string): RawType {
  const ints: Readonly<Record<string, RawType>> = {
    c: { kind: 'int', bits: 8, signed: true },
    C: { kind: 'int', bits: 8, signed: false },
    s: { kind: 'int', bits: 16, signed: true },
    S: { kind: 'int', bits: 16, signed: false },
    i: { kind: 'int', bits: 32, signed: true },
    I: { kind: 'int', bits: 32, signed: false },
    l: { kind: 'int', bits: 64, signed: true },
    L: { kind: 'int', bits: 64, signed: false },
    e: { kind: 'float', bits: 16 },
    f: { kind: 'float', bits: 32 },
    g: { kind: 'float', bits: 64 },
    b: { kind: 'bool' },
    u: { kind: 'utf8', large: false },
    U: { kind: 'utf8', large: true },
    tdD: { kind: 'date', unit: 'day' },
    tdm: { kind: 'date', unit: 'ms' },
  };
  const simple = ints[format];
  if (simple) return simple;
  const decimal = /^d:(\d+),(\d+)(?:,(\d+))?$/.exec(format);
  if (decimal) {
    const bits = Number(decimal[3] ?? 128);
    if (bits === 32 || bits === 64 || bits === 128 || bits === 256) {
      return { kind: 'decimal', bits, precision: Number(decimal[1]), scale: Number(decimal[2]) };
    }
  }
  const timestamp = /^ts([smun]):(.*)$/.exec(format);
  if (timestamp) {
    const unit = (timestamp[1] === 's' ? 's' : `${timestamp[1]}s`) as TimeUnit;
    return timestamp[2] ? { kind: 'timestamp', unit, timezone: timestamp[2] } : { kind: 'timestamp', unit };
  }
  return { kind: 'other', name: describeFormat(format) };
}

function describeFormat(format: string): string {
  const names: Readonly<Record<string, string>> = {
    n: 'Null',
    z: 'Binary',
    Z: 'LargeBinary',
    vz: 'BinaryView',
    vu: 'Utf8View',
    '+l': 'List',
    '+L': 'LargeList',
    '+s': 'Struct',
    '+m': 'Map',
    '+vl': 'ListView',
  };
  return names[format] ?? `Arrow(${format})`;
}

/** Bytes per value in buffer 1 for fixed-width types, 0 for bit-packed booleans. */
function valueWidth(type: RawType): number {
  switch (type.kind) {
    case 'bool':
      return 0;
    case 'int':
    case 'float':
    case 'decimal':
      return type.bits / 8;
    case 'date':
      return type.unit === 'day' ? 4 : 8;
    case 'timestamp':
      return 8;
    case 'dictionary':
      return type.index.bits / 8;
    default:
      return -1;
  }
}

/**
 * Read the ArrowArray at `pointer` described by `schema` as a RawArray with views into `buffer`.
 * Types the reader does not convert come back with no buffers (their chunks are skipped anyway).
 */
export function readCArray(buffer: ArrayBufferLike, pointer: number, schema: CSchema): RawArray {
  const dv = new DataView(buffer);
  const length = Number(dv.getBigInt64(pointer, true));
  const nullCount = Number(dv.getBigInt64(pointer + 8, true));
  const offset = Number(dv.getBigInt64(pointer + 16, true));
  const bufferCount = Number(dv.getBigInt64(pointer + 24, true));
  const buffersPointer = dv.getUint32(pointer + 40, true);
  const dictionaryPointer = dv.getUint32(pointer + 48, true);
  const bufferAt = (i: number): number => (i < bufferCount ? dv.getUint32(buffersPointer + 4 * i, true) : 0);
  const type = schema.type;
  const end = offset + length;
  const validityPointer = bufferAt(0);
  const validity = validityPointer === 0 ? undefined : new Uint8Array(buffer, validityPointer, (end + 7) >> 3);
  let values: Uint8Array | undefined;
  let data: Uint8Array | undefined;
  let dictionary: RawArray | undefined;
  if (type.kind === 'utf8') {
    const offsetWidth = type.large ? 8 : 4;
    const offsetsPointer = bufferAt(1);
    if (offsetsPointer !== 0 && length > 0) {
      values = new Uint8Array(buffer, offsetsPointer, (end + 1) * offsetWidth);
      // Character data ends at the last offset (low word for large utf8).
      const dataEnd = dv.getInt32(offsetsPointer + end * offsetWidth, true);
      data = new Uint8Array(buffer, bufferAt(2), dataEnd);
    }
  } else {
    const width = valueWidth(type);
    const valuesPointer = bufferAt(1);
    if (width >= 0 && valuesPointer !== 0) {
      values = new Uint8Array(buffer, valuesPointer, width === 0 ? (end + 7) >> 3 : end * width);
    }
  }
  if (type.kind === 'dictionary' && dictionaryPointer !== 0 && schema.dictionary) {
    dictionary = readCArray(buffer, dictionaryPointer, schema.dictionary);
  }
  return { type, length, nullCount, valueOffset: offset, bitOffset: offset, validity, values, data, dictionary };
}

/** The top-level child arrays of a struct (record batch) ArrowArray, keyed by field name. */
export function readCRecordBatch(
  buffer: ArrayBufferLike,
  pointer: number,
  schema: CSchema,
): { rowCount: number; columns: Map<string, RawArray> } {
  const dv = new DataView(buffer);
  const rowCount = Number(dv.getBigInt64(pointer, true));
  const childCount = Number(dv.getBigInt64(pointer + 32, true));
  const childrenPointer = dv.getUint32(pointer + 44, true);
  const columns = new Map<string, RawArray>();
  for (let i = 0; i < childCount && i < schema.children.length; i++) {
    const child = schema.children[i];
    columns.set(child.name, readCArray(buffer, dv.getUint32(childrenPointer + 4 * i, true), child));
  }
  return { rowCount, columns };
}
