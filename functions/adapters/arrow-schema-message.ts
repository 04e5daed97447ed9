/**
 * The Arrow schema a Parquet writer stores in its footer (`ARROW:schema`: a base64 IPC Schema message), decoded
 * without apache-arrow: the flatbuffer is verified first (arrow-flatbuffers.ts), then read field by field
 * (Message.fbs, Schema.fbs). The Parquet reader's footer check and schema (parquet-footer.ts, parquet-schema.ts)
 * need only the top-level fields' names, nullability and types; loading apache-arrow for them cost every
 * Parquet reader about 7 MB of resident memory (bench/README.md, "Schema from the footer"). Held equal to
 * apache-arrow's reading on every Parquet fixture of the repo (test/adapters/arrow-schema-message.test.ts).
 */
import { verifyMessage } from './arrow-flatbuffers.js';
import { rawTypeName, type RawIntType, type RawType, type TimeUnit } from './arrow-types.js';

/** One field of the schema: its type as the reader distinguishes types, and, for messages, apache-arrow's name of it. */
export interface ArrowSchemaField {
  readonly name: string;
  readonly nullable: boolean;
  /** The field's type (a dictionary-encoded field: `dictionary` of its index and value types). */
  readonly type: SchemaType;
}

/** A type of Schema.fbs, with what the Parquet checks ask of it. */
export type SchemaType =
  | { readonly id: 'bool' }
  | { readonly id: 'int'; readonly bits: number; readonly signed: boolean }
  | { readonly id: 'float'; readonly precision: number }
  | { readonly id: 'decimal'; readonly precision: number; readonly scale: number; readonly bits: number }
  | { readonly id: 'utf8' | 'large-utf8' | 'binary' | 'large-binary' }
  | { readonly id: 'fixed-size-binary'; readonly byteWidth: number }
  | { readonly id: 'date'; readonly unit: number }
  | { readonly id: 'time'; readonly unit: number; readonly bits: number }
  | { readonly id: 'timestamp'; readonly unit: number; readonly timezone: string | undefined }
  | { readonly id: 'dictionary'; readonly index: { readonly bits: number; readonly signed: boolean }; readonly value: SchemaType }
  | { readonly id: 'other'; readonly typeId: number };

/** Schema.fbs `Type` union ids. */
const TYPE = { int: 2, float: 3, binary: 4, utf8: 5, bool: 6, decimal: 7, date: 8, time: 9, timestamp: 10, fixedSizeBinary: 15, largeBinary: 19, largeUtf8: 20 } as const;
/** MessageHeader union id of a Schema. */
const HEADER_SCHEMA = 1;
const UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'ns'];

/** A read-only view of a verified flatbuffer's tables. */
class Table {
  constructor(
    private readonly view: DataView,
    readonly at: number,
  ) {}

  /** Where field `id` lies, or 0 when the table does not carry it. */
  private offset(id: number): number {
    const vtable = this.at - this.view.getInt32(this.at, true);
    const vtableSize = this.view.getUint16(vtable, true);
    const slot = 4 + 2 * id;
    return slot < vtableSize ? this.view.getUint16(vtable + slot, true) : 0;
  }

  int(id: number, fallback: number, size: 1 | 2 | 4): number {
    const o = this.offset(id);
    if (o === 0) return fallback;
    return size === 1 ? this.view.getUint8(this.at + o) : size === 2 ? this.view.getInt16(this.at + o, true) : this.view.getInt32(this.at + o, true);
  }

  bool(id: number): boolean {
    return this.int(id, 0, 1) !== 0;
  }

  table(id: number): Table | undefined {
    const o = this.offset(id);
    if (o === 0) return undefined;
    const at = this.at + o;
    return new Table(this.view, at + this.view.getUint32(at, true));
  }

  string(id: number): string | undefined {
    const o = this.offset(id);
    if (o === 0) return undefined;
    const at = this.at + o;
    const start = at + this.view.getUint32(at, true);
    const length = this.view.getUint32(start, true);
    return TEXT.decode(new Uint8Array(this.view.buffer, this.view.byteOffset + start + 4, length));
  }

  tables(id: number): Table[] {
    const o = this.offset(id);
    if (o === 0) return [];
    const at = this.at + o;
    const start = at + this.view.getUint32(at, true);
    const count = this.view.getUint32(start, true);
    const out: Table[] = [];
    for (let i = 0; i < count; i++) {
      const element = start + 4 + 4 * i;
      out.push(new Table(this.view, element + this.view.getUint32(element, true)));
    }
    return out;
  }
}

const TEXT = new TextDecoder('utf-8');

/**
 * The top-level fields of an encapsulated IPC Schema message (with or without the 0xFFFFFFFF continuation
 * marker). Throws for anything that is not a verifiable Schema message.
 */
export function readSchemaMessage(message: Uint8Array): ArrowSchemaField[] {
  const prefix = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (message.byteLength < 8) throw new Error('too short for an IPC message');
  const continued = prefix.getUint32(0, true) === 0xffffffff;
  const at = continued ? 8 : 4;
  const length = prefix.getInt32(continued ? 4 : 0, true);
  if (length <= 0 || at + length > message.byteLength) throw new Error(`its metadata length ${length} does not fit its ${message.byteLength} bytes`);
  const flatbuffer = message.subarray(at, at + length);
  verifyMessage(flatbuffer);
  const view = new DataView(flatbuffer.buffer, flatbuffer.byteOffset, flatbuffer.byteLength);
  const root = new Table(view, view.getUint32(0, true));
  if (root.int(1, 0, 1) !== HEADER_SCHEMA) throw new Error('the message is not a Schema');
  const schema = root.table(2);
  if (schema === undefined) throw new Error('the Schema message has no header');
  return schema.tables(1).map(fieldOf);
}

function fieldOf(field: Table): ArrowSchemaField {
  const name = field.string(0) ?? '';
  const type = typeOf(field.int(2, 0, 1), field.table(3));
  const dictionary = field.table(4);
  if (dictionary === undefined) return { name, nullable: field.bool(1), type };
  const index = dictionary.table(1);
  // An index type left out is int32 (Schema.fbs DictionaryEncoding.indexType).
  const indexType = { bits: index?.int(0, 0, 4) ?? 32, signed: index?.bool(1) ?? true };
  return { name, nullable: field.bool(1), type: { id: 'dictionary', index: indexType, value: type } };
}

function typeOf(typeId: number, t: Table | undefined): SchemaType {
  switch (typeId) {
    case TYPE.bool:
      return { id: 'bool' };
    case TYPE.int:
      return { id: 'int', bits: t?.int(0, 0, 4) ?? 0, signed: t?.bool(1) ?? false };
    case TYPE.float:
      return { id: 'float', precision: t?.int(0, 0, 2) ?? 0 };
    case TYPE.decimal:
      return { id: 'decimal', precision: t?.int(0, 0, 4) ?? 0, scale: t?.int(1, 0, 4) ?? 0, bits: t?.int(2, 128, 4) ?? 128 };
    case TYPE.utf8:
      return { id: 'utf8' };
    case TYPE.largeUtf8:
      return { id: 'large-utf8' };
    case TYPE.binary:
      return { id: 'binary' };
    case TYPE.largeBinary:
      return { id: 'large-binary' };
    case TYPE.fixedSizeBinary:
      return { id: 'fixed-size-binary', byteWidth: t?.int(0, 0, 4) ?? 0 };
    case TYPE.date:
      // DateUnit defaults to MILLISECOND (1).
      return { id: 'date', unit: t?.int(0, 1, 2) ?? 1 };
    case TYPE.time:
      return { id: 'time', unit: t?.int(0, 1, 2) ?? 1, bits: t?.int(1, 32, 4) ?? 32 };
    case TYPE.timestamp:
      return { id: 'timestamp', unit: t?.int(0, 0, 2) ?? 0, timezone: t?.string(1) };
    default:
      return { id: 'other', typeId };
  }
}

/** apache-arrow's name of a type, for messages: the reader's name (rawTypeName) where it has the type. */
export function schemaTypeName(type: SchemaType): string {
  const raw = rawTypeOfSchema(type);
  if (raw !== undefined) return rawTypeName(raw);
  const unit = (u: number): string => ['SECOND', 'MILLISECOND', 'MICROSECOND', 'NANOSECOND'][u] ?? '?';
  switch (type.id) {
    case 'decimal':
      return `Decimal[${type.precision}e${type.scale > 0 ? '+' : ''}${type.scale}]`;
    case 'fixed-size-binary':
      return `FixedSizeBinary[${type.byteWidth}]`;
    case 'time':
      return `Time${type.bits}<${unit(type.unit)}>`;
    case 'timestamp':
      return `Timestamp<${unit(type.unit)}${type.timezone ? `, ${type.timezone}` : ''}>`;
    case 'dictionary':
      return `Dictionary<${type.index.signed ? 'Int' : 'Uint'}${type.index.bits}, ${schemaTypeName(type.value)}>`;
    case 'float':
      return `Float${[16, 32, 64][type.precision] ?? '?'}`;
    default:
      return `Type ${type.id === 'other' ? type.typeId : type.id}`;
  }
}

/** The reader's RawType of a schema type, for the types parquet-schema.ts derives (undefined for the others). */
export function rawTypeOfSchema(type: SchemaType): RawType | undefined {
  switch (type.id) {
    case 'bool':
      return { kind: 'bool' };
    case 'int':
      return type.bits === 8 || type.bits === 16 || type.bits === 32 || type.bits === 64 ? { kind: 'int', bits: type.bits, signed: type.signed } : undefined;
    case 'float':
      return type.precision === 1 ? { kind: 'float', bits: 32 } : type.precision === 2 ? { kind: 'float', bits: 64 } : undefined;
    case 'utf8':
      return { kind: 'utf8', large: false };
    case 'large-utf8':
      return { kind: 'utf8', large: true };
    case 'binary':
      return { kind: 'other', name: 'Binary' };
    case 'large-binary':
      return { kind: 'other', name: 'LargeBinary' };
    case 'date':
      return { kind: 'date', unit: type.unit === 0 ? 'day' : 'ms' };
    case 'timestamp': {
      const unit = UNITS[type.unit];
      if (unit === undefined) return undefined;
      return type.timezone ? { kind: 'timestamp', unit, timezone: type.timezone } : { kind: 'timestamp', unit };
    }
    case 'dictionary': {
      const index = rawTypeOfSchema({ id: 'int', ...type.index });
      const value = rawTypeOfSchema(type.value);
      return index && value && index.kind === 'int' ? { kind: 'dictionary', index: index as RawIntType, value } : undefined;
    }
    default:
      return undefined;
  }
}
