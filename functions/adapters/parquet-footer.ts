/**
 * The Parquet footer (thrift FileMetaData) checked before any decoder sees it: every size and offset it
 * declares against the file and the memory budget, its row counts against each other, and each column's
 * physical type against its logical/converted type and its ARROW:schema type. What it returns (the column
 * chunks' byte ranges, rows per row group) plans the reads; parquet-pages.ts then checks the pages inside each
 * chunk when it is read. A file that fails is refused with InvalidInputError naming the file, the row group,
 * the column and the field: a contradiction in the metadata is never decoded into wrong figures.
 */
import { InvalidInputError } from '../core/errors.js';
import { readSchemaMessage, schemaTypeName, type ArrowSchemaField, type SchemaType } from './arrow-schema-message.js';
import { describeBudget, overBudget } from './batch-file.js';
import { ThriftError, ThriftStruct, readThriftStruct } from './parquet-thrift.js';

/** Parquet physical types (parquet.thrift `Type`). */
export const PHYSICAL = {
  BOOLEAN: 0,
  INT32: 1,
  INT64: 2,
  INT96: 3,
  FLOAT: 4,
  DOUBLE: 5,
  BYTE_ARRAY: 6,
  FIXED_LEN_BYTE_ARRAY: 7,
} as const;

const PHYSICAL_NAMES = Object.keys(PHYSICAL) as (keyof typeof PHYSICAL)[];
const TEXT = new TextDecoder('utf-8');

/** Compression codecs the decoders handle (parquet.thrift `CompressionCodec`; LZO, 3, is not one). */
export const CODECS: Readonly<Record<number, string>> = {
  0: 'UNCOMPRESSED',
  1: 'SNAPPY',
  2: 'GZIP',
  4: 'BROTLI',
  5: 'LZ4',
  6: 'ZSTD',
  7: 'LZ4_RAW',
};

/** One leaf of the Parquet schema (a column chunk in every row group). */
export interface ParquetLeaf {
  readonly path: readonly string[];
  /** The top-level column it belongs to (what the reader's schema calls the column). */
  readonly column: string;
  /** That column's position among the top-level columns. */
  readonly columnIndex: number;
  readonly physical: number;
  /** FIXED_LEN_BYTE_ARRAY width. */
  readonly typeLength: number | undefined;
  /** 0 for a column that is not inside a repeated field: one value per row. */
  readonly maxRepetition: number;
  /** The number of optional or repeated fields on its path (its highest definition level). */
  readonly maxDefinition: number;
  /** The unit its values are stored in, for a TIMESTAMP (logical or converted type) leaf. */
  readonly timeUnit?: 'ms' | 'us' | 'ns';
}

/** Where one column chunk lies and what its metadata declares. */
export interface ParquetChunk {
  readonly leaf: ParquetLeaf;
  readonly rowGroup: number;
  readonly codec: number;
  readonly numValues: number;
  /** [start, end): the dictionary page (if any) and the data pages. */
  readonly start: number;
  readonly end: number;
  readonly uncompressedSize: number;
}

/** The checked footer: row counts and the column chunks of each row group. */
export interface ParquetLayout {
  readonly numRows: number;
  readonly leaves: readonly ParquetLeaf[];
  readonly rowGroups: readonly { readonly numRows: number; readonly chunks: readonly ParquetChunk[] }[];
  /** The footer as parsed (FileMetaData), and its ARROW:schema when it has one: parquet-schema.ts reads them. */
  readonly metadata: ThriftStruct;
  readonly arrowSchema: readonly ArrowSchemaField[] | undefined;
}

/** Bytes per decoded row of one column, the reader's estimate of a row group's working set (a float64). */
export const BYTES_PER_DECODED_ROW = 8;

/**
 * Parse and check the footer bytes (FileMetaData, without its length and magic) of a file of `fileSize`
 * bytes whose footer starts at `footerStart`; throws InvalidInputError naming `file` and the field.
 */
export function checkParquetFooter(file: string, footer: Uint8Array, fileSize: number, footerStart: number, budget: number): ParquetLayout {
  let metadata: ThriftStruct;
  try {
    metadata = readThriftStruct(footer);
  } catch (error) {
    if (error instanceof ThriftError) throw new InvalidInputError(file, `unreadable Parquet footer: ${error.message}`, { cause: error });
    throw error;
  }
  try {
    return checkMetadata(file, metadata, footerStart, budget);
  } catch (error) {
    if (error instanceof ThriftError) throw new InvalidInputError(file, `unreadable Parquet footer: ${error.message}`, { cause: error });
    throw error;
  }
}

function checkMetadata(file: string, metadata: ThriftStruct, footerStart: number, budget: number): ParquetLayout {
  const bad = (reason: string): InvalidInputError => new InvalidInputError(file, reason);
  if (metadata.has(8) || metadata.has(9)) throw bad('encrypted Parquet files are not supported');
  const elements = metadata.structs(2);
  if (elements === undefined || elements.length === 0) throw bad('unreadable Parquet footer: no schema');
  const leaves = schemaLeaves(file, elements);
  const arrowSchema = arrowSchemaOf(file, metadata);
  if (arrowSchema) checkArrowTypes(file, leaves, arrowSchema, elements);

  const declaredRows = requireInt(file, metadata, 3, 'num_rows', 'the footer');
  const groups = metadata.structs(4) ?? [];
  let totalRows = 0;
  const rowGroups: ParquetLayout['rowGroups'][number][] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    const rows = requireInt(file, group, 3, 'num_rows', `row group ${g}`);
    if (rows < 0) throw bad(`row group ${g} declares ${rows} rows (num_rows)`);
    if (rows * BYTES_PER_DECODED_ROW > budget) {
      throw bad(
        `row group ${g} declares ${rows} rows (num_rows): one decoded column needs ${rows * BYTES_PER_DECODED_ROW} bytes, over the ${describeBudget(budget)}`,
      );
    }
    totalRows += rows;
    const columns = group.structs(1) ?? [];
    if (columns.length !== leaves.length) {
      throw bad(`row group ${g} has ${columns.length} column chunks, the schema ${leaves.length} columns`);
    }
    rowGroups.push({ numRows: rows, chunks: columns.map((chunk, c) => checkChunk(file, chunk, leaves[c], g, rows, footerStart, budget)) });
  }
  if (declaredRows !== totalRows) {
    throw bad(`the footer declares ${declaredRows} rows (num_rows) but its row groups hold ${totalRows}`);
  }
  checkDisjoint(file, rowGroups.flatMap((g) => g.chunks));
  return { numRows: totalRows, leaves, rowGroups, metadata, arrowSchema };
}

function requireInt(file: string, struct: ThriftStruct, id: number, field: string, where: string): number {
  const value = struct.int(id);
  if (value === undefined) throw new InvalidInputError(file, `unreadable Parquet footer: ${where} has no ${field}`);
  return value;
}

/** The leaves of the schema tree (elements in depth-first order, each group followed by its num_children). */
function schemaLeaves(file: string, elements: readonly ThriftStruct[]): ParquetLeaf[] {
  const leaves: ParquetLeaf[] = [];
  let next = 1;
  let columnIndex = -1;
  const walk = (count: number, path: readonly string[], repetition: number, definition: number, depth: number): void => {
    if (depth > 64) throw new InvalidInputError(file, 'unreadable Parquet footer: schema nested deeper than 64 levels');
    for (let i = 0; i < count; i++) {
      if (next >= elements.length) {
        throw new InvalidInputError(file, `unreadable Parquet footer: the schema declares more fields than its ${elements.length} elements`);
      }
      const element = elements[next++];
      if (depth === 0) columnIndex++;
      const name = element.string(4) ?? '';
      const children = element.int(5);
      const repetitionType = element.int(3) ?? 0;
      const repeated = repetitionType === 2 ? 1 : 0;
      const defined = repetitionType === 0 ? 0 : 1;
      if (children !== undefined && children > 0) {
        walk(children, [...path, name], repetition + repeated, definition + defined, depth + 1);
        continue;
      }
      const physical = element.int(1);
      if (physical === undefined || physical < 0 || physical >= PHYSICAL_NAMES.length) {
        throw new InvalidInputError(file, `column '${[...path, name].join('.')}': unknown physical type ${physical ?? '(none)'}`);
      }
      const leaf: ParquetLeaf = {
        path: [...path, name],
        column: path[0] ?? name,
        columnIndex,
        physical,
        typeLength: element.int(2),
        maxRepetition: repetition + repeated,
        maxDefinition: definition + defined,
        ...timeUnitOf(element),
      };
      checkAnnotation(file, leaf, element);
      leaves.push(leaf);
    }
  };
  walk(elements[0].int(5) ?? 0, [], 0, 0, 0);
  if (next !== elements.length) {
    throw new InvalidInputError(file, `unreadable Parquet footer: the schema tree uses ${next} of its ${elements.length} elements`);
  }
  return leaves;
}

/** The stored unit of a TIMESTAMP leaf: its logical type's unit (MILLIS 1, MICROS 2, NANOS 3), else its converted type's. */
function timeUnitOf(element: ThriftStruct): { timeUnit?: 'ms' | 'us' | 'ns' } {
  const unit = storedTimeUnit(element);
  return unit === undefined ? {} : { timeUnit: unit };
}

/** The unit a TIMESTAMP leaf stores: its logical type's (MILLIS 1, MICROS 2, NANOS 3), else its converted type's. */
export function storedTimeUnit(element: ThriftStruct): 'ms' | 'us' | 'ns' | undefined {
  const unit = element.struct(10)?.struct(8)?.struct(2)?.ids[0];
  if (unit !== undefined) return unit === 1 ? 'ms' : unit === 2 ? 'us' : unit === 3 ? 'ns' : undefined;
  const converted = element.int(6);
  return converted === 9 ? 'ms' : converted === 10 ? 'us' : undefined;
}

/** Converted types (parquet.thrift `ConvertedType`) and the physical types each allows. */
const CONVERTED: Readonly<Record<number, readonly [string, readonly number[]]>> = {
  0: ['UTF8', [PHYSICAL.BYTE_ARRAY]],
  4: ['ENUM', [PHYSICAL.BYTE_ARRAY]],
  5: ['DECIMAL', [PHYSICAL.INT32, PHYSICAL.INT64, PHYSICAL.FIXED_LEN_BYTE_ARRAY, PHYSICAL.BYTE_ARRAY]],
  6: ['DATE', [PHYSICAL.INT32]],
  7: ['TIME_MILLIS', [PHYSICAL.INT32]],
  8: ['TIME_MICROS', [PHYSICAL.INT64]],
  9: ['TIMESTAMP_MILLIS', [PHYSICAL.INT64]],
  10: ['TIMESTAMP_MICROS', [PHYSICAL.INT64]],
  11: ['UINT_8', [PHYSICAL.INT32]],
  12: ['UINT_16', [PHYSICAL.INT32]],
  13: ['UINT_32', [PHYSICAL.INT32]],
  14: ['UINT_64', [PHYSICAL.INT64]],
  15: ['INT_8', [PHYSICAL.INT32]],
  16: ['INT_16', [PHYSICAL.INT32]],
  17: ['INT_32', [PHYSICAL.INT32]],
  18: ['INT_64', [PHYSICAL.INT64]],
  19: ['JSON', [PHYSICAL.BYTE_ARRAY]],
  20: ['BSON', [PHYSICAL.BYTE_ARRAY]],
  21: ['INTERVAL', [PHYSICAL.FIXED_LEN_BYTE_ARRAY]],
};

/** Logical types (parquet.thrift `LogicalType` union members) that constrain a leaf's physical type. */
const LOGICAL: Readonly<Record<number, readonly [string, readonly number[]]>> = {
  1: ['STRING', [PHYSICAL.BYTE_ARRAY]],
  4: ['ENUM', [PHYSICAL.BYTE_ARRAY]],
  5: ['DECIMAL', [PHYSICAL.INT32, PHYSICAL.INT64, PHYSICAL.FIXED_LEN_BYTE_ARRAY, PHYSICAL.BYTE_ARRAY]],
  6: ['DATE', [PHYSICAL.INT32]],
  7: ['TIME', [PHYSICAL.INT32, PHYSICAL.INT64]],
  8: ['TIMESTAMP', [PHYSICAL.INT64]],
  10: ['INTEGER', [PHYSICAL.INT32, PHYSICAL.INT64]],
  12: ['JSON', [PHYSICAL.BYTE_ARRAY]],
  13: ['BSON', [PHYSICAL.BYTE_ARRAY]],
  14: ['UUID', [PHYSICAL.FIXED_LEN_BYTE_ARRAY]],
  15: ['FLOAT16', [PHYSICAL.FIXED_LEN_BYTE_ARRAY]],
};

/** A leaf's converted and logical types must fit its physical type (and FIXED_LEN_BYTE_ARRAY must have a width). */
function checkAnnotation(file: string, leaf: ParquetLeaf, element: ThriftStruct): void {
  const name = leaf.path.join('.');
  const physical = PHYSICAL_NAMES[leaf.physical];
  const refuse = (what: string): never => {
    throw new InvalidInputError(file, `column '${name}': physical type ${physical} contradicts its ${what}`);
  };
  if (leaf.physical === PHYSICAL.FIXED_LEN_BYTE_ARRAY && !(leaf.typeLength !== undefined && leaf.typeLength > 0)) {
    throw new InvalidInputError(file, `column '${name}': FIXED_LEN_BYTE_ARRAY without a positive type_length (${leaf.typeLength ?? 'none'})`);
  }
  const converted = element.int(6);
  if (converted !== undefined) {
    const rule = CONVERTED[converted];
    if (rule && !rule[1].includes(leaf.physical)) refuse(`converted type ${rule[0]}`);
  }
  const logical = element.struct(10);
  if (logical) {
    for (const id of logical.ids) {
      const rule = LOGICAL[id];
      if (rule && !rule[1].includes(leaf.physical)) refuse(`logical type ${rule[0]}`);
      if (id === 10) {
        const bits = logical.struct(10)?.int(1);
        if (bits !== undefined && (bits === 64) !== (leaf.physical === PHYSICAL.INT64)) refuse(`logical type INTEGER(${bits})`);
      }
      if (id === 15 && leaf.typeLength !== 2) refuse('logical type FLOAT16 (needs type_length 2)');
      if (id === 14 && leaf.typeLength !== 16) refuse('logical type UUID (needs type_length 16)');
    }
  }
  const isDecimal = converted === 5 || logical?.has(5) === true;
  if (isDecimal) {
    const precision = logical?.struct(5)?.int(2) ?? element.int(8);
    const scale = logical?.struct(5)?.int(1) ?? element.int(7) ?? 0;
    const maxPrecision =
      leaf.physical === PHYSICAL.INT32 ? 9 : leaf.physical === PHYSICAL.INT64 ? 18 : leaf.physical === PHYSICAL.FIXED_LEN_BYTE_ARRAY ? Math.floor((8 * (leaf.typeLength ?? 0) - 1) * Math.log10(2)) : Infinity;
    if (precision === undefined || precision < 1 || precision > maxPrecision || scale < 0 || scale > precision) {
      refuse(`decimal(${precision ?? '?'}, ${scale})`);
    }
  }
}

/** The ARROW:schema a writer stored (pyarrow, arrow-rs) in the footer (FileMetaData) `metadata`, or undefined when there is none. */
function arrowSchemaOf(file: string, metadata: ThriftStruct): readonly ArrowSchemaField[] | undefined {
  const entries = metadata.structs(5) ?? [];
  const entry = entries.find((kv) => kv.string(1) === 'ARROW:schema');
  const value = entry?.string(2);
  if (value === undefined) return undefined;
  try {
    return readSchemaMessage(new Uint8Array(Buffer.from(value, 'base64')));
  } catch {
    // reported below
  }
  throw new InvalidInputError(file, 'unreadable ARROW:schema in the Parquet footer');
}

/**
 * Each top-level primitive field of the ARROW:schema must be stored with a physical type it can come from:
 * a float64 column stored as INT32 (a bit flip away) would otherwise be decoded as integers.
 */
function checkArrowTypes(file: string, leaves: readonly ParquetLeaf[], fields: readonly ArrowSchemaField[], elements: readonly ThriftStruct[]): void {
  const topLevel = elements[0].int(5) ?? 0;
  if (fields.length !== topLevel) {
    throw new InvalidInputError(file, `the Parquet footer's ARROW:schema has ${fields.length} fields, its schema ${topLevel} columns`);
  }
  // Top-level columns by position (names may repeat), matched to the Arrow fields in order.
  const columns: ParquetLeaf[][] = Array.from({ length: topLevel }, () => []);
  for (const leaf of leaves) columns[leaf.columnIndex]?.push(leaf);
  fields.forEach((field, i) => {
    const stored = columns[i];
    if (stored?.[0]?.column !== field.name) {
      throw new InvalidInputError(file, `the Parquet footer's ARROW:schema names column ${i + 1} '${field.name}', its schema '${stored?.[0]?.column ?? ''}'`);
    }
    const allowed = physicalTypesFor(field.type);
    if (allowed === undefined) return;
    const leaf = stored.length === 1 && stored[0].path.length === 1 ? stored[0] : undefined;
    if (leaf === undefined || !allowed.includes(leaf.physical)) {
      const physical = leaf ? PHYSICAL_NAMES[leaf.physical] : 'a nested group';
      throw new InvalidInputError(file, `column '${field.name}': physical type ${physical} contradicts its ARROW:schema type ${schemaTypeName(field.type)}`);
    }
  });
}

/** The physical types a primitive Arrow type is stored as, or undefined for nested and unknown types. */
function physicalTypesFor(declared: SchemaType): readonly number[] | undefined {
  const type = declared.id === 'dictionary' ? declared.value : declared;
  switch (type.id) {
    case 'bool':
      return [PHYSICAL.BOOLEAN];
    case 'int':
      if (type.bits === 64) return [PHYSICAL.INT64];
      // uint32 is stored as INT64 by writers of format version 1.0.
      return type.bits === 32 && !type.signed ? [PHYSICAL.INT32, PHYSICAL.INT64] : [PHYSICAL.INT32];
    case 'float':
      return [[PHYSICAL.FIXED_LEN_BYTE_ARRAY], [PHYSICAL.FLOAT], [PHYSICAL.DOUBLE]][type.precision];
    case 'decimal':
      return [PHYSICAL.INT32, PHYSICAL.INT64, PHYSICAL.FIXED_LEN_BYTE_ARRAY, PHYSICAL.BYTE_ARRAY];
    case 'utf8':
    case 'large-utf8':
    case 'binary':
    case 'large-binary':
      return [PHYSICAL.BYTE_ARRAY];
    case 'fixed-size-binary':
      return [PHYSICAL.FIXED_LEN_BYTE_ARRAY];
    case 'date':
      return [PHYSICAL.INT32, PHYSICAL.INT64];
    case 'timestamp':
      return [PHYSICAL.INT64, PHYSICAL.INT96];
    case 'time':
      return [PHYSICAL.INT32, PHYSICAL.INT64];
    default:
      return undefined;
  }
}

/** Fixed byte widths of the physical types (FIXED_LEN_BYTE_ARRAY: its type_length), for statistics and pages. */
export function physicalWidth(leaf: ParquetLeaf): number | undefined {
  switch (leaf.physical) {
    case PHYSICAL.BOOLEAN:
      return 1;
    case PHYSICAL.INT32:
    case PHYSICAL.FLOAT:
      return 4;
    case PHYSICAL.INT64:
    case PHYSICAL.DOUBLE:
      return 8;
    case PHYSICAL.INT96:
      return 12;
    case PHYSICAL.FIXED_LEN_BYTE_ARRAY:
      return leaf.typeLength;
    default:
      return undefined;
  }
}

/** One ColumnChunk: its metadata must match its schema leaf, lie inside the file and fit the budget. */
function checkChunk(
  file: string,
  chunk: ThriftStruct,
  leaf: ParquetLeaf,
  group: number,
  rows: number,
  footerStart: number,
  budget: number,
): ParquetChunk {
  const where = `row group ${group}, column '${leaf.path.join('.')}'`;
  const bad = (reason: string): InvalidInputError => new InvalidInputError(file, `${where}: ${reason}`);
  if (chunk.binary(1) !== undefined) throw bad('its data is in another file (file_path), which is not supported');
  const meta = chunk.struct(3);
  if (meta === undefined) throw bad('no column metadata (encrypted columns are not supported)');
  const type = meta.int(1);
  if (type !== leaf.physical) {
    throw bad(`its metadata declares physical type ${PHYSICAL_NAMES[type ?? -1] ?? type}, the schema ${PHYSICAL_NAMES[leaf.physical]}`);
  }
  const path = (meta.list(3) ?? []).map((p) => (p instanceof Uint8Array ? TEXT.decode(p) : '?'));
  if (path.join('\u0000') !== leaf.path.join('\u0000')) throw bad(`its metadata names the column '${path.join('.')}'`);
  const codec = meta.int(4) ?? -1;
  if (CODECS[codec] === undefined) throw bad(`unsupported compression codec ${codec === 3 ? 'LZO' : codec}`);
  const numValues = meta.int(5) ?? -1;
  if (numValues < 0) throw bad(`declares ${numValues} values (num_values)`);
  if (leaf.maxRepetition === 0 && numValues !== rows) throw bad(`declares ${numValues} values (num_values), the row group ${rows} rows`);
  const uncompressed = meta.int(6) ?? -1;
  const compressed = meta.int(7) ?? -1;
  if (uncompressed < 0 || compressed < 0) throw bad(`declares negative sizes (total_uncompressed_size ${uncompressed}, total_compressed_size ${compressed})`);
  if (uncompressed > budget) throw bad(`declares ${uncompressed} uncompressed bytes (total_uncompressed_size), over the ${describeBudget(budget)}`);
  if (compressed > budget) throw overBudget(file, where, 'total_compressed_size', compressed, budget);
  const dataOffset = meta.int(9) ?? -1;
  const dictionaryOffset = meta.int(11);
  // Some writers store 0 for "no dictionary page": a chunk never starts inside the leading magic.
  const hasDictionary = dictionaryOffset !== undefined && dictionaryOffset > 0;
  // An empty chunk (no values, no bytes) may point anywhere, pyarrow writes offset 0: it is never read.
  const empty = compressed === 0 && numValues === 0;
  const start = empty ? 4 : hasDictionary ? dictionaryOffset : dataOffset;
  const end = start + compressed;
  if (start < 4 || end > footerStart) {
    throw bad(`its column chunk [${start}, ${end}) lies outside the file's data (bytes 4 to ${footerStart})`);
  }
  // A chunk of no values may have no data page (pyarrow then writes data_page_offset 0).
  if (numValues > 0 && (dataOffset < start || dataOffset >= end)) {
    throw bad(`its first data page (byte ${dataOffset}) lies outside its column chunk [${start}, ${end})`);
  }
  checkStatistics(file, where, leaf, meta.struct(12));
  return { leaf, rowGroup: group, codec, numValues, start, end, uncompressedSize: uncompressed };
}

/** Min/max statistics of a fixed-width type have exactly its width: another width means the type was altered. */
function checkStatistics(file: string, where: string, leaf: ParquetLeaf, statistics: ThriftStruct | undefined): void {
  const width = physicalWidth(leaf);
  if (statistics === undefined || width === undefined || leaf.physical === PHYSICAL.INT96) return;
  for (const [id, field] of [
    [1, 'max'],
    [2, 'min'],
    [5, 'max_value'],
    [6, 'min_value'],
  ] as const) {
    const value = statistics.binary(id);
    if (value !== undefined && value.length !== width) {
      throw new InvalidInputError(
        file,
        `${where}: its statistics' ${field} has ${value.length} bytes, not the ${width} of physical type ${PHYSICAL_NAMES[leaf.physical]}`,
      );
    }
  }
}

/**
 * No two column chunks share bytes: writers never overlap them, and a footer pointing thousands of chunks at
 * the same bytes would make a small file decode for minutes.
 */
function checkDisjoint(file: string, chunks: readonly ParquetChunk[]): void {
  const sorted = chunks.filter((c) => c.end > c.start).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.start < a.end) {
      throw new InvalidInputError(
        file,
        `row group ${b.rowGroup}, column '${b.leaf.path.join('.')}': its column chunk [${b.start}, ${b.end}) overlaps row group ${a.rowGroup}, column '${a.leaf.path.join('.')}' [${a.start}, ${a.end})`,
      );
    }
  }
}
