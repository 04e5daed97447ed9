/**
 * The Arrow schema parquet-wasm (arrow-rs) reads a flat Parquet file as, derived from the footer alone, so a
 * file the native decoder reads whole never loads parquet-wasm: its module, compiled code and heap are about
 * 17 MB of a Lambda's resident memory (measured with bench/sign-child.ts, bench/README.md "Schema from the
 * footer"). The rules are arrow-rs's, for the types model inputs use:
 *   - with an ARROW:schema (pyarrow, arrow-rs writers), each column has the type stored there, a string column
 *     whose pages are all dictionary-encoded as a dictionary (what parquet-dictionary-footer.ts makes
 *     parquet-wasm read: `dictionaryEncodedColumns`, below);
 *   - without one (DuckDB and others), the type follows from the physical and logical (or converted) type.
 * A column is nullable unless it is REQUIRED. Anything else (nested or repeated columns, decimals, times,
 * converted-only timestamps, float16, fixed-size binary, INT96, an unknown annotation) returns
 * undefined: the reader then asks parquet-wasm, as before. test/adapters/parquet-schema.test.ts holds this
 * equal to parquet-wasm's schema on every Parquet fixture in the repo.
 */
import { rawTypeOfSchema, type ArrowSchemaField } from './arrow-schema-message.js';
import type { RawType } from './arrow-types.js';
import { PHYSICAL, storedTimeUnit, type ParquetLayout } from './parquet-footer.js';
import type { ThriftStruct } from './parquet-thrift.js';

/** One top-level column as the reader's schema has it. */
export interface FooterField {
  readonly name: string;
  readonly type: RawType;
  readonly nullable: boolean;
}

/**
 * The columns of a checked footer (its parsed FileMetaData and ARROW:schema, from checkParquetFooter) with their
 * Arrow types, or undefined when a rule above does not settle every column.
 */
export function footerSchema(layout: Pick<ParquetLayout, 'metadata' | 'arrowSchema'>): readonly FooterField[] | undefined {
  const { metadata, arrowSchema: arrow } = layout;
  const elements = metadata.structs(2) ?? [];
  const leaves = elements.slice(1);
  if (leaves.length !== (elements[0]?.int(5) ?? -1)) return undefined;
  // Flat: every top-level field is a leaf, not REPEATED (0 REQUIRED, 1 OPTIONAL).
  if (leaves.some((e) => (e.int(5) ?? 0) > 0 || (e.int(3) ?? 0) > 1 || e.int(1) === undefined)) return undefined;
  if (arrow !== undefined && arrow.length !== leaves.length) return undefined;
  const dictionaries = arrow === undefined ? undefined : dictionaryEncodedColumns(metadata);
  const fields: FooterField[] = [];
  for (let i = 0; i < leaves.length; i++) {
    const element = leaves[i];
    const name = element.string(4) ?? '';
    const type = arrow ? hintedType(arrow[i], name, element, dictionaries?.has(name) === true) : storedType(element);
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
function hintedType(field: ArrowSchemaField, name: string, element: ThriftStruct, dictionaryEncoded: boolean): RawType | undefined {
  if (field.name !== name) return undefined;
  const type = field.type;
  switch (type.id) {
    case 'dictionary':
      return type.value.id === 'utf8' || type.value.id === 'large-utf8' ? rawTypeOfSchema(type) : undefined;
    case 'utf8':
      // parquet-dictionary-footer.ts declares it dictionary<int32, utf8> for parquet-wasm.
      return dictionaryEncoded ? { kind: 'dictionary', index: { kind: 'int', bits: 32, signed: true }, value: { kind: 'utf8', large: false } } : rawTypeOfSchema(type);
    case 'float':
      return type.precision === 0 ? undefined : rawTypeOfSchema(type);
    case 'bool':
    case 'int':
    case 'large-utf8':
    case 'binary':
    case 'large-binary':
      return rawTypeOfSchema(type);
    case 'date':
      return type.unit === 0 ? rawTypeOfSchema(type) : undefined;
    case 'timestamp': {
      const raw = rawTypeOfSchema(type);
      return raw?.kind === 'timestamp' && raw.unit === storedTimeUnit(element) ? raw : undefined;
    }
    default:
      return undefined;
  }
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

/**
 * The top-level flat columns whose every data page, in every row group, is dictionary-encoded (the footer's
 * encoding_stats: a dictionary page, and data pages PLAIN_DICTIONARY or RLE_DICTIONARY only): the string
 * columns parquet-dictionary-footer.ts declares dictionaries for parquet-wasm. `metadata` is the footer's
 * FileMetaData.
 */
export function dictionaryEncodedColumns(metadata: ThriftStruct): ReadonlySet<string> {
  const out = new Set<string>();
  const groups = metadata.structs(4) ?? [];
  if (groups.length === 0) return out;
  const first = groups[0].structs(1) ?? [];
  for (let c = 0; c < first.length; c++) {
    const path = first[c].struct(3)?.list(3);
    if (path?.length !== 1 || !(path[0] instanceof Uint8Array)) continue;
    const allDictionary = groups.every((group) => {
      const stats = group.structs(1)?.[c]?.struct(3)?.structs(13);
      return (
        stats !== undefined &&
        stats.some((st) => st.int(1) === PAGE_DICTIONARY) &&
        stats.every((st) => st.int(1) === PAGE_DICTIONARY || st.int(2) === ENCODING_RLE_DICTIONARY || st.int(2) === ENCODING_PLAIN_DICTIONARY)
      );
    });
    if (allDictionary) out.add(TEXT.decode(path[0]));
  }
  return out;
}

/** parquet.thrift: PageType DICTIONARY_PAGE, Encoding PLAIN_DICTIONARY and RLE_DICTIONARY. */
const PAGE_DICTIONARY = 2;
const ENCODING_PLAIN_DICTIONARY = 2;
const ENCODING_RLE_DICTIONARY = 8;
const TEXT = new TextDecoder('utf-8');
