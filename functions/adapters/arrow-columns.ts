/**
 * Arrow arrays -> the core's column chunks. Both decoders end here: parquet-wasm hands us Arrow arrays in
 * WebAssembly memory (through the Arrow C data interface, see arrow-c-data.ts) and apache-arrow hands us
 * arrays read from IPC (see arrow-ipc-reader.ts). Each side describes its arrays as a RawArray (type +
 * buffers as byte views) and this module does the one conversion pass: typed arrays, index loops,
 * bigint never materialised (int64 is read as two int32 words).
 */
import type { CategoricalChunk, ColumnChunk, ColumnField, LogicalType, NumericChunk } from '../core/columns.js';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

/** The Arrow types the reader distinguishes; everything else is `other` and skipped by the signature. */
export type RawType =
  | { readonly kind: 'bool' }
  | { readonly kind: 'int'; readonly bits: 8 | 16 | 32 | 64; readonly signed: boolean }
  | { readonly kind: 'float'; readonly bits: 16 | 32 | 64 }
  | { readonly kind: 'decimal'; readonly bits: 32 | 64 | 128 | 256; readonly precision: number; readonly scale: number }
  | { readonly kind: 'utf8'; readonly large: boolean }
  | { readonly kind: 'date'; readonly unit: 'day' | 'ms' }
  | { readonly kind: 'timestamp'; readonly unit: TimeUnit; readonly timezone?: string }
  | { readonly kind: 'dictionary'; readonly index: RawIntType; readonly value: RawType }
  | { readonly kind: 'other'; readonly name: string };

export type RawIntType = Extract<RawType, { kind: 'int' }>;

/**
 * One Arrow array as byte views. `valueOffset` indexes fixed-width values and utf8 offsets; `bitOffset`
 * indexes the validity bitmap and boolean bits (they differ for apache-arrow slices, which pre-slice
 * value buffers but not bitmaps).
 */
export interface RawArray {
  readonly type: RawType;
  readonly length: number;
  /** -1 when unknown. */
  readonly nullCount: number;
  readonly valueOffset: number;
  readonly bitOffset: number;
  readonly validity: Uint8Array | undefined;
  /** Fixed-width values, boolean bits, or utf8 offsets. */
  readonly values: Uint8Array | undefined;
  /** utf8 character data. */
  readonly data: Uint8Array | undefined;
  readonly dictionary: RawArray | undefined;
}

const UNIT_NAMES: Readonly<Record<TimeUnit, string>> = {
  s: 'SECOND',
  ms: 'MILLISECOND',
  us: 'MICROSECOND',
  ns: 'NANOSECOND',
};

/** Name of a raw type for messages and `ColumnField.sourceType` (apache-arrow's spelling). */
export function rawTypeName(type: RawType): string {
  switch (type.kind) {
    case 'bool':
      return 'Bool';
    case 'int':
      return `${type.signed ? 'Int' : 'Uint'}${type.bits}`;
    case 'float':
      return `Float${type.bits}`;
    case 'decimal':
      return `Decimal${type.bits}(${type.precision}, ${type.scale})`;
    case 'utf8':
      return type.large ? 'LargeUtf8' : 'Utf8';
    case 'date':
      return type.unit === 'day' ? 'Date32<DAY>' : 'Date64<MILLISECOND>';
    case 'timestamp':
      return `Timestamp<${UNIT_NAMES[type.unit]}${type.timezone ? `, ${type.timezone}` : ''}>`;
    case 'dictionary':
      return `Dictionary<${rawTypeName(type.index)}, ${rawTypeName(type.value)}>`;
    case 'other':
      return type.name;
  }
}

/** The logical type the core records for a raw type. */
export function logicalTypeOf(type: RawType): LogicalType {
  switch (type.kind) {
    case 'bool':
      return 'boolean';
    case 'int':
      return 'int';
    case 'float':
      return 'float';
    case 'decimal':
      return 'decimal';
    case 'utf8':
      return 'string';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    case 'dictionary': {
      const value = logicalTypeOf(type.value);
      return value === 'boolean' ? 'other' : value;
    }
    case 'other':
      return 'other';
  }
}

/** The schema entry of one top-level column. */
export function columnFieldOf(name: string, type: RawType, nullable: boolean): ColumnField {
  return { name, type: logicalTypeOf(type), sourceType: rawTypeName(type), nullable };
}

/**
 * Convert one Arrow array to a column chunk: numbers (all numeric, date and timestamp types) as Float64Array
 * with a null mask, strings and booleans dictionary-encoded. Returns undefined for `other` types.
 */
export function toColumnChunk(array: RawArray): ColumnChunk | undefined {
  const type = array.type;
  switch (type.kind) {
    case 'bool':
      return booleanChunk(array);
    case 'utf8':
      return utf8Chunk(array, type.large);
    case 'dictionary':
      return dictionaryChunk(array, type);
    case 'other':
      return undefined;
    default: {
      const values = new Float64Array(array.length);
      if (!writeNumbers(array, type, values)) return undefined;
      return numericChunk(array, values);
    }
  }
}

function numericChunk(array: RawArray, values: Float64Array): NumericChunk {
  const nulls = nullMask(array);
  return nulls ? { kind: 'numeric', length: array.length, values, nulls } : { kind: 'numeric', length: array.length, values };
}

/** 1 = null per row, or undefined when the array has no nulls. */
function nullMask(array: RawArray): Uint8Array | undefined {
  const { validity, length, bitOffset } = array;
  if (!validity || array.nullCount === 0) return undefined;
  const mask = new Uint8Array(length);
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    const bit = i + bitOffset;
    const isNull = ((validity[bit >> 3] >> (bit & 7)) & 1) ^ 1;
    mask[i] = isNull;
    nulls += isNull;
  }
  return nulls === 0 ? undefined : mask;
}

function view<T extends Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array>(
  bytes: Uint8Array,
  Ctor: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
): T {
  const width = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % width === 0) {
    return new Ctor(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / width));
  }
  // Unaligned (possible for IPC bodies read at odd offsets): copy once to an aligned buffer.
  const copy = bytes.slice();
  return new Ctor(copy.buffer, 0, Math.floor(copy.byteLength / width));
}

const TWO_32 = 4294967296;
const MS_PER_DAY = 86_400_000;
const PER_MS: Readonly<Record<TimeUnit, number>> = { s: 1e-3, ms: 1, us: 1e3, ns: 1e6 };

/** Writes `array` as float64 into `out`; false when the type is not numeric. */
function writeNumbers(array: RawArray, type: RawType, out: Float64Array): boolean {
  const n = array.length;
  const bytes = array.values;
  if (!bytes) return n === 0;
  const o = array.valueOffset;
  switch (type.kind) {
    case 'int': {
      if (type.bits === 64) {
        writeInt64(bytes, o, n, type.signed, 1, out);
        return true;
      }
      const src =
        type.bits === 8
          ? type.signed
            ? view(bytes, Int8Array)
            : bytes
          : type.bits === 16
            ? type.signed
              ? view(bytes, Int16Array)
              : view(bytes, Uint16Array)
            : type.signed
              ? view(bytes, Int32Array)
              : view(bytes, Uint32Array);
      for (let i = 0; i < n; i++) out[i] = src[i + o];
      return true;
    }
    case 'float': {
      if (type.bits === 64) {
        out.set(view(bytes, Float64Array).subarray(o, o + n));
      } else if (type.bits === 32) {
        const src = view(bytes, Float32Array);
        for (let i = 0; i < n; i++) out[i] = src[i + o];
      } else {
        const src = view(bytes, Uint16Array);
        for (let i = 0; i < n; i++) out[i] = halfToFloat(src[i + o]);
      }
      return true;
    }
    case 'decimal': {
      const divisor = 10 ** type.scale;
      if (type.bits === 32) {
        const src = view(bytes, Int32Array);
        for (let i = 0; i < n; i++) out[i] = src[i + o] / divisor;
      } else if (type.bits === 64) {
        writeInt64(bytes, o, n, true, divisor, out);
      } else {
        const words = type.bits / 32;
        const src = view(bytes, Uint32Array);
        for (let i = 0; i < n; i++) {
          const base = (i + o) * words;
          // Most significant word signed, the rest unsigned; exact while |value| < 2^53.
          let value = src[base + words - 1] | 0;
          for (let w = words - 2; w >= 0; w--) value = value * TWO_32 + src[base + w];
          out[i] = value / divisor;
        }
      }
      return true;
    }
    case 'date': {
      if (type.unit === 'day') {
        const src = view(bytes, Int32Array);
        for (let i = 0; i < n; i++) out[i] = src[i + o] * MS_PER_DAY;
      } else {
        writeInt64(bytes, o, n, true, 1, out);
      }
      return true;
    }
    case 'timestamp':
      writeInt64(bytes, o, n, true, PER_MS[type.unit], out);
      return true;
    default:
      return false;
  }
}

/** int64 as (hi * 2^32 + lo) / divisor: no bigint, exact below 2^53. */
function writeInt64(bytes: Uint8Array, o: number, n: number, signed: boolean, divisor: number, out: Float64Array): void {
  const words = view(bytes, Int32Array);
  if (divisor === 1) {
    for (let i = 0; i < n; i++) {
      const w = 2 * (i + o);
      const hi = signed ? words[w + 1] : words[w + 1] >>> 0;
      out[i] = hi * TWO_32 + (words[w] >>> 0);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const w = 2 * (i + o);
      const hi = signed ? words[w + 1] : words[w + 1] >>> 0;
      out[i] = (hi * TWO_32 + (words[w] >>> 0)) / divisor;
    }
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const BOOLEAN_DICTIONARY = ['false', 'true'] as const;

function booleanChunk(array: RawArray): CategoricalChunk {
  const n = array.length;
  const indices = new Int32Array(n);
  const bits = array.values;
  if (bits) {
    const b = array.bitOffset;
    for (let i = 0; i < n; i++) {
      const bit = i + b;
      indices[i] = (bits[bit >> 3] >> (bit & 7)) & 1;
    }
  }
  applyNulls(array, indices);
  return { kind: 'categorical', length: n, dictionary: BOOLEAN_DICTIONARY, indices };
}

function applyNulls(array: RawArray, indices: Int32Array): void {
  const { validity, bitOffset, length } = array;
  if (!validity || array.nullCount === 0) return;
  for (let i = 0; i < length; i++) {
    const bit = i + bitOffset;
    if (((validity[bit >> 3] >> (bit & 7)) & 1) === 0) indices[i] = -1;
  }
}

const decoder = new TextDecoder('utf-8');

/**
 * Dictionary-encode a utf8 array by hashing its bytes (FNV-1a, open addressing): each distinct value is
 * decoded to a JS string once, instead of once per row.
 */
function utf8Chunk(array: RawArray, large: boolean): CategoricalChunk {
  const n = array.length;
  const indices = new Int32Array(n);
  const dictionary: string[] = [];
  const data = array.data ?? new Uint8Array(0);
  if (n === 0 || !array.values) return { kind: 'categorical', length: n, dictionary, indices };
  const offsets = view(array.values, Int32Array);
  // Large utf8 has int64 offsets: read the low word (a batch's character data is far below 2 GiB).
  const stride = large ? 2 : 1;
  const o = array.valueOffset;
  let capacity = 64;
  let slots: Int32Array = new Int32Array(capacity).fill(-1);
  let hashes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = offsets[(i + o) * stride];
    const end = offsets[(i + o + 1) * stride];
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ data[k], 0x01000193);
    h >>>= 0;
    let slot = h & (capacity - 1);
    let found = -1;
    for (;;) {
      const id = slots[slot];
      if (id < 0) break;
      if (hashes[id] === h && sameBytes(data, starts[id], ends[id], start, end)) {
        found = id;
        break;
      }
      slot = (slot + 1) & (capacity - 1);
    }
    if (found < 0) {
      found = dictionary.length;
      dictionary.push(decoder.decode(data.subarray(start, end)));
      hashes.push(h);
      starts.push(start);
      ends.push(end);
      slots[slot] = found;
      if (dictionary.length * 2 > capacity) {
        capacity *= 2;
        slots = rehash(hashes, capacity);
      }
    }
    indices[i] = found;
  }
  hashes = [];
  applyNulls(array, indices);
  return { kind: 'categorical', length: n, dictionary: compactNullEntries(dictionary, indices), indices };
}

function sameBytes(data: Uint8Array, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let k = 0; k < a1 - a0; k++) if (data[a0 + k] !== data[b0 + k]) return false;
  return true;
}

function rehash(hashes: readonly number[], capacity: number): Int32Array {
  const slots = new Int32Array(capacity).fill(-1);
  for (let id = 0; id < hashes.length; id++) {
    let slot = hashes[id] & (capacity - 1);
    while (slots[slot] >= 0) slot = (slot + 1) & (capacity - 1);
    slots[slot] = id;
  }
  return slots;
}

/**
 * Null rows keep whatever bytes the writer left under them (usually empty): drop dictionary entries that
 * only null rows used, so the dictionary lists exactly the values present.
 */
function compactNullEntries(dictionary: string[], indices: Int32Array): string[] {
  const used = new Uint8Array(dictionary.length);
  for (let i = 0; i < indices.length; i++) if (indices[i] >= 0) used[indices[i]] = 1;
  let all = true;
  for (let d = 0; d < used.length; d++) if (!used[d]) all = false;
  if (all) return dictionary;
  const remap = new Int32Array(dictionary.length);
  const kept: string[] = [];
  for (let d = 0; d < dictionary.length; d++) {
    remap[d] = used[d] ? kept.length : -1;
    if (used[d]) kept.push(dictionary[d]);
  }
  for (let i = 0; i < indices.length; i++) if (indices[i] >= 0) indices[i] = remap[indices[i]];
  return kept;
}

/** Dictionary arrays: reuse the writer's dictionary (utf8) or gather numbers through it. */
function dictionaryChunk(array: RawArray, type: Extract<RawType, { kind: 'dictionary' }>): ColumnChunk | undefined {
  const dict = array.dictionary;
  if (!dict) return undefined;
  const n = array.length;
  const keys = new Float64Array(n);
  if (!writeNumbers({ ...array, type: type.index }, type.index, keys)) return undefined;
  if (type.value.kind === 'utf8') {
    const values = utf8Chunk(dict, type.value.large);
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = values.indices[keys[i]] ?? -1;
    applyNulls(array, indices);
    return { kind: 'categorical', length: n, dictionary: values.dictionary, indices };
  }
  const dictValues = new Float64Array(dict.length);
  if (!writeNumbers(dict, type.value, dictValues)) return undefined;
  const dictNulls = nullMask(dict);
  const values = new Float64Array(n);
  let mask = nullMask(array);
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    values[i] = dictValues[key];
    if (dictNulls?.[key] === 1) {
      mask ??= new Uint8Array(n);
      mask[i] = 1;
    }
  }
  return mask ? { kind: 'numeric', length: n, values, nulls: mask } : { kind: 'numeric', length: n, values };
}
