import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnBatch, ColumnField } from '../../../functions/core/columns.js';
import { mergeAll, numericSignatureOf, serializeSignature, signatureOf } from '../../../functions/core/signature/index.js';
import type { DatasetSignature, NumericColumnSignature, SignatureOptions } from '../../../functions/core/signature/index.js';
import { mergePartials } from '../../../functions/core/signature/plan.js';
import { batch, categoricalChunk, category, centredAgrees, field, numberValue, numericChunk, time, withoutMoments } from './helpers.js';

// The merge properties of merge.property.test.ts, extended to what the scale-out does: a file's row groups
// split into consecutive ranges, each range signed by its own builder (a Distributed Map child), the partials
// merged by mergePartials. With and without a reference: without one (building a reference) each partial
// chooses its own histogram edges and mergePartials must choose them again from the merged sketch.
fc.configureGlobal({ seed: 20_261_202 });

const schema: ColumnField[] = [field('x', 'float'), field('y', 'int'), field('c', 'string'), field('t', 'timestamp')];
const reference: DatasetSignature = {
  schemaVersion: 1,
  rowCount: 0,
  schema,
  columns: { x: numericSignatureOf(Array.from({ length: 200 }, (_, i) => (i - 100) * 1e4)) },
  sources: [],
};

interface Rows {
  readonly x: (number | null)[];
  readonly y: (number | null)[];
  readonly c: (string | null)[];
  readonly t: (number | null)[];
}

const intValue = fc.option(fc.integer({ min: -1000, max: 1000 }), { freq: 10 });

/** One row group of 0 to 40 rows. */
const groupArb: fc.Arbitrary<Rows> = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.record({
    x: fc.array(numberValue, { minLength: n, maxLength: n }),
    y: fc.array(intValue, { minLength: n, maxLength: n }),
    c: fc.array(category, { minLength: n, maxLength: n }),
    t: fc.array(time, { minLength: n, maxLength: n }),
  }),
);

/** A file: 1 to 16 row groups, and cut points splitting them into consecutive ranges. */
const fileArb = fc.array(groupArb, { minLength: 1, maxLength: 16 }).chain((groups) =>
  fc.record({
    groups: fc.constant(groups),
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, groups.length - 1) }), { maxLength: 8 }).map((c) => [...c].filter((k) => k < groups.length).sort((a, b) => a - b)),
  }),
);

function toBatch(rows: Rows): ColumnBatch {
  return batch({ x: numericChunk(rows.x), y: numericChunk(rows.y), c: categoricalChunk(rows.c), t: numericChunk(rows.t) });
}

function ranges(count: number, cuts: readonly number[]): [number, number][] {
  const bounds = [0, ...cuts, count];
  return bounds.slice(1).map((end, i) => [bounds[i], end]);
}


function expectMomentsClose(a: NumericColumnSignature, b: NumericColumnSignature): void {
  const n = Math.max(a.finite, 1);
  const meanScale = Math.max(Math.abs(b.mean), Math.sqrt(b.m2 / n));
  expect(Math.abs(a.mean - b.mean)).toBeLessThanOrEqual(1e-9 * meanScale + 1e-300);
  expect(Math.abs(a.m2 - b.m2)).toBeLessThanOrEqual(1e-9 * b.m2 + 1e-13 * n * b.mean * b.mean + 1e-300);
}

function checkSplit(options: SignatureOptions): void {
  fc.assert(
    fc.property(fileArb, ({ groups, cuts }) => {
      // Prepare
      const batches = groups.map(toBatch);
      const whole = signatureOf(schema, batches, options, ['f']);

      // Act
      const partials = ranges(groups.length, cuts).map(([start, end]) => signatureOf(schema, batches.slice(start, end), options, ['f']));
      const merged = mergePartials(partials, options);

      // Assess
      expect(withoutMoments(merged)).toBe(withoutMoments(whole));
      expect(centredAgrees(merged, whole)).toBe(true);
      for (const [name, column] of Object.entries(whole.columns)) {
        if (column.kind === 'numeric') expectMomentsClose(merged.columns[name] as NumericColumnSignature, column);
      }
    }),
    { numRuns: 150 },
  );
}

describe('Function: mergePartials (range splits, properties)', () => {
  it('row groups split into up to 9 ranges, signed on a reference: equals the single pass (counts exactly, moments within 1e-9)', () => {
    checkSplit({ reference });
  });

  it('building a reference (each partial picks its own edges): equals the single pass, edges chosen again from the merged sketch', () => {
    checkSplit({});
  });

  it('a split whose partial edges would differ: mergeAll alone is not the single pass, mergePartials is', () => {
    // Prepare
    const low = toBatch({ x: [1, 2, 3, 4], y: [1, 2, 3, 4], c: ['a', 'b', 'a', null], t: [1.7e12, 1.7e12, null, 1.7e12] });
    const high = toBatch({ x: [1000, 2000, 3000], y: [9, 9, 9], c: ['a', 'a', 'a'], t: [1.71e12, null, null] });
    const whole = signatureOf(schema, [low, high], {}, ['f']);
    const partials = [signatureOf(schema, [low], {}, ['f']), signatureOf(schema, [high], {}, ['f'])];

    // Act
    const merged = mergePartials(partials);

    // Assess
    expect((merged.columns.x as NumericColumnSignature).histogram).toEqual((whole.columns.x as NumericColumnSignature).histogram);
    expect((mergeAll(partials).columns.x as NumericColumnSignature).histogram).not.toEqual((whole.columns.x as NumericColumnSignature).histogram);
    expect(withoutMoments(merged)).toBe(withoutMoments(whole));
    expect(centredAgrees(merged, whole)).toBe(true);
  });
});
