import { describe, expect, it } from 'vitest';
import { compare, driftResultSchema, type DriftResult } from '../../../functions/core/drift/index.js';
import { datasetOf, type TestColumn } from './build.js';
import { seeded } from './random.js';

/**
 * The four cases of the "Verdicts that act" issue, through compare: each used to print NO-DRIFT under the
 * default dataset rule (≥ 50% of features), which hid a single material shift and every broken pipeline.
 */

const ROWS = 2000;

function columns(seed: number, rows: number, change: { a?: number; nullsB?: number; unseenColour?: number } = {}): Record<string, TestColumn> {
  const random = seeded(seed);
  const b = random.normals(rows, -5, 1);
  const colour = random.choices(['red', 'green', 'blue'], [5, 3, 2], rows);
  const pick = random.normals(rows, 0, 1).map((_, i) => i / rows);
  return {
    a: { type: 'float', values: random.normals(rows, 10 + (change.a ?? 0), 2) },
    b: { type: 'float', values: b.map((v, i) => (pick[i] < (change.nullsB ?? 0) ? null : v)) },
    c: { type: 'float', values: random.normals(rows, 100, 15) },
    colour: { type: 'string', values: colour.map((v, i) => (pick[i] >= 1 - (change.unseenColour ?? 0) ? 'purple' : v)) },
    n: { type: 'int', values: random.choices([0, 1, 2, 3, 4], [40, 30, 15, 10, 5], rows) },
  };
}

const reference = datasetOf(columns(1, 5000));

function check(current: Record<string, TestColumn>): DriftResult {
  const result = compare(reference, datasetOf(current, { reference }));
  // Every result parses back through the contract (drift, verdict and incidents agree with the action).
  expect(driftResultSchema.parse(JSON.parse(JSON.stringify(result)))).toEqual(result);
  return result;
}

describe('Function: compare (action classes, the issue cases)', () => {
  it('keeps a same-distribution batch of 2000 rows at none', () => {
    // Act
    const result = check(columns(2, ROWS));

    // Assess
    expect(result).toMatchObject({ action: 'none', drift: false, verdict: 'no-drift', incidents: [] });
  });

  it('makes one feature shifted 0.5σ among four stable ones drift (it used to be no-drift: 1 of 5 < 50%)', () => {
    // Act: σ of 'a' is 2, so +1 is half a σ.
    const result = check(columns(3, ROWS, { a: 1 }));

    // Assess
    expect(result.features.filter((f) => f.drift).map((f) => f.name)).toEqual(['a']);
    expect(result).toMatchObject({ action: 'drift', drift: true, verdict: 'drift', incidents: [] });
    expect(result.score).toBeCloseTo(1 / 5, 12);
    expect(result.actionReason).toMatch(/^Drift: 'a' moved 0\.\d\d σ \(Wasserstein distance in reference σ; KS p < 0\.001\)\.$/);
  });

  it('makes a column going from 0% to 30% nulls a data-quality incident, not drift', () => {
    // Act
    const result = check(columns(4, ROWS, { nullsB: 0.3 }));

    // Assess
    expect(result).toMatchObject({ action: 'data-quality', drift: false, verdict: 'no-drift' });
    expect(result.incidents).toEqual([{ kind: 'null-surge', feature: 'b', detail: "'b' null share rose from 0% to 30% (two-proportion z-test p < 0.001)." }]);
    expect(result.actionReason).toBe("Data quality: 'b' null share rose from 0% to 30% (two-proportion z-test p < 0.001); fix the pipeline before retraining.");
    // The feature keeps its own distribution result: its remaining values did not move.
    expect(result.features.find((f) => f.name === 'b')).toMatchObject({ drift: false, test: 'wasserstein', status: 'ok' });
  });

  it('makes a 20% share of a never-seen category drift (it used to be no-drift: 1 of 5 < 50%)', () => {
    // Act
    const result = check(columns(5, ROWS, { unseenColour: 0.2 }));

    // Assess
    const colour = result.features.find((f) => f.name === 'colour');
    expect(colour?.kind === 'categorical' && colour.metrics.unseenShare).toBeCloseTo(0.2, 2);
    expect(result).toMatchObject({ action: 'drift', drift: true, verdict: 'drift', incidents: [] });
    expect(result.actionReason).toBe("Drift: 20% of 'colour' values are categories the reference never saw (two-proportion p < 0.001).");
  });

  it('makes a missing column a data-quality incident (it used to count as one drifted feature of five)', () => {
    // Prepare
    const { c: _dropped, ...rest } = columns(6, ROWS);

    // Act
    const result = check(rest);

    // Assess
    expect(result).toMatchObject({ action: 'data-quality', drift: false, verdict: 'no-drift', score: 0 });
    expect(result.incidents).toEqual([{ kind: 'missing-column', feature: 'c', detail: "Column 'c' is missing from the current batch." }]);
    expect(result.actionReason).toBe("Data quality: column 'c' is missing from the current batch; fix the pipeline before retraining.");
    expect(result.summary).toMatch(/^Data quality \(1 finding\): Column 'c' is missing from the current batch\. No feature drifted \(0 of 4;/);
  });
});

describe('Function: compare (the other data-quality incidents)', () => {
  it('lets data-quality win over drift, listing the most serious finding first', () => {
    // Prepare: 'a' moves 2σ (drift by itself), 'b' is 40% null and 'c' is gone.
    const { c: _dropped, ...rest } = columns(7, ROWS, { a: 4, nullsB: 0.4 });

    // Act
    const result = check(rest);

    // Assess
    expect(result.features.find((f) => f.name === 'a')?.drift).toBe(true);
    expect(result).toMatchObject({ action: 'data-quality', drift: false, verdict: 'no-drift' });
    expect(result.incidents.map((i) => [i.kind, i.feature])).toEqual([['missing-column', 'c'], ['null-surge', 'b']]);
    expect(result.actionReason).toBe("Data quality: column 'c' is missing from the current batch (and 1 more finding); fix the pipeline before retraining.");
  });

  it('finds a retyped column', () => {
    // Prepare: 'n' arrives as strings.
    const current = { ...columns(8, ROWS), n: { type: 'string' as const, values: Array.from({ length: ROWS }, (_, i) => String(i % 5)) } };

    // Act
    const result = check(current);

    // Assess
    expect(result.incidents).toEqual([{ kind: 'retyped-column', feature: 'n', detail: "Column 'n' changed type (int → string)." }]);
    expect(result.action).toBe('data-quality');
  });

  it('finds an out-of-range jump (a unit change) but not a large real shift, whose values stay near the range', () => {
    // Prepare: 'c' in cents instead of euros (×100) in one batch; moved by 4σ in the other.
    const base = columns(9, ROWS);
    const cents = { ...base, c: { type: 'float' as const, values: (base.c.values as number[]).map((v) => v * 100) } };
    const shifted = { ...base, c: { type: 'float' as const, values: (base.c.values as number[]).map((v) => v + 60) } };

    // Act
    const unit = check(cents);
    const moved = check(shifted);

    // Assess
    expect(unit.action).toBe('data-quality');
    expect(unit.incidents.map((i) => [i.kind, i.feature])).toEqual([['out-of-range-jump', 'c']]);
    expect(unit.incidents[0].detail).toMatch(/^100% of 'c' values lie far outside the reference range \[\d+\.\d, \d+\] \(beyond it by more than its width; p < 0\.001\)\.$/);
    const c = moved.features.find((f) => f.name === 'c');
    expect(c?.kind === 'numeric' && c.outOfRangeShare).toBeGreaterThan(0.2);
    expect(moved).toMatchObject({ action: 'drift', incidents: [] });
  });

  it('finds a row collapse: an empty batch, or one where every feature is null', () => {
    // Prepare
    const empty = Object.fromEntries(Object.entries(columns(10, 0)).map(([name, column]) => [name, { ...column, values: [] }])) as Record<string, TestColumn>;
    const nulls = Object.fromEntries(Object.entries(columns(10, 100)).map(([name, column]) => [name, { ...column, values: Array(100).fill(null) }])) as Record<string, TestColumn>;

    // Act
    const none = check(empty);
    const allNull = check(nulls);

    // Assess
    expect(none).toMatchObject({ action: 'data-quality', verdict: 'no-drift' });
    expect(none.incidents).toEqual([{ kind: 'row-collapse', detail: 'The current batch has no rows (the reference has 5000).' }]);
    // One collapse, not five all-null findings.
    expect(allNull.incidents).toEqual([
      { kind: 'row-collapse', detail: 'Every feature is empty in the current batch (100 rows, no non-null values; the reference has 5000 rows).' },
    ]);
    expect(allNull.actionReason).toMatch(/^Data quality: every feature is empty in the current batch .*; fix the pipeline before retraining\.$/);
  });

  it('keeps insufficient-data for a batch too small to judge with no incident, at action none', () => {
    // Act
    const result = check(columns(11, 12));

    // Assess
    expect(result).toMatchObject({ action: 'none', verdict: 'insufficient-data', drift: false, incidents: [] });
    expect(result.actionReason).toBe('No action: too little data to judge any feature.');
  });
});
