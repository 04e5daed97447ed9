import { describe, expect, it } from 'vitest';
import { formatValue } from '../../../functions/core/drift/explain.js';
import { quantilesOf } from '../../../functions/core/drift/numeric.js';
import type { NumericColumnSignature } from '../../../functions/core/signature/types.js';
import { datasetOf } from './build.js';

/** A signature of one column through the real builder. */
function column(values: readonly number[], type: 'int' | 'float'): NumericColumnSignature {
  return datasetOf({ x: { type, values } }).columns.x as NumericColumnSignature;
}

describe('Function: quantilesOf (integer columns)', () => {
  it('reports an integer column at whole numbers, as the data holds them', () => {
    // Arrange: 2,001 distinct integers (past the exact counts' 256), so quantiles come from the sketch,
    // whose estimates (±0.5 % relative) are not whole numbers
    const values = Array.from({ length: 4002 }, (_, i) => (i % 2001) - 1000);
    const ints = column(values, 'int');
    const floats = column(values, 'float');

    // Act
    const asInt = quantilesOf(ints, ints);
    const asFloat = quantilesOf(floats, floats);

    // Assess
    expect(asInt.every((q) => q.reference !== null && Number.isInteger(q.reference))).toBe(true);
    expect(asInt.find((q) => q.p === 50)?.reference).toBeCloseTo(0, 0);
    expect(asFloat.some((q) => q.reference !== null && !Number.isInteger(q.reference))).toBe(true);
  });

  it('writes an integer as an integer in sentences', () => {
    // Act / Assess
    expect(formatValue(49)).toBe('49');
    expect(formatValue(-1)).toBe('-1');
    expect(formatValue(49.2)).toBe('49.2');
  });
});
