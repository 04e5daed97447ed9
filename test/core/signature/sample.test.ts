import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnBatch, ColumnChunk } from '../../../functions/core/columns.js';
import { MAX_SAMPLE_ROWS, SampleAccumulator, VALUE_MAX, mergeSamples, rowPriority, sampleColumns } from '../../../functions/core/signature/sample.js';

/** A batch of `rows` rows: amount = offset + i, country cycling, and an `email` column (personal data). */
function batchOf(rows: number, offset = 0): ColumnBatch {
  const values = Float64Array.from({ length: rows }, (_, i) => offset + i);
  const nulls = Uint8Array.from({ length: rows }, (_, i) => ((offset + i) % 7 === 3 ? 1 : 0));
  const dictionary = ['US', 'DE', '<b>IN</b>', 'x'.repeat(VALUE_MAX + 10)];
  const indices = Int32Array.from({ length: rows }, (_, i) => ((offset + i) % 11 === 5 ? -1 : (offset + i) % dictionary.length));
  const email = { kind: 'categorical' as const, length: rows, dictionary: ['a@example.com'], indices: new Int32Array(rows) };
  return {
    rowCount: rows,
    columns: new Map<string, ColumnChunk>([
      ['amount', { kind: 'numeric' as const, length: rows, values, nulls }],
      ['country', { kind: 'categorical' as const, length: rows, dictionary, indices }],
      ['email', email],
    ]),
  };
}

function sampleOf(source: string, batches: readonly ColumnBatch[], k: number, columns = ['amount', 'country']) {
  const acc = new SampleAccumulator(columns, k, source);
  for (const b of batches) acc.add(b);
  return acc.finish();
}

describe('Function: SampleAccumulator and mergeSamples (review samples)', () => {
  it('keeps exactly the k lowest-priority rows, the same on every run and whatever the batch split', () => {
    // Act
    const whole = sampleOf('a.parquet', [batchOf(500)], 20);
    const split = sampleOf('a.parquet', [batchOf(200), batchOf(300, 200)], 20);
    const brute = Array.from({ length: 500 }, (_, row) => ({ row, p: rowPriority('a.parquet', row) })).sort((x, y) => x.p - y.p).slice(0, 20).map((r) => r.row);

    // Assess
    expect(whole.rows).toHaveLength(20);
    expect(whole.rows.map((r) => r.row)).toEqual(brute);
    expect(split).toEqual(whole);
    expect(sampleOf('a.parquet', [batchOf(500)], 20)).toEqual(whole);
  });

  it('never reads an excluded column, keeps nulls as null and caps long values', () => {
    // Act
    const sample = sampleOf('a.parquet', [batchOf(300)], 50, sampleColumns(['amount', 'country', 'email'], ['email']));

    // Assess
    expect(sample.columns).toEqual(['amount', 'country']);
    for (const r of sample.rows) expect(Object.keys(r.values).sort()).toEqual(['amount', 'country']);
    expect(JSON.stringify(sample)).not.toContain('a@example.com');
    for (const r of sample.rows) {
      expect(r.values.amount).toBe(r.row % 7 === 3 ? null : r.row);
      if (r.row % 11 === 5) expect(r.values.country).toBeNull();
      expect(String(r.values.country ?? '').length).toBeLessThanOrEqual(VALUE_MAX);
    }
  });

  it('merges to the sample of the union, in any order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 1, max: 30 }), (n, m, k) => {
        // Prepare
        const a = sampleOf('a', [batchOf(n)], k);
        const b = sampleOf('b', [batchOf(m)], k);
        const all = [
          ...Array.from({ length: n }, (_, row) => ({ source: 'a', row, p: rowPriority('a', row) })),
          ...Array.from({ length: m }, (_, row) => ({ source: 'b', row, p: rowPriority('b', row) })),
        ].sort((x, y) => x.p - y.p || (x.source < y.source ? -1 : x.source > y.source ? 1 : x.row - y.row));

        // Act
        const ab = mergeSamples(a, b);

        // Assess
        expect(ab).toEqual(mergeSamples(b, a));
        expect(mergeSamples(ab, ab)).toEqual(ab);
        expect(ab.rows.map((r) => `${r.source}:${r.row}`)).toEqual(all.slice(0, k).map((r) => `${r.source}:${r.row}`));
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a sample size outside 1..MAX_SAMPLE_ROWS, naming the field', () => {
    // Act / Assess
    expect(() => new SampleAccumulator(['amount'], 0, 'a')).toThrow(/rows must be an integer from 1 to 100, got 0/);
    expect(() => new SampleAccumulator(['amount'], MAX_SAMPLE_ROWS + 1, 'a')).toThrow(/got 101/);
  });
});
