import type { ColumnBatch, ColumnChunk, ColumnField, LogicalType, NumericChunk } from '../../../functions/core/columns.js';
import { signatureOf, type DatasetSignature, type SignatureOptions } from '../../../functions/core/signature/index.js';
import { categoricalChunkOf } from '../../../functions/core/signature/categorical.js';

/** One column of test data: its logical type and its values (numbers for numeric/time, strings for categorical). */
export type TestColumn =
  | { readonly type: 'int' | 'float' | 'decimal' | 'date' | 'timestamp'; readonly values: readonly (number | null)[] }
  | { readonly type: 'string' | 'boolean'; readonly values: readonly (string | null)[] };

function numericChunk(values: readonly (number | null)[]): NumericChunk {
  const data = new Float64Array(values.length);
  const nulls = new Uint8Array(values.length);
  let anyNull = false;
  values.forEach((v, i) => {
    if (v === null) {
      nulls[i] = 1;
      anyNull = true;
    } else data[i] = v;
  });
  return { kind: 'numeric', length: values.length, values: data, nulls: anyNull ? nulls : undefined };
}

const categoricalChunk = categoricalChunkOf;

const SOURCE_TYPES: Record<LogicalType, string> = {
  boolean: 'Bool',
  int: 'Int64',
  float: 'Float64',
  decimal: 'Decimal128',
  string: 'Utf8',
  date: 'Date32<DAY>',
  timestamp: 'Timestamp<MILLISECOND>',
  other: 'Binary',
};

/**
 * A DatasetSignature of plain test columns, built through the real signature builder (one batch).
 * Pass `options.reference` when building a current signature so it reuses the reference's bin edges.
 */
export function datasetOf(columns: Readonly<Record<string, TestColumn>>, options?: SignatureOptions, source = 'test'): DatasetSignature {
  const names = Object.keys(columns);
  const rowCount = names.length > 0 ? columns[names[0]].values.length : 0;
  const schema: ColumnField[] = names.map((name) => ({
    name,
    type: columns[name].type,
    sourceType: SOURCE_TYPES[columns[name].type],
    nullable: true,
  }));
  const chunks = new Map<string, ColumnChunk>();
  for (const name of names) {
    const column = columns[name];
    chunks.set(
      name,
      column.type === 'string' || column.type === 'boolean'
        ? categoricalChunk(column.values as readonly (string | null)[])
        : numericChunk(column.values as readonly (number | null)[]),
    );
  }
  const batch: ColumnBatch = { rowCount, columns: chunks };
  return signatureOf(schema, [batch], options, [source]);
}
