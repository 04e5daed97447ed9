import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidInputError } from '../../../functions/core/errors.js';
import { SignatureBuilder } from '../../../functions/core/signature/builder.js';
import { framesOf, mergeGroups, mergePartials, planBudget, planSigning, splitEvenly, type PlanFile } from '../../../functions/core/signature/plan.js';
import type { NumericColumnSignature } from '../../../functions/core/signature/types.js';
import { batch, categoricalChunk, field, normals, numericChunk, prng } from './helpers.js';

const unit = (bytes: number, rows = 100, decodedBytes = bytes * 2) => ({ rows, bytes, decodedBytes });
const budget = { maxItemBytes: 1000, maxUnitDecodedBytes: 4000 };

describe('Function: planSigning', () => {
  it.each<[string, PlanFile[], { key: string; range?: [number, number]; bytes: number }[]]>([
    ['a file that fits is one item over all its units', [{ key: 'a', byteLength: 700, units: [unit(300), unit(300)] }], [{ key: 'a', range: [0, 2], bytes: 600 }]],
    [
      'a big file is packed into consecutive ranges within maxItemBytes',
      [{ key: 'a', byteLength: 2600, units: [unit(400), unit(400), unit(400), unit(900), unit(100), unit(300)] }],
      [
        { key: 'a', range: [0, 2], bytes: 800 },
        { key: 'a', range: [2, 3], bytes: 400 },
        { key: 'a', range: [3, 5], bytes: 1000 },
        { key: 'a', range: [5, 6], bytes: 300 },
      ],
    ],
    ['a unit over maxItemBytes is an item of its own', [{ key: 'a', byteLength: 1700, units: [unit(1500, 100, 3000), unit(100)] }], [{ key: 'a', range: [0, 1], bytes: 1500 }, { key: 'a', range: [1, 2], bytes: 100 }]],
    ['an Arrow stream (no units) is signed whole', [{ key: 's', byteLength: 5000, units: undefined }], [{ key: 's', bytes: 5000 }]],
    ['a file without rows is one empty item (its schema still counts)', [{ key: 'e', byteLength: 50, units: [] }], [{ key: 'e', range: [0, 0], bytes: 0 }]],
    [
      'several files keep file order; indices run over the whole plan',
      [
        { key: 'a', byteLength: 100, units: [unit(90)] },
        { key: 'b', byteLength: 100, units: [unit(90)] },
      ],
      [{ key: 'a', range: [0, 1], bytes: 90 }, { key: 'b', range: [0, 1], bytes: 90 }],
    ],
  ])('%s', (_name, files, expected) => {
    // Act
    const items = planSigning(files, budget);

    // Assess
    expect(items.map((i) => ({ key: i.key, ...(i.range ? { range: [i.range.start, i.range.end] } : {}), bytes: i.bytes }))).toEqual(expected);
    expect(items.map((i) => i.index)).toEqual(expected.map((_, k) => k));
  });

  it('covers every unit exactly once, with the rows of its range', () => {
    // Prepare
    const units = Array.from({ length: 37 }, (_, i) => unit(50 + ((i * 97) % 400), 10 + i));

    // Act
    const items = planSigning([{ key: 'a', byteLength: 1e6, units }], budget);

    // Assess
    const covered = items.flatMap((i) => Array.from({ length: i.range!.end - i.range!.start }, (_, k) => i.range!.start + k));
    expect(covered).toEqual(units.map((_, k) => k));
    expect(items.reduce((n, i) => n + (i.rows ?? 0), 0)).toBe(units.reduce((n, u) => n + u.rows, 0));
    expect(items.every((i) => i.bytes <= budget.maxItemBytes)).toBe(true);
  });

  it('refuses a unit that decodes over the memory budget, naming the file and the unit', () => {
    // Act
    const act = () => planSigning([{ key: 'training/big.parquet', byteLength: 10, units: [unit(10), unit(10, 5, 9000)] }], budget);

    // Assess
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(/training\/big\.parquet: unit 1 .* decodes to 9000 bytes, over the 4000 bytes/);
  });
});

describe('Function: planBudget', () => {
  it('turns seconds x measured rate into stored bytes per item, and half the memory into decoded bytes per unit', () => {
    // Act
    const b = planBudget({ seconds: 600, bytesPerSecond: 40e6, memoryBytes: 1024 * 2 ** 20 });

    // Assess
    expect(b).toEqual({ maxItemBytes: 24e9, maxUnitDecodedBytes: 512 * 2 ** 20 });
  });

  it('names every bad field', () => {
    // Act
    const act = () => planBudget({ seconds: 0, bytesPerSecond: Number.NaN, memoryBytes: 1 });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/seconds must be a positive number, got 0; bytesPerSecond must be a positive number, got NaN/);
  });
});

describe('Function: splitEvenly and mergeGroups', () => {
  it('splits 16 units into 8 ranges of 2, and 3 units into 3 ranges when asked for 8', () => {
    // Prepare
    const file = (n: number): PlanFile => ({ key: 'a', byteLength: 1, units: Array.from({ length: n }, () => unit(1)) });

    // Act
    const eight = splitEvenly(file(16), 8);
    const three = splitEvenly(file(3), 8);

    // Assess
    expect(eight.map((i) => [i.range!.start, i.range!.end])).toEqual([[0, 2], [2, 4], [4, 6], [6, 8], [8, 10], [10, 12], [12, 14], [14, 16]]);
    expect(three.map((i) => [i.range!.start, i.range!.end])).toEqual([[0, 1], [1, 2], [2, 3]]);
  });

  it('groups partials for one level of a tree merge; fanIn below 2 is refused', () => {
    // Act
    const groups = mergeGroups(10, 4);

    // Assess
    expect(groups).toEqual([{ start: 0, end: 4 }, { start: 4, end: 8 }, { start: 8, end: 10 }]);
    expect(mergeGroups(0, 4)).toEqual([]);
    expect(() => mergeGroups(10, 1)).toThrow(ConfigError);
  });
});

describe('Function: framesOf', () => {
  const fields = [field('far', 'float'), field('near', 'float'), field('empty', 'float'), field('city', 'string')];
  /** One signature of `n` rows: `far` around 1000 with σ `sd`, `near` around 0, `empty` all null. */
  const signed = (seed: number, sd: number, options: ConstructorParameters<typeof SignatureBuilder>[1] = {}) => {
    const rnd = prng(seed);
    const builder = new SignatureBuilder(fields, options);
    builder.add(
      batch({
        far: numericChunk(normals(rnd, 400).map((z) => 1000 + sd * z)),
        near: numericChunk(normals(rnd, 400)),
        empty: numericChunk(Array(400).fill(null)),
        city: categoricalChunk(Array.from({ length: 400 }, (_, i) => `c${i % 3}`)),
      }),
    );
    return builder.finish(['part']);
  };

  it('takes the frame of each numeric column with finite values (null for none), and leaves the rest out', () => {
    // Act
    const frames = framesOf(signed(1, 2));

    // Assess
    expect(frames).toEqual({ far: { offset: 1000, scale: 2 }, near: null });
  });

  it('partials signed with those frames merge keeping the centred sketch; chosen alone (σ 2 vs 8), they drop it', () => {
    // Prepare
    const frames = framesOf(signed(1, 2));

    // Act
    const shared = mergePartials([signed(1, 2, { frames }), signed(2, 8, { frames })]);
    const alone = mergePartials([signed(1, 2), signed(2, 8)]);

    // Assess
    expect((shared.columns.far as NumericColumnSignature).centred).toMatchObject({ offset: 1000, scale: 2 });
    expect((alone.columns.far as NumericColumnSignature).centred).toBeUndefined();
    expect((shared.columns.near as NumericColumnSignature).centred).toBeUndefined();
  });
});

