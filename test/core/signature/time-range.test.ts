import { describe, expect, it } from 'vitest';
import { parseSignature, serializeSignature, type DatasetSignature } from '../../../functions/core/signature/index.js';
import { mergeTime, TimeAccumulator } from '../../../functions/core/signature/time.js';
import { numericChunk } from './helpers.js';

/**
 * A time column's signature holds any time a reader can deliver, whatever JavaScript's Date can hold:
 * Arrow date32 up to 2^31-1 days (1.86e17 ms), int64 seconds (9.2e21 ms); NaN/±Inf are rows, not times.
 */

const DAY_MS = 86_400_000;
const EXTREMES = [(2 ** 31 - 1) * DAY_MS, -(2 ** 31) * DAY_MS, 8.64e15 + 1, -8.64e15 - 1, 9.223372036854776e21, Number.MIN_VALUE, -Number.MAX_VALUE] as const;

function signatureWith(min: number | null, max: number | null): DatasetSignature {
  return {
    schemaVersion: 1,
    rowCount: 3,
    schema: [{ name: 't', type: 'date', sourceType: 'Date32<DAY>', nullable: true }],
    columns: { t: { kind: 'time', type: 'date', count: 3, nulls: 0, min, max } },
    sources: ['a.arrow'],
  };
}

describe('Class: TimeAccumulator', () => {
  it('keeps times beyond Date exactly and counts NaN/±Inf as rows without a time', () => {
    // Prepare
    const acc = new TimeAccumulator('date');

    // Act
    acc.add(numericChunk([...EXTREMES, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null]));
    const sig = acc.finish();

    // Assess
    expect(sig).toEqual({ kind: 'time', type: 'date', count: 11, nulls: 1, min: -Number.MAX_VALUE, max: 9.223372036854776e21 });
  });

  it('gives no range when every value is non-finite, and merges ranges across the Date limit', () => {
    // Prepare
    const none = new TimeAccumulator('timestamp');
    none.add(numericChunk([Number.NaN, Number.POSITIVE_INFINITY]));
    const far = new TimeAccumulator('timestamp');
    far.add(numericChunk([(2 ** 31 - 1) * DAY_MS]));

    // Act
    const merged = mergeTime(none.finish(), far.finish());

    // Assess
    expect(none.finish()).toMatchObject({ count: 2, nulls: 0, min: null, max: null });
    expect(merged).toMatchObject({ count: 3, min: (2 ** 31 - 1) * DAY_MS, max: (2 ** 31 - 1) * DAY_MS });
  });
});

describe('Function: serializeSignature (time columns)', () => {
  it.each(EXTREMES.map((x) => [x]))('round-trips %s exactly', (x) => {
    // Prepare
    const sig = signatureWith(x, x);

    // Act
    const read = parseSignature(serializeSignature(sig), 'sig.json');

    // Assess
    expect(read.columns.t).toEqual(sig.columns.t);
    expect(serializeSignature(read)).toBe(serializeSignature(sig));
  });
});
