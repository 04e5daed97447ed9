/**
 * A verifier for the flatbuffers of Arrow IPC metadata (Message.fbs, Schema.fbs, File.fbs), run on every
 * message and footer before apache-arrow decodes it. apache-arrow's JS decoder trusts its input: a corrupted
 * offset makes it read a field from elsewhere in the buffer and hand back altered lengths, types or counts
 * (pyarrow refuses the same bytes, it runs the flatbuffers Verifier first). This does what that Verifier does,
 * with Arrow's limits (metadata_internal.h: depth 128, at most 8 tables per byte): every table, vtable,
 * vector, string and union inside the buffer and aligned, strings null-terminated, no offset pointing to
 * itself. It checks structure, not values (lengths and offsets in the data are checked by the readers).
 */

/** The flatbuffer does not verify. */
export class FlatbufferError extends Error {
  constructor(message: string) {
    super(`invalid flatbuffer: ${message}`);
    this.name = 'FlatbufferError';
  }
}

type FieldDef = (
  | { readonly kind: 'scalar'; readonly size: 1 | 2 | 4 | 8 }
  | { readonly kind: 'string'; readonly utf8?: boolean }
  | { readonly kind: 'table'; readonly table: () => TableDef }
  | { readonly kind: 'vector'; readonly size: number }
  | { readonly kind: 'tables'; readonly table: () => TableDef }
  | { readonly kind: 'union'; readonly typeField: number; readonly tables: Readonly<Record<number, () => TableDef>> }
) & {
  /** Arrow's reader refuses the message without it (CHECK_FLATBUFFERS_NOT_NULL). */
  readonly required?: boolean;
};

interface TableDef {
  readonly name: string;
  /** Indexed by field id. */
  readonly fields: readonly FieldDef[];
}

const scalar = (size: 1 | 2 | 4 | 8): FieldDef => ({ kind: 'scalar', size });
const string: FieldDef = { kind: 'string' };
const table = (t: () => TableDef): FieldDef => ({ kind: 'table', table: t });
const tables = (t: () => TableDef): FieldDef => ({ kind: 'tables', table: t });
const vector = (size: number): FieldDef => ({ kind: 'vector', size });
const def = (name: string, ...fields: FieldDef[]): TableDef => ({ name, fields });
const required = (field: FieldDef): FieldDef => ({ ...field, required: true });

const EMPTY = def('(empty type)');
const KEY_VALUE = def('KeyValue', string, string);
const INT = def('Int', scalar(4), scalar(1));
/** Schema.fbs `Type` union members, by type id. */
const TYPES: Readonly<Record<number, () => TableDef>> = {
  1: () => EMPTY,
  2: () => INT,
  3: () => def('FloatingPoint', scalar(2)),
  4: () => EMPTY,
  5: () => EMPTY,
  6: () => EMPTY,
  7: () => def('Decimal', scalar(4), scalar(4), scalar(4)),
  8: () => def('Date', scalar(2)),
  9: () => def('Time', scalar(2), scalar(4)),
  10: () => def('Timestamp', scalar(2), string),
  11: () => def('Interval', scalar(2)),
  12: () => EMPTY,
  13: () => EMPTY,
  14: () => def('Union', scalar(2), vector(4)),
  15: () => def('FixedSizeBinary', scalar(4)),
  16: () => def('FixedSizeList', scalar(4)),
  17: () => def('Map', scalar(1)),
  18: () => def('Duration', scalar(2)),
  19: () => EMPTY,
  20: () => EMPTY,
  21: () => EMPTY,
  22: () => EMPTY,
  23: () => EMPTY,
  24: () => EMPTY,
  25: () => EMPTY,
  26: () => EMPTY,
};
const DICTIONARY_ENCODING = def('DictionaryEncoding', scalar(8), table(() => INT), scalar(1), scalar(2));
const FIELD: TableDef = def(
  'Field',
  // A column name must be text: pyarrow cannot even name a column whose name is not UTF-8.
  { kind: 'string', utf8: true },
  scalar(1),
  scalar(1),
  required({ kind: 'union', typeField: 2, tables: TYPES }),
  table(() => DICTIONARY_ENCODING),
  tables(() => FIELD),
  tables(() => KEY_VALUE),
);
const SCHEMA = def('Schema', scalar(2), required(tables(() => FIELD)), tables(() => KEY_VALUE), vector(8));
const RECORD_BATCH = def(
  'RecordBatch',
  scalar(8),
  required(vector(16)),
  required(vector(16)),
  table(() => def('BodyCompression', scalar(1), scalar(1))),
  vector(8),
);
const DICTIONARY_BATCH = def('DictionaryBatch', scalar(8), required(table(() => RECORD_BATCH)), scalar(1));
const MESSAGE = def(
  'Message',
  scalar(2),
  scalar(1),
  // Tensor (4) and SparseTensor (5) are not read: verified as unknown members (nothing), refused by the reader.
  required({ kind: 'union', typeField: 1, tables: { 1: () => SCHEMA, 2: () => DICTIONARY_BATCH, 3: () => RECORD_BATCH } }),
  scalar(8),
  tables(() => KEY_VALUE),
);
const FOOTER = def('Footer', scalar(2), required(table(() => SCHEMA)), vector(24), vector(24), tables(() => KEY_VALUE));

/** What the verifier saw that apache-arrow's decoded objects do not expose. */
export interface VerifiedMetadata {
  /** Schema.endianness of each schema in the buffer (0 little, 1 big). */
  readonly endianness: readonly number[];
}

/** Verify an IPC Message flatbuffer (the metadata of one message, without its prefix). */
export function verifyMessage(bytes: Uint8Array): VerifiedMetadata {
  return new Verifier(bytes).root(MESSAGE);
}

/** Verify the Footer flatbuffer of an Arrow IPC file. */
export function verifyFooter(bytes: Uint8Array): VerifiedMetadata {
  return new Verifier(bytes).root(FOOTER);
}

const MAX_DEPTH = 128;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const MAX_BUFFER = 0x7fffffff;

class Verifier {
  private readonly view: DataView;
  private readonly size: number;
  private depth = 0;
  private tables = 0;
  private readonly maxTables: number;
  private readonly endianness: number[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
    // Arrow's heuristic: each table takes at least one bit of the buffer (ARROW-11559).
    this.maxTables = 8 * this.size;
  }

  root(definition: TableDef): VerifiedMetadata {
    if (this.size < 8 || this.size >= MAX_BUFFER) throw new FlatbufferError(`${this.size} bytes`);
    this.table(this.offset(0, 'root'), definition);
    return { endianness: this.endianness };
  }

  /** Whether [at, at + length) is inside the buffer (flatbuffers' Verify: length < size). */
  private inside(at: number, length: number): boolean {
    return at >= 0 && length >= 0 && length < this.size && at <= this.size - length;
  }

  private scalarAt(at: number, size: number, what: string): void {
    if (!this.inside(at, size)) throw new FlatbufferError(`${what} at byte ${at} is outside the ${this.size}-byte buffer`);
    if (at % size !== 0) throw new FlatbufferError(`${what} at byte ${at} is not ${size}-byte aligned`);
  }

  /** Follow the uoffset at `at`; the position it points to. */
  private offset(at: number, what: string): number {
    this.scalarAt(at, 4, `${what} offset`);
    const o = this.view.getUint32(at, true);
    if (o === 0) throw new FlatbufferError(`${what} offset at byte ${at} points to itself`);
    if (o > MAX_BUFFER || !this.inside(at + o, 1)) throw new FlatbufferError(`${what} at byte ${at} points outside the buffer (+${o})`);
    return at + o;
  }

  private table(at: number, definition: TableDef): void {
    if (++this.depth > MAX_DEPTH) throw new FlatbufferError(`tables nested deeper than ${MAX_DEPTH}`);
    if (++this.tables > this.maxTables) throw new FlatbufferError(`more than ${this.maxTables} tables`);
    this.scalarAt(at, 4, definition.name);
    const vtable = at - this.view.getInt32(at, true);
    this.scalarAt(vtable, 2, `${definition.name} vtable`);
    const vtableSize = this.view.getUint16(vtable, true);
    if (vtableSize % 2 !== 0 || !this.inside(vtable, vtableSize)) {
      throw new FlatbufferError(`${definition.name} vtable at byte ${vtable} of ${vtableSize} bytes is malformed`);
    }
    const fieldAt = (id: number): number | undefined => {
      const slot = 4 + 2 * id;
      if (slot + 2 > vtableSize) return undefined;
      const o = this.view.getUint16(vtable + slot, true);
      return o === 0 ? undefined : at + o;
    };
    definition.fields.forEach((field, id) => {
      const position = fieldAt(id);
      const what = `${definition.name} field ${id}`;
      if (position === undefined) {
        if (field.required) throw new FlatbufferError(`${what} is missing`);
        return;
      }
      switch (field.kind) {
        case 'scalar':
          this.scalarAt(position, field.size, what);
          return;
        case 'string':
          this.string(this.offset(position, what), what, field.utf8 === true);
          return;
        case 'table':
          this.table(this.offset(position, what), field.table());
          return;
        case 'vector':
          this.vector(this.offset(position, what), field.size, what);
          return;
        case 'tables': {
          const start = this.offset(position, what);
          const count = this.vector(start, 4, what);
          for (let i = 0; i < count; i++) {
            const element = start + 4 + 4 * i;
            this.table(element + this.view.getUint32(element, true), field.table());
          }
          return;
        }
        case 'union': {
          const typeAt = fieldAt(field.typeField);
          const type = typeAt === undefined ? 0 : this.bytes[typeAt];
          const target = this.offset(position, what);
          const member = field.tables[type];
          if (member) this.table(target, member());
          else if (field.required && type === 0) throw new FlatbufferError(`${what} has no type`);
          return;
        }
      }
    });
    if (definition === SCHEMA) {
      const at = fieldAt(0);
      this.endianness.push(at === undefined ? 0 : this.view.getInt16(at, true));
    }
    this.depth--;
  }

  /** A vector's element count, after checking the vector lies inside the buffer. */
  private vector(at: number, elementSize: number, what: string): number {
    this.scalarAt(at, 4, `${what} length`);
    const count = this.view.getUint32(at, true);
    if (count >= MAX_BUFFER / elementSize || !this.inside(at, 4 + count * elementSize)) {
      throw new FlatbufferError(`${what}: a vector of ${count} elements at byte ${at} overruns the buffer`);
    }
    return count;
  }

  private string(at: number, what: string, utf8: boolean): void {
    const length = this.vector(at, 1, what);
    const end = at + 4 + length;
    if (!this.inside(end, 1) || this.bytes[end] !== 0) throw new FlatbufferError(`${what}: the string at byte ${at} is not null-terminated`);
    if (utf8) {
      try {
        STRICT_UTF8.decode(this.bytes.subarray(at + 4, end));
      } catch {
        throw new FlatbufferError(`${what}: the string at byte ${at} is not UTF-8`);
      }
    }
  }
}
