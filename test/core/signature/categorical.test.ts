import { describe, expect, it } from 'vitest';
import { categoricalSignatureOf, estimateDistinct } from '../../../functions/core/signature/index.js';
import { CategoricalAccumulator, VALUE_CAP, mergeCategorical } from '../../../functions/core/signature/categorical.js';
import { hllDecode, hllEstimate, murmur3 } from '../../../functions/core/signature/hll.js';
import { categoricalChunk, numericChunk, prng } from './helpers.js';

describe('Function: categoricalSignatureOf', () => {
  it('keeps the top K sorted by count desc then value asc, the rest in other', () => {
    // Prepare
    const values = ['b', 'a', 'c', 'a', 'b', 'd', 'e', 'e', null, 'a', null];

    // Act
    const sig = categoricalSignatureOf(values, { topK: 3 });

    // Assess
    expect(sig.top).toEqual([
      ['a', 3],
      ['b', 2],
      ['e', 2],
    ]);
    expect(sig.other).toBe(2);
    expect(sig).toMatchObject({ count: 11, nulls: 2, k: 3 });
    expect(sig.nulls + sig.other + sig.top.reduce((s, [, c]) => s + c, 0)).toBe(sig.count);
  });

  it('rejects a topK below 1', () => {
    // Prepare
    const values = ['a'];

    // Act
    const act = () => categoricalSignatureOf(values, { topK: 0 });

    // Assess
    expect(act).toThrow(/topK must be an integer >= 1, got 0/);
  });

  it('keeps a 200-category column whole with the default K', () => {
    // Prepare
    const values = Array.from({ length: 10_000 }, (_, i) => `cat-${i % 200}`);

    // Act
    const sig = categoricalSignatureOf(values);

    // Assess
    expect(sig.k).toBe(256);
    expect(sig.top).toHaveLength(200);
    expect(sig.other).toBe(0);
    expect(estimateDistinct(sig)).toBe(200);
  });
});

describe('Function: estimateDistinct', () => {
  for (const n of [1_000, 20_000, 100_000]) {
    it(`is within 3% on ${n} distinct values (HLL p=12, std ≈ 1.6%)`, () => {
      // Prepare
      const values = Array.from({ length: n }, (_, i) => `user-${i}@example.com`);

      // Act
      const sig = categoricalSignatureOf(values, { topK: 10 });

      // Assess
      expect(sig.other).toBeGreaterThan(0);
      expect(Math.abs(estimateDistinct(sig) - n) / n).toBeLessThan(0.03);
    });
  }

  it('is exact from the top list when nothing spilled into other', () => {
    // Prepare
    const sig = categoricalSignatureOf(['x', 'y', 'x', 'z']);

    // Act
    const distinct = estimateDistinct(sig);

    // Assess
    expect(distinct).toBe(3);
  });

  it('merges registers by max: the union estimate, not the sum', () => {
    // Prepare: two halves overlapping on 10 000 values.
    const a = categoricalSignatureOf(Array.from({ length: 30_000 }, (_, i) => `v${i}`), { topK: 5 });
    const b = categoricalSignatureOf(Array.from({ length: 30_000 }, (_, i) => `v${i + 20_000}`), { topK: 5 });

    // Act
    const merged = mergeCategorical(a, b);

    // Assess
    expect(Math.abs(estimateDistinct(merged) - 50_000) / 50_000).toBeLessThan(0.03);
    expect(merged.count).toBe(60_000);
  });
});

describe('Function: murmur3', () => {
  it('matches the reference murmur3_x86_32 vectors', () => {
    // Prepare
    const bytes = (s: string) => new TextEncoder().encode(s);
    const cases: [string, number, number][] = [
      ['', 0, 0],
      ['', 1, 0x514e28b7],
      ['test', 0, 0xba6bd213],
      ['Hello, world!', 0x9747b28c, 0x24884cba],
      ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ];

    // Act
    const hashes = cases.map(([s, seed]) => murmur3(bytes(s), bytes(s).length, seed));

    // Assess
    expect(hashes).toEqual(cases.map(([, , h]) => h));
  });

  it('gives an empty register set an estimate of 0', () => {
    // Prepare
    const sig = categoricalSignatureOf([null, null]);

    // Act
    const estimate = hllEstimate(hllDecode(sig.distinct.registers, sig.distinct.p));

    // Assess
    expect(estimate).toBe(0);
    expect(sig.top).toEqual([]);
  });
});

describe('Function: CategoricalAccumulator', () => {
  it('treats integer values as categories (role override) with nulls, and -0 as "0"', () => {
    // Prepare
    const acc = new CategoricalAccumulator('int', 10);

    // Act
    acc.add(numericChunk([3, 1, 3, null, 0, -0, 3]));
    const sig = acc.finish();

    // Assess
    expect(sig.top).toEqual([
      ['3', 3],
      ['0', 2],
      ['1', 1],
    ]);
    expect(sig).toMatchObject({ type: 'int', count: 7, nulls: 1, other: 0 });
  });

  it('folds dictionary chunks with different dictionaries into one count per value', () => {
    // Prepare
    const acc = new CategoricalAccumulator('boolean');

    // Act
    acc.add({ kind: 'categorical', length: 4, dictionary: ['false', 'true'], indices: Int32Array.from([0, 1, 1, -1]) });
    acc.add({ kind: 'categorical', length: 3, dictionary: ['true', 'false'], indices: Int32Array.from([0, 0, 1]) });
    const sig = acc.finish();

    // Assess
    expect(sig.top).toEqual([
      ['true', 4],
      ['false', 2],
    ]);
    expect(sig.nulls).toBe(1);
  });

  it('prunes past the value cap keeping heavy hitters exact and the sums whole', () => {
    // Prepare: 3 heavy values, then 3 × VALUE_CAP singletons spread over many chunks.
    const rnd = prng(5);
    const acc = new CategoricalAccumulator('string', 5);
    const heavy = ['H1', 'H2', 'H3'];
    let total = 0;
    for (let chunk = 0; chunk < 30; chunk++) {
      const values: string[] = [];
      for (let i = 0; i < 1_000; i++) values.push(`s${chunk}-${i}`);
      for (let i = 0; i < 300; i++) values.push(heavy[Math.floor(rnd() * 3)]);
      total += values.length;

      // Act
      acc.add(categoricalChunk(values));
    }
    const sig = acc.finish();

    // Assess
    expect(3 * VALUE_CAP).toBe(30 * 1_000);
    expect(sig.top.slice(0, 3).map(([v]) => v).sort()).toEqual(heavy);
    expect(sig.top.slice(0, 3).reduce((s, [, c]) => s + c, 0)).toBe(30 * 300);
    expect(sig.count).toBe(total);
    expect(sig.nulls + sig.other + sig.top.reduce((s, [, c]) => s + c, 0)).toBe(total);
    expect(Math.abs(estimateDistinct(sig) - 30_003) / 30_003).toBeLessThan(0.03);
  });
});
