import {
  Bool,
  DateMillisecond,
  Decimal,
  Dictionary,
  Float16,
  Float64,
  Int8,
  LargeUtf8,
  Table,
  TimestampNanosecond,
  TimestampSecond,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { openBatchFile } from '../../functions/adapters/columnar-reader.js';
import { bufferByteSource } from '../../functions/adapters/file-byte-source.js';
import type { ColumnBatch, ColumnChunk } from '../../functions/core/columns.js';

/** Little-endian 32-bit words of a two's complement integer of `bits` bits. */
function words(value: bigint, bits: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(bits, value);
  for (let i = 0; i < bits / 32; i++) {
    out.push(Number(v & 0xffffffffn));
    v >>= 32n;
  }
  return out;
}

function decimalVector(values: bigint[], bits: 128 | 256, scale: number): Vector {
  const type = new Decimal(scale, 30, bits);
  const data = new Uint32Array(values.flatMap((v) => words(v, bits)));
  return makeVector(makeData({ type, length: values.length, data }));
}

/** Types no fixture writer produced: built with apache-arrow, written as IPC, read back by the reader. */
function edgeTable(): Table {
  return new Table({
    u64: makeVector(new BigUint64Array([2n ** 63n + 2048n, 5n, 0n])),
    i64: makeVector(new BigInt64Array([-(2n ** 40n) - 3n, -1n, 2n ** 52n])),
    h: vectorFromArray([1.5, -2, null], new Float16()),
    l: vectorFromArray(['x', 'yy', null], new LargeUtf8()),
    dt: makeVector(makeData({ type: new DateMillisecond(), length: 3, data: new BigInt64Array([259_200_000n, -86_400_000n, 0n]) })),
    tss: makeVector(makeData({ type: new TimestampSecond(), length: 3, data: new BigInt64Array([1_700_000_000n, -5n, 0n]) })),
    tsn: makeVector(
      makeData({ type: new TimestampNanosecond(), length: 3, data: new BigInt64Array([1_700_000_000_123_456_789n, 1_000_000n, 0n]) }),
    ),
    d128: decimalVector([-123_456_789_012n, 5n, 0n], 128, 3),
    d256: decimalVector([12_345n, -1n, 10n ** 20n], 256, 2),
    nd: makeVector(
      makeData({
        type: new Dictionary(new Float64(), new Int8()),
        length: 3,
        data: new Int8Array([1, 0, 1]),
        dictionary: makeVector(new Float64Array([0.25, -7])),
      }),
    ),
    flag: vectorFromArray([true, false, true], new Bool()),
  });
}

async function readSingleBatch(bytes: Uint8Array, name: string): Promise<ColumnBatch> {
  const file = await openBatchFile(bufferByteSource(name, bytes));
  const batches: ColumnBatch[] = [];
  for await (const batch of file.batches()) batches.push(batch);
  expect(batches).toHaveLength(1);
  return batches[0];
}

function numbers(chunk: ColumnChunk | undefined): (number | null)[] {
  if (chunk?.kind !== 'numeric') throw new Error(`expected a numeric chunk, got ${chunk?.kind}`);
  return Array.from(chunk.values, (v, i) => (chunk.nulls?.[i] === 1 ? null : v));
}

function strings(chunk: ColumnChunk | undefined): (string | null)[] {
  if (chunk?.kind !== 'categorical') throw new Error(`expected a categorical chunk, got ${chunk?.kind}`);
  return Array.from(chunk.indices, (i) => (i < 0 ? null : chunk.dictionary[i]));
}

describe('Function: openBatchFile (Arrow edge types)', () => {
  it.each(['stream', 'file'] as const)('converts every numeric, time and string type exactly (%s format)', async (format) => {
    // Prepare
    const bytes = tableToIPC(edgeTable(), format);

    // Act
    const file = await openBatchFile(bufferByteSource(`edge.${format}`, bytes));
    const batch = await readSingleBatch(bytes, `edge.${format}`);

    // Assess
    expect(file.format).toBe(format === 'file' ? 'arrow-file' : 'arrow-stream');
    expect(Object.fromEntries(file.schema.map((f) => [f.name, `${f.type} ${f.sourceType}`]))).toEqual({
      u64: 'int Uint64',
      i64: 'int Int64',
      h: 'float Float16',
      l: 'string LargeUtf8',
      dt: 'date Date64<MILLISECOND>',
      tss: 'timestamp Timestamp<SECOND>',
      tsn: 'timestamp Timestamp<NANOSECOND>',
      d128: 'decimal Decimal128(30, 3)',
      d256: 'decimal Decimal256(30, 2)',
      nd: 'float Dictionary<Int8, Float64>',
      flag: 'boolean Bool',
    });
    expect(numbers(batch.columns.get('u64'))).toEqual([2 ** 63 + 2048, 5, 0]);
    expect(numbers(batch.columns.get('i64'))).toEqual([-(2 ** 40) - 3, -1, 2 ** 52]);
    expect(numbers(batch.columns.get('h'))).toEqual([1.5, -2, null]);
    expect(strings(batch.columns.get('l'))).toEqual(['x', 'yy', null]);
    expect(numbers(batch.columns.get('dt'))).toEqual([259_200_000, -86_400_000, 0]);
    expect(numbers(batch.columns.get('tss'))).toEqual([1_700_000_000_000, -5000, 0]);
    const tsn = numbers(batch.columns.get('tsn'));
    expect(tsn[0]).toBeCloseTo(1_700_000_000_123.456789, 3);
    expect(tsn.slice(1)).toEqual([1, 0]);
    expect(numbers(batch.columns.get('d128'))).toEqual([-123_456_789.012, 0.005, 0]);
    expect(numbers(batch.columns.get('d256'))).toEqual([123.45, -0.01, 1e18]);
    expect(numbers(batch.columns.get('nd'))).toEqual([-7, 0.25, -7]);
    expect(strings(batch.columns.get('flag'))).toEqual(['true', 'false', 'true']);
  });
});
