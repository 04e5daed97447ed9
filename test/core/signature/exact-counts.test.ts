import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXACT_VALUES_MAX, ExactCounts, numericSignatureOf } from '../../../functions/core/signature/numeric.js';
import type { ExactCountsJson } from '../../../functions/core/signature/types.js';

/** The Map-based counting ExactCounts replaced (issue 14), as the reference behaviour: SameValueZero keys, finite only. */
function byMap(chunks: readonly (readonly number[])[]): { values: number[]; counts: number[] } | null {
  const counts = new Map<number, number>();
  for (const chunk of chunks) for (const x of chunk) if (Number.isFinite(x)) counts.set(x, (counts.get(x) ?? 0) + 1);
  if (counts.size > EXACT_VALUES_MAX) return null;
  const values = [...counts.keys()].map((v) => (v === 0 ? 0 : v)).sort((a, b) => a - b);
  return { values, counts: values.map((v) => counts.get(v)!) };
}

function byTable(chunks: readonly (readonly number[])[]): ExactCountsJson | null {
  const table = new ExactCounts();
  for (const chunk of chunks) if (!table.add(Float64Array.from(chunk), undefined, chunk.length)) return null;
  return table.toJson();
}

describe('Class: ExactCounts', () => {
  it('counts like a Map keyed by value over few or many distinct doubles, runs, -0, NaN and ±Infinity (property)', () => {
    // Prepare: values drawn from a pool (so runs and repeats happen), sometimes past the cap.
    const pool = fc.oneof(
      fc.double({ noDefaultInfinity: false, noNaN: false }),
      fc.integer({ min: -300, max: 300 }),
      fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 0.1, 0.30000000000000004, 2 ** -1074, Number.MAX_VALUE),
    );
    const chunks = fc.array(pool, { minLength: 1, maxLength: 40 }).chain((palette) =>
      fc.array(fc.array(fc.nat(palette.length - 1).map((i) => palette[i]), { maxLength: 400 }), { minLength: 1, maxLength: 4 }),
    );

    // Act + Assess
    fc.assert(
      fc.property(chunks, (cs) => {
        const got = byTable(cs);
        const want = byMap(cs);
        expect(got === null ? null : JSON.stringify(got)).toBe(want === null ? null : JSON.stringify(want));
        if (got !== null) for (const v of got.values) expect(Object.is(v, -0)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps exactly EXACT_VALUES_MAX distinct values and drops the table at one more, also when it comes in a later chunk', () => {
    // Prepare: values whose doubles share their low word (integers) and whose high words differ in few bits.
    const kept = Array.from({ length: EXACT_VALUES_MAX }, (_, i) => i * 1024);
    const table = new ExactCounts();

    // Act
    const first = table.add(Float64Array.from([...kept, ...kept]), undefined, 2 * kept.length);
    const json = table.toJson();
    const second = table.add(Float64Array.of(0, -1), undefined, 2);

    // Assess
    expect(first).toBe(true);
    expect(json.values).toEqual(kept);
    expect(json.counts).toEqual(kept.map(() => 2));
    expect(second).toBe(false);
  });

  it('skips null rows and gives the accumulator the same exact counts as counting by hand', () => {
    // Prepare
    const values = [3, 3, null, -0, 0, 7, null, NaN, 3, Infinity, 7];

    // Act
    const sig = numericSignatureOf(values);

    // Assess
    expect(sig.exact).toEqual({ values: [0, 3, 7], counts: [2, 3, 2] });
  });
});
