import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openBatchFile } from '../../functions/adapters/columnar-reader.js';
import { fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { serializeSignature } from '../../functions/core/signature/index.js';
import type { DatasetSignature, NumericColumnSignature } from '../../functions/core/signature/index.js';
import { mergePartials, splitEvenly } from '../../functions/core/signature/plan.js';
import { centredAgrees, withoutMoments } from '../core/signature/helpers.js';

// Files written by pyarrow (test/fixtures/scaleout/make-ranges.py): 6400 rows in 16 units of 400 rows.
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/scaleout/${name}`, import.meta.url));
const FILES = ['ranges.parquet', 'ranges.arrow'] as const;


function expectMomentsClose(a: DatasetSignature, b: DatasetSignature): void {
  for (const [name, column] of Object.entries(b.columns)) {
    if (column.kind !== 'numeric') continue;
    const other = a.columns[name] as NumericColumnSignature;
    expect(Math.abs(other.mean - column.mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(column.mean)));
    expect(Math.abs(other.m2 - column.m2)).toBeLessThanOrEqual(1e-9 * column.m2);
  }
}

async function signInRanges(path: string, parts: number, options: Parameters<typeof signSources>[1] = {}): Promise<{ whole: DatasetSignature; merged: DatasetSignature; ranges: number }> {
  const source = await fileByteSource(path);
  const units = await (await openBatchFile(source)).units();
  const items = splitEvenly({ key: path, byteLength: source.byteLength, units }, parts);
  const partials = [];
  for (const item of items) partials.push(await signSources([source], { ...options, ...(item.range ? { range: item.range } : {}) }));
  return { whole: await signSources([source], options), merged: mergePartials(partials, options), ranges: items.length };
}

describe('Function: BatchFile.batches with a range (pyarrow files)', () => {
  it.each(FILES)('%s: units() lists 16 units of 400 rows with their bytes', async (name) => {
    // Prepare
    const file = await openBatchFile(await fileByteSource(fixture(name)));

    // Act
    const units = await file.units();

    // Assess
    expect(units?.map((u) => u.rows)).toEqual(Array(16).fill(400));
    expect(units?.every((u) => u.bytes > 0 && u.decodedBytes >= u.bytes * (name.endsWith('.parquet') ? 0.5 : 1))).toBe(true);
  });

  it.each([...FILES, 'ranges.arrows'])('%s: range [5, 9) yields exactly units 5 to 8', async (name) => {
    // Prepare
    const file = await openBatchFile(await fileByteSource(fixture(name)));
    const all: number[] = [];
    for await (const b of file.batches(['i64'])) all.push(...(b.columns.get('i64') as { values: Float64Array }).values.slice(0, b.rowCount));

    // Act
    const ranged: number[] = [];
    for await (const b of file.batches(['i64'], { range: { start: 5, end: 9 } })) ranged.push(...(b.columns.get('i64') as { values: Float64Array }).values.slice(0, b.rowCount));

    // Assess
    expect(ranged).toEqual(all.slice(5 * 400, 9 * 400));
  });

  it.each([...FILES, 'ranges.arrows'])('%s: a range past the units is refused, naming the file', async (name) => {
    // Prepare
    const file = await openBatchFile(await fileByteSource(fixture(name)));

    // Act
    const error = await (async () => {
      for await (const _ of file.batches(['i64'], { range: { start: 3, end: 17 } })) void _;
    })().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toContain(name);
    expect((error as InvalidInputError).message).toMatch(/range \[3, 17\) is past the (file's|stream's) 16/);
  });

  it('an Arrow stream has no units up front (a plan signs it whole)', async () => {
    // Prepare
    const file = await openBatchFile(await fileByteSource(fixture('ranges.arrows')));

    // Act
    const units = await file.units();

    // Assess
    expect(units).toBeUndefined();
  });
});

describe('Function: signSources over 8 ranges merged by mergePartials (pyarrow files)', () => {
  it.each(FILES)('%s building a reference: 8 ranges equal the single pass (counts bit-identical, moments within 1e-9)', async (name) => {
    // Act
    const { whole, merged, ranges } = await signInRanges(fixture(name), 8);

    // Assess
    expect(ranges).toBe(8);
    expect(merged.rowCount).toBe(6400);
    expect(withoutMoments(merged)).toBe(withoutMoments(whole));
    expect(centredAgrees(merged, whole)).toBe(true);
    expectMomentsClose(merged, whole);
  });

  it.each(FILES)('%s signed on a reference: 8 ranges equal the single pass', async (name) => {
    // Prepare
    const reference = await signSources([await fileByteSource(fixture('ranges.parquet'))]);

    // Act
    const { whole, merged } = await signInRanges(fixture(name), 8, { reference });

    // Assess
    expect(withoutMoments(merged)).toBe(withoutMoments(whole));
    expect(centredAgrees(merged, whole)).toBe(true);
    expectMomentsClose(merged, whole);
  });
});
