import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnBatch, ColumnField } from '../../../functions/core/columns.js';
import { ConfigError } from '../../../functions/core/errors.js';
import {
  mergeAll,
  mergeSignatures,
  numericSignatureOf,
  parseSignature,
  serializeSignature,
  signatureOf,
} from '../../../functions/core/signature/index.js';
import type { DatasetSignature, NumericColumnSignature, SignatureOptions } from '../../../functions/core/signature/index.js';
import { compare } from '../../../functions/core/drift/index.js';
import { batch, categoricalChunk, category, field, numberValue, numericChunk, time } from './helpers.js';

// A fixed seed keeps the property runs deterministic (fast-check prints it on failure anyway).
fc.configureGlobal({ seed: 20_261_126 });

const schema: ColumnField[] = [field('x', 'float'), field('c', 'string'), field('t', 'timestamp')];

// A reference fixes the histogram edges, as in production (every current batch is counted on them).
const reference: DatasetSignature = {
  schemaVersion: 1,
  rowCount: 0,
  schema,
  columns: { x: numericSignatureOf(Array.from({ length: 200 }, (_, i) => (i - 100) * 1e4)) },
  sources: [],
};
const options: SignatureOptions = { reference };

interface Rows {
  readonly x: (number | null)[];
  readonly c: (string | null)[];
  readonly t: (number | null)[];
}


const rowsArb: fc.Arbitrary<Rows> = fc.integer({ min: 0, max: 60 }).chain((n) =>
  fc.record({
    x: fc.array(numberValue, { minLength: n, maxLength: n }),
    c: fc.array(category, { minLength: n, maxLength: n }),
    t: fc.array(time, { minLength: n, maxLength: n }),
  }),
);

function toBatch(rows: Rows): ColumnBatch {
  return batch({ x: numericChunk(rows.x), c: categoricalChunk(rows.c), t: numericChunk(rows.t) });
}

function sigOf(rows: Rows, source: string): DatasetSignature {
  return signatureOf(schema, [toBatch(rows)], options, [source]);
}

function concat(...parts: Rows[]): Rows {
  return { x: parts.flatMap((p) => p.x), c: parts.flatMap((p) => p.c), t: parts.flatMap((p) => p.t) };
}

/** The signature without the floating moments, for exact comparison; moments are checked apart. */
function withoutMoments(sig: DatasetSignature): string {
  const doc = JSON.parse(serializeSignature(sig));
  delete doc.columns.x.mean;
  delete doc.columns.x.m2;
  return JSON.stringify(doc);
}

/** Moments agree within floating-point tolerance (relative to the data's scale). */
function expectMomentsClose(a: NumericColumnSignature, b: NumericColumnSignature): void {
  const n = Math.max(a.finite, 1);
  const meanScale = Math.max(Math.abs(b.mean), Math.sqrt(b.m2 / n));
  expect(Math.abs(a.mean - b.mean)).toBeLessThanOrEqual(1e-9 * meanScale + 1e-300);
  expect(Math.abs(a.m2 - b.m2)).toBeLessThanOrEqual(1e-9 * b.m2 + 1e-13 * n * b.mean * b.mean + 1e-300);
}

describe('Function: mergeSignatures (properties)', () => {
  it('merge(sig(A), sig(B)) equals sig(A ∪ B): counts, sketch, histogram, top-K, HLL exactly; moments within 1e-9', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (a, b) => {
        // Prepare
        const whole = signatureOf(schema, [toBatch(concat(a, b))], options, ['a', 'b']);

        // Act
        const merged = mergeSignatures(sigOf(a, 'a'), sigOf(b, 'b'));

        // Assess
        expect(withoutMoments(merged)).toBe(withoutMoments(whole));
        expectMomentsClose(merged.columns.x as NumericColumnSignature, whole.columns.x as NumericColumnSignature);
      }),
      { numRuns: 150 },
    );
  });

  it('is commutative on the serialized bytes', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (a, b) => {
        // Prepare
        const sa = sigOf(a, 'a');
        const sb = sigOf(b, 'b');

        // Act
        const ab = serializeSignature(mergeSignatures(sa, sb));
        const ba = serializeSignature(mergeSignatures(sb, sa));

        // Assess
        expect(ab).toBe(ba);
      }),
      { numRuns: 150 },
    );
  });

  it('is associative on the serialized bytes (moments within floating-point tolerance)', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, rowsArb, (a, b, c) => {
        // Prepare
        const [sa, sb, sc] = [sigOf(a, 'a'), sigOf(b, 'b'), sigOf(c, 'c')];

        // Act
        const left = mergeSignatures(mergeSignatures(sa, sb), sc);
        const right = mergeSignatures(sa, mergeSignatures(sb, sc));

        // Assess
        expect(withoutMoments(left)).toBe(withoutMoments(right));
        expectMomentsClose(left.columns.x as NumericColumnSignature, right.columns.x as NumericColumnSignature);
        expect(withoutMoments(mergeAll([sa, sb, sc]))).toBe(withoutMoments(left));
      }),
      { numRuns: 100 },
    );
  });

  it('serialize → parse → serialize is the identity on bytes, and building twice gives the same bytes', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (a, b) => {
        // Prepare
        const merged = mergeSignatures(sigOf(a, 'a'), sigOf(b, 'b'));
        const bytes = serializeSignature(merged);

        // Act
        const again = serializeSignature(parseSignature(bytes, 'prop.json'));
        const rebuilt = serializeSignature(mergeSignatures(sigOf(a, 'a'), sigOf(b, 'b')));

        // Assess
        expect(again).toBe(bytes);
        expect(rebuilt).toBe(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('builds the same signature from one batch or from the same rows split into batches (moments within 1e-9)', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (a, b) => {
        // Prepare
        const one = signatureOf(schema, [toBatch(concat(a, b))], options, ['f']);

        // Act
        const split = signatureOf(schema, [toBatch(a), toBatch(b)], options, ['f']);

        // Assess
        expect(withoutMoments(split)).toBe(withoutMoments(one));
        expectMomentsClose(split.columns.x as NumericColumnSignature, one.columns.x as NumericColumnSignature);
      }),
      { numRuns: 100 },
    );
  });
});

describe('Function: mergeSignatures (schemas)', () => {
  // These two tests used to expect "the first type wins" and "absent rows are not counted": both hid a
  // retype or a dropped column depending on the order of the batches (reviewer finding 4).
  it('takes the union of columns; keeps every type seen; counts absent rows as nulls; rows and sources add', () => {
    // Prepare
    const a = signatureOf([field('x', 'float'), field('c', 'string')], [batch({ x: numericChunk([1, 2]), c: categoricalChunk(['p', 'q']) })], {}, ['a']);
    const b = signatureOf([field('x', 'int'), field('y', 'float')], [batch({ x: numericChunk([3]), y: numericChunk([9]) })], {}, ['b', 'a']);

    // Act
    const merged = mergeSignatures(a, b);

    // Assess
    expect(merged.schema.map((f) => [f.name, f.type, f.sourceType])).toEqual([
      ['c', 'string', 'string'],
      ['x', 'other', 'float (float) | int (int)'],
      ['y', 'float', 'float'],
    ]);
    expect(merged.rowCount).toBe(3);
    expect(merged.sources).toEqual(['a', 'b']);
    expect(merged.columns.x).toMatchObject({ count: 3, finite: 3, min: 1, max: 3, mean: 2 });
    expect(merged.columns.c).toMatchObject({ count: 3, nulls: 1 });
    expect(merged.columns.y).toMatchObject({ count: 3, nulls: 2, finite: 1, min: 9 });
    // (Histogram edges of batches signed without a shared reference are not compared: production signs on the reference's edges.)
    const reversed = mergeSignatures(b, a);
    expect(reversed.schema).toEqual(merged.schema);
    expect(reversed.columns.c).toEqual(merged.columns.c);
    expect(reversed.columns.y).toEqual(merged.columns.y);
  });

  it('keeps no stats for a column that changed kind, and a retype is reported in either order', () => {
    // Prepare
    const a = signatureOf([field('v', 'float')], [batch({ v: numericChunk([1]) })]);
    const b = signatureOf([field('v', 'string')], [batch({ v: categoricalChunk(['one']) })]);

    // Act
    const ab = mergeSignatures(a, b);
    const ba = mergeSignatures(b, a);

    // Assess
    expect(Object.hasOwn(ab.columns, 'v')).toBe(false);
    expect(ab.schema).toEqual([{ name: 'v', type: 'other', sourceType: 'float (float) | string (string)', nullable: true }]);
    expect(serializeSignature(ba)).toBe(serializeSignature(ab));
    expect(compare(a, ab).schema.retyped).toEqual([{ name: 'v', reference: 'float', current: 'mixed: float (float) | string (string)' }]);
    expect(compare(a, ba).schema.retyped).toEqual(compare(a, ab).schema.retyped);
  });

  it('is commutative when the schemas differ (columns dropped, added or retyped), and null shares count absent rows', () => {
    const shape = fc.record({ x: fc.constantFrom<'float' | 'int' | 'string' | null>('float', 'int', 'string', null), c: fc.boolean() });
    fc.assert(
      fc.property(rowsArb, rowsArb, shape, shape, (a, b, shapeA, shapeB) => {
        // Prepare: each side drops or retypes columns.
        const build = (rows: Rows, shape: { x: 'float' | 'int' | 'string' | null; c: boolean }, source: string): DatasetSignature => {
          const fields: ColumnField[] = [];
          const columns: Record<string, ReturnType<typeof numericChunk> | ReturnType<typeof categoricalChunk>> = {};
          if (shape.x === 'string') {
            fields.push(field('x', 'string'));
            columns.x = categoricalChunk(rows.x.map((v) => (v === null ? null : String(v))));
          } else if (shape.x !== null) {
            fields.push(field('x', shape.x));
            columns.x = numericChunk(rows.x);
          }
          if (shape.c) {
            fields.push(field('c', 'string'));
            columns.c = categoricalChunk(rows.c);
          }
          return signatureOf(fields, [{ ...batch(columns), rowCount: rows.x.length }], options, [source]);
        };
        const sa = build(a, shapeA, 'a');
        const sb = build(b, shapeB, 'b');

        // Act
        const ab = mergeSignatures(sa, sb);
        const ba = mergeSignatures(sb, sa);

        // Assess
        expect(serializeSignature(ab)).toBe(serializeSignature(ba));
        if (Object.hasOwn(ab.columns, 'c')) {
          const nullsOf = (rows: Rows, present: boolean) => (present ? rows.c.filter((v) => v === null).length : rows.c.length);
          expect(ab.columns.c).toMatchObject({ count: a.c.length + b.c.length, nulls: nullsOf(a, shapeA.c) + nullsOf(b, shapeB.c) });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('mergeAll refuses an empty list', () => {
    // Prepare
    const none: DatasetSignature[] = [];

    // Act
    const act = () => mergeAll(none);

    // Assess
    expect(act).toThrow(ConfigError);
  });
});
