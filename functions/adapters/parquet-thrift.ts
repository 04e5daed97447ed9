/**
 * A bounded reader of the thrift compact protocol, the encoding of Parquet's footer (FileMetaData) and page
 * headers. It decodes generically (field id -> wire type, value, byte span) and never trusts a declared size:
 * a list, map or binary longer than the bytes left is an error before anything is allocated, and nesting is
 * capped. Parquet's own readers (parquet-wasm, hyparquet) see a footer or page header only after it decoded
 * here (see parquet-footer.ts and parquet-pages.ts).
 */

/** Wire types of the compact protocol. */
export const THRIFT = {
  true: 1,
  false: 2,
  byte: 3,
  i16: 4,
  i32: 5,
  i64: 6,
  double: 7,
  binary: 8,
  list: 9,
  set: 10,
  map: 11,
  struct: 12,
} as const;

/** A decoded value: integers as numbers (i64 beyond 2^53 rounded: only compared against limits). */
export type ThriftValue = number | boolean | Uint8Array | readonly ThriftValue[] | ThriftStruct | ReadonlyMap<ThriftValue, ThriftValue>;

/** One field of a struct: its wire type, value and where its value lies in the input. */
export interface ThriftField {
  readonly type: number;
  readonly value: ThriftValue;
  readonly start: number;
  readonly end: number;
}

/** Malformed or over-long thrift input; `at` is the byte offset in the decoded buffer. */
export class ThriftError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(`${message} at byte ${at}`);
    this.name = 'ThriftError';
  }
}

const MAX_DEPTH = 64;
const NAMES: Readonly<Record<number, string>> = {
  1: 'bool',
  2: 'bool',
  3: 'byte',
  4: 'i16',
  5: 'i32',
  6: 'i64',
  7: 'double',
  8: 'binary',
  9: 'list',
  10: 'set',
  11: 'map',
  12: 'struct',
};

/**
 * A decoded struct with typed accessors; an accessor throws ThriftError when the field has another wire type.
 * Fields live in parallel arrays (a footer has tens of thousands of structs: no Map or object per field).
 */
export class ThriftStruct {
  constructor(
    /** Field ids in the order read (a repeated id: the last one wins). */
    readonly ids: readonly number[],
    private readonly types: readonly number[],
    private readonly values: readonly ThriftValue[],
    /** start, end of each field's value. */
    private readonly spans: readonly number[],
    readonly start: number,
    readonly end: number,
  ) {}

  private indexOf(id: number): number {
    for (let i = this.ids.length - 1; i >= 0; i--) if (this.ids[i] === id) return i;
    return -1;
  }

  has(id: number): boolean {
    return this.indexOf(id) >= 0;
  }

  /** The field with its wire type and byte span, or undefined when absent. */
  field(id: number): ThriftField | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : { type: this.types[i], value: this.values[i], start: this.spans[2 * i], end: this.spans[2 * i + 1] };
  }

  /** An i8/i16/i32/i64 field, or undefined when absent. */
  int(id: number): number | undefined {
    const i = this.indexOf(id);
    if (i < 0) return undefined;
    if (this.types[i] < THRIFT.byte || this.types[i] > THRIFT.i64) throw this.wrongType(i, 'an integer');
    return this.values[i] as number;
  }

  bool(id: number): boolean | undefined {
    const i = this.indexOf(id);
    if (i < 0) return undefined;
    if (this.types[i] !== THRIFT.true && this.types[i] !== THRIFT.false) throw this.wrongType(i, 'a bool');
    return this.values[i] as boolean;
  }

  binary(id: number): Uint8Array | undefined {
    const i = this.indexOf(id);
    if (i < 0) return undefined;
    if (this.types[i] !== THRIFT.binary) throw this.wrongType(i, 'a binary');
    return this.values[i] as Uint8Array;
  }

  /** A binary field as UTF-8 text (invalid sequences replaced). */
  string(id: number): string | undefined {
    const bytes = this.binary(id);
    return bytes === undefined ? undefined : TEXT.decode(bytes);
  }

  struct(id: number): ThriftStruct | undefined {
    const i = this.indexOf(id);
    if (i < 0) return undefined;
    if (this.types[i] !== THRIFT.struct) throw this.wrongType(i, 'a struct');
    return this.values[i] as ThriftStruct;
  }

  list(id: number): readonly ThriftValue[] | undefined {
    const i = this.indexOf(id);
    if (i < 0) return undefined;
    if (this.types[i] !== THRIFT.list && this.types[i] !== THRIFT.set) throw this.wrongType(i, 'a list');
    return this.values[i] as readonly ThriftValue[];
  }

  /** A list whose elements are all structs. */
  structs(id: number): readonly ThriftStruct[] | undefined {
    const list = this.list(id);
    if (list === undefined) return undefined;
    for (const item of list) if (!(item instanceof ThriftStruct)) throw new ThriftError(`field ${id} is not a list of structs`, this.spans[2 * this.indexOf(id)]);
    return list as readonly ThriftStruct[];
  }

  private wrongType(i: number, expected: string): ThriftError {
    return new ThriftError(`field ${this.ids[i]} is a ${NAMES[this.types[i]] ?? `type ${this.types[i]}`}, expected ${expected}`, this.spans[2 * i]);
  }
}

const TEXT = new TextDecoder('utf-8');
const TWO_32 = 4294967296;

/** Decode the struct starting at `start` (its end is `struct.end`); everything must lie before `limit`. */
export function readThriftStruct(bytes: Uint8Array, start = 0, limit = bytes.length): ThriftStruct {
  return new CompactReader(bytes, start, Math.min(limit, bytes.length)).struct(0);
}

class CompactReader {
  constructor(
    private readonly bytes: Uint8Array,
    private p: number,
    private readonly limit: number,
  ) {}

  struct(depth: number): ThriftStruct {
    if (depth > MAX_DEPTH) throw new ThriftError(`structs nested deeper than ${MAX_DEPTH}`, this.p);
    const start = this.p;
    const ids: number[] = [];
    const types: number[] = [];
    const values: ThriftValue[] = [];
    const spans: number[] = [];
    let id = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return new ThriftStruct(ids, types, values, spans, start, this.p);
      const type = header & 0x0f;
      const delta = header >> 4;
      id = delta === 0 ? this.zigzag(this.varint()) : id + delta;
      const at = this.p;
      const value = type === THRIFT.true || type === THRIFT.false ? type === THRIFT.true : this.value(type, depth);
      ids.push(id);
      types.push(type);
      values.push(value);
      spans.push(at, this.p);
    }
  }

  private value(type: number, depth: number): ThriftValue {
    switch (type) {
      case THRIFT.true:
      case THRIFT.false: {
        // Inside a list, a bool is one byte: 1 true, 0 or 2 false.
        const b = this.byte();
        return b === 1;
      }
      case THRIFT.byte: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case THRIFT.i16:
      case THRIFT.i32: {
        const at = this.p;
        const value = this.zigzag(this.varint());
        const limit = type === THRIFT.i16 ? 0x8000 : 0x80000000;
        if (value < -limit || value >= limit) throw new ThriftError(`${NAMES[type]} value ${value} out of range`, at);
        return value;
      }
      case THRIFT.i64:
        return this.zigzag(this.varint());
      case THRIFT.double: {
        this.need(8);
        const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.p, 8).getFloat64(0, true);
        this.p += 8;
        return value;
      }
      case THRIFT.binary: {
        const length = this.varint();
        this.need(length);
        const value = this.bytes.subarray(this.p, this.p + length);
        this.p += length;
        return value;
      }
      case THRIFT.list:
      case THRIFT.set: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        const element = header & 0x0f;
        // Every element takes at least one byte: a count beyond the bytes left is a lie, refused before allocating.
        if (size > this.limit - this.p) throw new ThriftError(`list of ${size} elements in ${this.limit - this.p} bytes`, this.p);
        const items: ThriftValue[] = [];
        for (let i = 0; i < size; i++) items.push(element === THRIFT.struct ? this.struct(depth + 1) : this.value(element, depth + 1));
        return items;
      }
      case THRIFT.map: {
        const size = this.varint();
        if (size === 0) return new Map();
        const kinds = this.byte();
        if (2 * size > this.limit - this.p) throw new ThriftError(`map of ${size} entries in ${this.limit - this.p} bytes`, this.p);
        const map = new Map<ThriftValue, ThriftValue>();
        for (let i = 0; i < size; i++) {
          const key = this.element(kinds >> 4, depth);
          map.set(key, this.element(kinds & 0x0f, depth));
        }
        return map;
      }
      case THRIFT.struct:
        return this.struct(depth + 1);
      default:
        throw new ThriftError(`unknown thrift type ${type}`, this.p - 1);
    }
  }

  private element(type: number, depth: number): ThriftValue {
    return type === THRIFT.struct ? this.struct(depth + 1) : this.value(type, depth + 1);
  }

  private byte(): number {
    if (this.p >= this.limit) throw new ThriftError('input ends early', this.p);
    return this.bytes[this.p++];
  }

  private need(n: number): void {
    if (n > this.limit - this.p) throw new ThriftError(`${n} bytes declared, ${this.limit - this.p} left`, this.p);
  }

  /** An unsigned varint of up to 10 bytes, exact below 2^53. */
  private varint(): number {
    let low = 0;
    let high = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const b = this.byte();
      if (shift < 28) low |= (b & 0x7f) << shift;
      else if (shift === 28) {
        low |= (b & 0x0f) << 28;
        high = (b & 0x7f) >> 4;
      } else high += (b & 0x7f) * 2 ** (shift - 32);
      if ((b & 0x80) === 0) return high * TWO_32 + (low >>> 0);
    }
    throw new ThriftError('varint longer than 10 bytes', this.p);
  }

  private zigzag(v: number): number {
    // v is exact below 2^53; above, its parity is lost, which only matters for values no check accepts anyway.
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
}
