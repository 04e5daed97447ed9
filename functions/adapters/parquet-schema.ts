/**
 * The Arrow schema parquet-wasm (arrow-rs) reads a flat Parquet file as, derived from the footer alone, so a
 * file the native decoder reads whole never loads parquet-wasm: its module, compiled code and heap are about
 * 17 MB of a Lambda's resident memory (measured with bench/sign-child.ts, bench/README.md "Schema from the
 * footer"). The rules are arrow-rs's, for the types model inputs use:
 *   - with an ARROW:schema (pyarrow, arrow-rs writers), each column has the type stored there (the footer the
 *     decoder sees: after parquet-dictionary-footer.ts declared dictionary-encoded strings as dictionaries);
 *   - without one (DuckDB and others), the type follows from the physical and logical (or converted) type.
 * A column is nullable unless it is REQUIRED. Anything else (nested or repeated columns, decimals, times,
 * converted-only timestamps, float16, fixed-size binary, INT96, an unknown annotation) returns
 * undefined: the reader then asks parquet-wasm, as before. test/adapters/parquet-schema.test.ts holds this
 * equal to parquet-wasm's schema on every Parquet fixture in the repo.
 */
import { DataType, type Field } from 'apache-arrow';
import { rawTypeOf } from './arrow-ipc-body.js';
import type { RawType } from './arrow-types.js';
import { PHYSICAL, arrowSchemaOf } from './parquet-footer.js';
import type { ThriftStruct } from './parquet-thrift.js';
import { readThriftStruct } from './parquet-thrift.js';

/** One top-level column as the reader's schema has it. */
export interface FooterField {
  readonly name: string;
  readonly type: RawType;
  readonly nullable: boolean;
}

/**
 * The columns of the checked footer `footer` (FileMetaData bytes, as the decoder sees them) with their Arrow
 * types, or undefined when a rule above does not settle every column.
 */
export function footerSchema(file: string, footer: Uint8Array): readonly FooterField[] | undefined {
  const metadata = readThriftStruct(footer, 0);
  const elements = metadata.structs(2) ?? [];
  const leaves = elements.slice(1);
  if (leaves.length !== (elements[0]?.int(5) ?? -1)) return undefined;
  // Flat: every top-level field is a leaf, not REPEATED (0 REQUIRED, 1 OPTIONAL).
  if (leaves.some((e) => (e.int(5) ?? 0) > 0 || (e.int(3) ?? 0) > 1 || e.int(1) === undefined)) return undefined;
  const arrow = arrowSchemaOf(file, metadata);
  if (arrow !== undefined && arrow.fields.length !== leaves.length) return undefined;
  const fields: FooterField[] = [];
  for (let i = 0; i < leaves.length; i++) {
    const element = leaves[i];
    const name = element.string(4) ?? '';
    const type = arrow ? hintedType(arrow.fields[i], name, element) : storedType(element);
    if (type === undefined) return undefined;
    fields.push({ name, type, nullable: (element.int(3) ?? 0) !== 0 });
  }
  return fields;
}

/**
 * An ARROW:schema field's type when arrow-rs reads the column as exactly it (the footer checks held it to the
 * physical type). A timestamp only in its stored unit: arrow-rs keeps the stored unit (pyarrow stores seconds as
 * milliseconds, read as milliseconds); a date only as date32.
 */
function hintedType(field: Field, name: string, element: ThriftStruct): RawType | undefined {
  if (field.name !== name) return undefined;
  const type: DataType = field.type;
  if (DataType.isDictionary(type)) {
    const value = type.dictionary;
    return DataType.isUtf8(value) || DataType.isLargeUtf8(value) ? rawTypeOf(type) : undefined;
  }
  if (DataType.isFloat(type) && type.precision === 0) return undefined;
  if (DataType.isBool(type) || DataType.isInt(type) || DataType.isFloat(type) || DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return rawTypeOf(type);
  if (DataType.isDate(type)) {
    const raw = rawTypeOf(type);
    return raw.kind === 'date' && raw.unit === 'day' ? raw : undefined;
  }
  if (DataType.isTimestamp(type)) {
    const raw = rawTypeOf(type);
    return raw.kind === 'timestamp' && raw.unit === storedTimeUnit(element) ? raw : undefined;
  }
  if (DataType.isBinary(type)) return { kind: 'other', name: 'Binary' };
  if (DataType.isLargeBinary(type)) return { kind: 'other', name: 'LargeBinary' };
  return undefined;
}

/** The unit a TIMESTAMP leaf stores: its logical type's (MILLIS 1, MICROS 2, NANOS 3), else its converted type's. */
function storedTimeUnit(element: ThriftStruct): 'ms' | 'us' | 'ns' | undefined {
  const unit = element.struct(10)?.struct(8)?.struct(2)?.ids[0];
  if (unit !== undefined) return unit === 1 ? 'ms' : unit === 2 ? 'us' : unit === 3 ? 'ns' : undefined;
  const converted = element.int(6);
  return converted === 9 ? 'ms' : converted === 10 ? 'us' : undefined;
}

/** Converted types (parquet.thrift) of the integers: [bits, signed]. */
const CONVERTED_INTS: Readonly<Record<number, readonly [8 | 16 | 32 | 64, boolean]>> = {
  11: [8, false],
  12: [16, false],
  13: [32, false],
  14: [64, false],
  15: [8, true],
  16: [16, true],
  17: [32, true],
  18: [64, true],
};

/** A leaf's Arrow type from its physical and logical (or converted) type, without an ARROW:schema. */
function storedType(element: ThriftStruct): RawType | undefined {
  const physical = element.int(1);
  const logical = element.struct(10);
  const converted = element.int(6);
  const logicalId = logical?.ids[0];
  if (logical !== undefined && logical.ids.length !== 1) return undefined;
  switch (physical) {
    case PHYSICAL.BOOLEAN:
      return logical === undefined && converted === undefined ? { kind: 'bool' } : undefined;
    case PHYSICAL.INT32:
    case PHYSICAL.INT64: {
      const width = physical === PHYSICAL.INT32 ? 32 : 64;
      if (logical === undefined && converted === undefined) return { kind: 'int', bits: width, signed: true };
      // TIMESTAMP(isAdjustedToUTC, unit): in its unit, UTC when adjusted (a converted-only timestamp is left to parquet-wasm).
      if (logicalId === 8 && physical === PHYSICAL.INT64) {
        const unit = storedTimeUnit(element);
        const adjusted = logical?.struct(8)?.bool(1);
        if (unit === undefined || adjusted === undefined) return undefined;
        return adjusted ? { kind: 'timestamp', unit, timezone: 'UTC' } : { kind: 'timestamp', unit };
      }
      if (physical === PHYSICAL.INT32 && (logicalId === 6 || (logical === undefined && converted === 6))) return { kind: 'date', unit: 'day' };
      if (logicalId === 10) {
        const bits = logical?.struct(10)?.int(1);
        const signed = logical?.struct(10)?.bool(2);
        if ((bits === 8 || bits === 16 || bits === 32 || bits === 64) && signed !== undefined && (bits === 64) === (width === 64)) return { kind: 'int', bits, signed };
        return undefined;
      }
      const int = logical === undefined && converted !== undefined ? CONVERTED_INTS[converted] : undefined;
      if (int && (int[0] === 64) === (width === 64)) return { kind: 'int', bits: int[0], signed: int[1] };
      return undefined;
    }
    case PHYSICAL.FLOAT:
      return logical === undefined && converted === undefined ? { kind: 'float', bits: 32 } : undefined;
    case PHYSICAL.DOUBLE:
      return logical === undefined && converted === undefined ? { kind: 'float', bits: 64 } : undefined;
    case PHYSICAL.BYTE_ARRAY:
      if (logicalId === 1 || (logical === undefined && converted === 0)) return { kind: 'utf8', large: false };
      return logical === undefined && converted === undefined ? { kind: 'other', name: 'Binary' } : undefined;
    default:
      return undefined;
  }
}
