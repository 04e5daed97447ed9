import { describe, expect, it } from 'vitest';
import { toColumnChunk } from '../../functions/adapters/arrow-columns.js';
import type { RawArray } from '../../functions/adapters/arrow-types.js';
import { ChunkBuffers } from '../../functions/adapters/chunk-buffers.js';
import type { ColumnChunk } from '../../functions/core/columns.js';

/** A utf8 RawArray built by hand: `underNulls` are the bytes a writer left under null rows. */
function utf8Array(values: readonly (string | null)[], underNulls: string): RawArray {
  const encoder = new TextEncoder();
  const offsets = new Int32Array(values.length + 1);
  const parts: Uint8Array[] = [];
  let position = 0;
  const validity = new Uint8Array((values.length + 7) >> 3);
  values.forEach((value, i) => {
    if (value !== null) validity[i >> 3] |= 1 << (i & 7);
    const bytes = encoder.encode(value ?? underNulls);
    parts.push(bytes);
    offsets[i] = position;
    position += bytes.length;
  });
  offsets[values.length] = position;
  const data = new Uint8Array(position);
  parts.forEach((bytes, i) => data.set(bytes, offsets[i]));
  return {
    type: { kind: 'utf8', large: false },
    length: values.length,
    nullCount: values.filter((v) => v === null).length,
    valueOffset: 0,
    bitOffset: 0,
    validity,
    values: new Uint8Array(offsets.buffer),
    data,
    dictionary: undefined,
  };
}

function float64Array(values: readonly (number | null)[]): RawArray {
  const validity = new Uint8Array((values.length + 7) >> 3);
  values.forEach((v, i) => {
    if (v !== null) validity[i >> 3] |= 1 << (i & 7);
  });
  return {
    type: { kind: 'float', bits: 64 },
    length: values.length,
    nullCount: values.filter((v) => v === null).length,
    valueOffset: 0,
    bitOffset: 0,
    validity,
    values: new Uint8Array(Float64Array.from(values, (v) => v ?? 123).buffer),
    data: undefined,
    dictionary: undefined,
  };
}

function strings(chunk: ColumnChunk | undefined): (string | null)[] {
  if (chunk?.kind !== 'categorical') throw new Error(`expected a categorical chunk, got ${chunk?.kind}`);
  return Array.from(chunk.indices, (i) => (i < 0 ? null : chunk.dictionary[i]));
}

function numbers(chunk: ColumnChunk | undefined): (number | null)[] {
  if (chunk?.kind !== 'numeric') throw new Error(`expected a numeric chunk, got ${chunk?.kind}`);
  return Array.from(chunk.values, (v, i) => (chunk.nulls?.[i] === 1 ? null : v));
}

describe('Function: toColumnChunk', () => {
  it('dictionary-encodes strings, listing only values that non-null rows use, in order of first use', () => {
    // Prepare: the bytes under the null rows ("ghost") appear in no non-null row; "b" appears under one too.
    const values = [null, 'b', 'a', null, 'b', 'ä€', 'a', '', null];
    const array = utf8Array(values, 'ghost');

    // Act
    const chunk = toColumnChunk(array);

    // Assess
    expect(strings(chunk)).toEqual(values);
    expect(chunk?.kind === 'categorical' && chunk.dictionary).toEqual(['b', 'a', 'ä€', '']);
  });

  it('keeps distinct values apart when many share a length and a hash slot (table growth)', () => {
    // Prepare: 5000 distinct 6-byte values, each twice, forcing several rehashes.
    const values = Array.from({ length: 10_000 }, (_, i) => `v${String(i % 5000).padStart(5, '0')}`);

    // Act
    const chunk = toColumnChunk(utf8Array(values, ''));

    // Assess
    expect(strings(chunk)).toEqual(values);
    expect(chunk?.kind === 'categorical' && chunk.dictionary.length).toBe(5000);
  });

  it('marks null rows exactly for any length and bit offset (whole validity bytes and the tail)', () => {
    // Prepare: 37 rows, every third and the 8th..15th null; then the same rows seen through an offset of 5.
    const values = Array.from({ length: 37 }, (_, i) => (i % 3 === 0 || (i >= 8 && i < 16) ? null : i + 0.5));
    const padded = [1, null, 2, null, 3, ...values];
    const plain = float64Array(values);
    const offset: RawArray = { ...float64Array(padded), length: values.length, valueOffset: 5, bitOffset: 5 };

    // Act
    const fromPlain = toColumnChunk(plain);
    const fromOffset = toColumnChunk({ ...offset, nullCount: -1 });

    // Assess
    expect(numbers(fromPlain)).toEqual(values);
    expect(numbers(fromOffset)).toEqual(values);
    expect(fromPlain?.kind === 'numeric' && Array.from(fromPlain.nulls ?? [])).toEqual(values.map((v) => (v === null ? 1 : 0)));
  });

  it('with ChunkBuffers, reuses one buffer per column and converts each chunk like a fresh conversion', () => {
    // Prepare
    const buffers = new ChunkBuffers();
    const first = float64Array([1.5, null, -3, 4]);
    const second = float64Array([null, 7, 8, null]);
    const third = utf8Array(['x', null, 'y'], '');
    const fourth = utf8Array(['z', 'z', null], '');

    // Act
    const a = toColumnChunk(first, buffers);
    const aValues = numbers(a);
    const b = toColumnChunk(second, buffers);
    const c = toColumnChunk(third, buffers);
    const cStrings = strings(c);
    const d = toColumnChunk(fourth, buffers);

    // Assess
    expect(aValues).toEqual(numbers(toColumnChunk(first)));
    expect(numbers(b)).toEqual(numbers(toColumnChunk(second)));
    expect(cStrings).toEqual(['x', null, 'y']);
    expect(strings(d)).toEqual(['z', 'z', null]);
    expect(a?.kind === 'numeric' && b?.kind === 'numeric' && a.values.buffer === b.values.buffer).toBe(true);
    expect(a?.kind === 'numeric' && b?.kind === 'numeric' && a.nulls?.buffer === b.nulls?.buffer).toBe(true);
    expect(c?.kind === 'categorical' && d?.kind === 'categorical' && c.indices.buffer === d.indices.buffer).toBe(true);
  });
});

describe('Function: toColumnChunk (64-bit integers, timestamps, decimals)', () => {
  const big = [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n + 5n, -(2n ** 40n) + 3n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 123_456_789_012n];
  function int64Array(values: readonly bigint[], signed: boolean, valueOffset: number, type?: RawArray['type']): RawArray {
    const words = signed ? BigInt64Array.from(values) : BigUint64Array.from(values.map((v) => BigInt.asUintN(64, v)));
    return {
      type: type ?? { kind: 'int', bits: 64, signed },
      length: values.length - valueOffset,
      nullCount: 0,
      valueOffset,
      bitOffset: 0,
      validity: undefined,
      values: new Uint8Array(words.buffer),
      data: undefined,
      dictionary: undefined,
    };
  }

  it.each([0, 3])('converts signed int64 exactly below 2^53 (value offset %i)', (offset) => {
    // Act
    const chunk = toColumnChunk(int64Array(big, true, offset));

    // Assess
    expect(chunk?.kind === 'numeric' && [...chunk.values]).toEqual(big.slice(offset).map(Number));
  });

  it('converts uint64 as unsigned (the high word is not a sign)', () => {
    // Prepare
    const values = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 52n + 7n, 2n ** 63n];

    // Act
    const chunk = toColumnChunk(int64Array(values, false, 0));

    // Assess
    expect(chunk?.kind === 'numeric' && [...chunk.values]).toEqual(values.map(Number));
  });

  it('divides int64 timestamps and decimals by their unit and scale', () => {
    // Act
    const micros = toColumnChunk(int64Array([1_700_000_000_123_456n, -5_000n], true, 0, { kind: 'timestamp', unit: 'us' }));
    const decimal = toColumnChunk(int64Array([12_345n, -250n], true, 0, { kind: 'decimal', bits: 64, precision: 10, scale: 2 }));

    // Assess
    expect(micros?.kind === 'numeric' && [...micros.values]).toEqual([1_700_000_000_123_456 / 1e3, -5]);
    expect(decimal?.kind === 'numeric' && [...decimal.values]).toEqual([123.45, -2.5]);
  });
});
