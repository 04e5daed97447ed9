import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { compare, driftResultSchema, MIN_VALUES, rankFeatures, sketchResolves, type CategoricalFeatureDrift, type DriftResult, type NumericFeatureDrift } from '../../../functions/core/drift/index.js';
import type { NumericColumnSignature } from '../../../functions/core/signature/index.js';
import { datasetOf, type TestColumn } from './build.js';
import { seeded } from './random.js';

const START = Date.UTC(2026, 2, 1);

function columns(seed: number, rows: number, shift = { a: 0, b: 0 }, extra: Record<string, TestColumn> = {}): Record<string, TestColumn> {
  const random = seeded(seed);
  return {
    a: { type: 'float', values: random.normals(rows, 10 + shift.a, 2) },
    b: { type: 'float', values: random.normals(rows, -5 + shift.b, 1) },
    colour: { type: 'string', values: random.choices(['red', 'green', 'blue'], [5, 3, 2], rows) },
    at: { type: 'timestamp', values: Array.from({ length: rows }, (_, i) => START + seed * 1e8 + i * 60_000) },
    ...extra,
  };
}

const reference = datasetOf(columns(1, 5000));
const same = (seed: number, rows = 1000): ReturnType<typeof datasetOf> => datasetOf(columns(seed, rows), { reference });

function feature(result: DriftResult, name: string): NumericFeatureDrift | CategoricalFeatureDrift {
  const found = result.features.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no feature ${name}`);
  return found;
}

describe('Function: compare', () => {
  it('finds no drift between samples of the same distribution and explains why', () => {
    // Act
    const result = compare(reference, same(2));

    // Assess
    expect(result).toMatchObject({ schemaVersion: 1, drift: false, verdict: 'no-drift', action: 'none', incidents: [], score: 0 });
    expect(result.actionReason).toBe('No action: no feature drifted (0 of 3 judged).');
    expect(result.features.map((f) => f.name).sort()).toEqual(['a', 'b', 'colour']);
    expect(result.rowCount).toEqual({ reference: 5000, current: 1000 });
    expect(result.summary).toMatch(/^No feature drifted \(0 of 3; closest: '\w+', .+\)\. Action: none\. Rule: data-quality when .+; otherwise drift when ≥ 50% of the judged features drift, or one feature drifts materially .+; watch when any feature drifts; none otherwise\.$/);
    expect(feature(result, 'a').explanation).toMatch(/^'a' is stable: median (9\.\d\d|10\.0) → (9\.\d\d|10\.\d), Wasserstein 0\.\d\d σ < 0\.\d\d; KS p = 0\.\d+; this batch would have acted \(drift\) on a shift of 0\.\d\d σ( \(0\.\d\d σ would only be flagged: watch\))?\.$/);
    expect(result.rule.kind).toBe('action-classes');
    expect(result.rule.description).toContain('AND the change is significant');
    expect(result.driftIndex).toBeLessThan(1);
  });

  it('reports a shifted feature with its metrics, plot data and a sentence, sorted first', () => {
    // Prepare
    const current = datasetOf(columns(3, 1000, { a: 0, b: 1 }), { reference });

    // Act
    const result = compare(reference, current);

    // Assess
    const b = result.features[0] as NumericFeatureDrift;
    expect(b.name).toBe('b');
    expect(b).toMatchObject({ kind: 'numeric', drift: true, status: 'ok', test: 'wasserstein', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' });
    expect(b.score).toBeCloseTo(1, 1);
    expect(b.metrics.ksPValue).toBeLessThan(1e-10);
    expect(b.metrics.ksStat).toBeGreaterThan(0.3);
    expect(b.count).toEqual({ reference: 5000, current: 1000 });
    expect(b.quantiles.map((q) => q.p)).toEqual([1, 5, 25, 50, 75, 95, 99]);
    expect(b.quantiles[3].current! - b.quantiles[3].reference!).toBeCloseTo(1, 0);
    expect(b.bins.edges.length).toBeGreaterThan(5);
    expect(b.bins.reference).toHaveLength(b.bins.edges.length + 1);
    expect(b.bins.current.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    expect(b.mean.current - b.mean.reference).toBeCloseTo(1, 1);
    expect(b.explanation).toMatch(/^'b' moved \+\d\.\d\d at the median \(-[45]\.\d\d → -[34]\.\d\d\), Wasserstein \d\.\d\d σ ≥ 0\.10; KS p < 0\.001\.$/);
    // 1 of 3 drifted < 50%, but a 1σ move is material on its own: the dataset drifts (it used to be
    // 'no-drift': one feature could never make the default rule fire).
    expect(result).toMatchObject({ verdict: 'drift', action: 'drift', drift: true });
    expect(result.actionReason).toMatch(/^Drift: 'b' moved (0\.9\d|1\.\d\d) σ \(Wasserstein distance in reference σ; KS p < 0\.001\)\.$/);
    expect(result.score).toBeCloseTo(1 / 3, 12);
    expect(result.driftIndex).toBeCloseTo(b.score / 0.1, 9);
    expect(result.summary).toMatch(/^1 of 3 features drifted: 'b'\. Action: drift\./);
  });

  it('sorts drifted features first, the largest move relative to its threshold first', () => {
    // Prepare
    const current = datasetOf(columns(15, 1000, { a: 2, b: 0.5 }), { reference });

    // Act
    const result = compare(reference, current);

    // Assess: a moved 1σ (σ_a = 2), b moved 0.5σ; colour did not move.
    expect(result.features.map((f) => [f.name, f.drift])).toEqual([['a', true], ['b', true], ['colour', false]]);
    expect(result.verdict).toBe('drift');
    expect(result.summary).toMatch(/^2 of 3 features drifted: 'a', 'b'\. Action: drift\./);
    expect(result.actionReason).toBe("Drift: 2 of 3 judged features drifted (the rule needs 50%): 'a', 'b'.");
  });

  it('stores the severity of each feature: ≥ 1 exactly when it drifts, -1 when not judged; features and drift index follow it', () => {
    // Prepare: no drift, two shifts, a null surge (nulls 0 → 95%, a data-quality incident), a p-value test, and too little data.
    const random = seeded(9);
    const mostlyNull = { a: { type: 'float' as const, values: Array.from({ length: 400 }, (_, i) => (i < 20 ? random.normal(100, 1) : null)) } };
    const currents = [
      [same(2), {}],
      [datasetOf(columns(15, 1000, { a: 2, b: 0.5 }), { reference }), {}],
      [datasetOf({ ...columns(9, 400), ...mostlyNull }, { reference }), {}],
      [datasetOf(columns(6, 20_000, { a: 0.1, b: 0 }), { reference }), { overrides: { a: { test: 'ks' as const } } }],
      [same(10, 12), {}],
    ] as const;

    for (const [current, options] of currents) {
      // Act
      const result = compare(reference, current, options);

      // Assess
      for (const f of result.features) {
        if (f.status === 'insufficient-data') expect(f.severity).toBe(-1);
        else expect([f.name, f.severity >= 1]).toEqual([f.name, f.drift]);
        expect(Number.isFinite(f.severity)).toBe(true);
      }
      expect(result.features).toEqual(rankFeatures(result.features));
      const distance = result.features.filter((f) => f.status === 'ok' && f.scoreKind === 'distance').map((f) => f.severity);
      expect(result.driftIndex).toBe(distance.length > 0 ? Math.max(...distance) : 0);
    }
  });

  it('produces exactly what the DriftResult schema describes (the schema strips nothing, rejects nothing)', () => {
    // Prepare
    const results = [compare(reference, same(2)), compare(reference, datasetOf(columns(15, 1000, { a: 2, b: 0.5 }), { reference })), compare(reference, same(10, 12))];

    for (const result of results) {
      // Act
      const parsed = driftResultSchema.parse(JSON.parse(JSON.stringify(result)));

      // Assess
      expect(parsed).toEqual(result);
    }
  });

  it('says when a kind override cannot be applied to the stored signatures', () => {
    // Act
    const result = compare(reference, same(16), { overrides: { a: { kind: 'categorical' } } });

    // Assess
    expect(feature(result, 'a').kind).toBe('numeric');
    expect(feature(result, 'a').explanation).toMatch(/Override kind 'categorical' not applied: the signatures summarise 'a' as numeric/);
  });

  it('applies the dataset rule: share of drifted features, or any key feature; a drift below both is watch', () => {
    // Prepare: b moves 0.25σ: it drifts, but not materially (under 0.4σ), so only the dataset rule can make it count.
    const current = datasetOf(columns(4, 1000, { a: 0, b: 0.25 }), { reference });

    // Act
    const byShare = compare(reference, current, { datasetRule: { share: 0.3 } });
    const notByShare = compare(reference, current, { datasetRule: { share: 0.5 } });
    const byKey = compare(reference, current, { datasetRule: { share: 0.9, keyFeatures: ['b'] } });
    const otherKey = compare(reference, current, { datasetRule: { share: 0.9, keyFeatures: ['a'] } });

    // Assess
    expect(feature(byShare, 'b').drift).toBe(true);
    expect(byShare.verdict).toBe('drift');
    expect(notByShare).toMatchObject({ verdict: 'no-drift', action: 'watch', drift: false });
    expect(notByShare.actionReason).toBe("Watch: 1 feature drifted ('b'), not enough to retrain.");
    expect(byKey).toMatchObject({ verdict: 'drift', action: 'drift' });
    expect(byKey.actionReason).toBe("Drift: key feature 'b' drifted.");
    expect(byKey.rule.description).toContain("or a key feature ('b') drifts");
    expect(otherKey).toMatchObject({ verdict: 'no-drift', action: 'watch' });
    expect(byShare.drift).toBe(true);
  });

  it('records threshold sources: feature override, model default, built-in default', () => {
    // Act
    const result = compare(reference, same(5), {
      overrides: { a: { threshold: 0.5 } },
      defaults: { numeric: { threshold: 0.2 }, categorical: { test: 'psi' } },
    });

    // Assess
    expect(feature(result, 'a')).toMatchObject({ test: 'wasserstein', threshold: 0.5, thresholdSource: 'feature' });
    expect(feature(result, 'b')).toMatchObject({ test: 'wasserstein', threshold: 0.2, thresholdSource: 'model' });
    expect(feature(result, 'colour')).toMatchObject({ test: 'psi', threshold: 0.1, thresholdSource: 'default', scoreKind: 'distance' });
    expect(feature(result, 'colour').score).toBe(feature(result, 'colour').metrics.psi);
  });

  it('lets a p-value test decide alone when a user picks one: a trivial shift in a huge batch drifts by KS, not by the default rule', () => {
    // Prepare: 0.05σ shift with 200,000 rows is "significant" but not material.
    const big = datasetOf(columns(6, 200_000, { a: 0.1, b: 0 }), { reference });

    // Act
    const byDefault = compare(reference, big);
    const byKs = compare(reference, big, { overrides: { a: { test: 'ks' } } });

    // Assess
    expect(feature(byDefault, 'a').drift).toBe(false);
    expect(feature(byDefault, 'a').score).toBeLessThan(0.1);
    expect(feature(byKs, 'a')).toMatchObject({ test: 'ks', scoreKind: 'p-value', drift: true, thresholdSource: 'default' });
    expect(feature(byKs, 'a').score).toBeLessThan(0.05);
    expect(feature(byKs, 'a').explanation).toMatch(/^'a' moved \+0\.\d+ at (the median|p\d+) \(1\d\.\d → 1\d\.\d\), KS p (< 0\.001|= 0\.0\d\d), below the 0\.05 threshold\.$/);
  });

  it('reports missing, added and retyped columns without throwing, and tests the rest', () => {
    // Prepare
    const random = seeded(7);
    const current = datasetOf({
      a: { type: 'float', values: random.normals(500, 10, 2) },
      colour: { type: 'float', values: random.normals(500) }, // was a string column
      fresh: { type: 'string', values: random.choices(['x', 'y'], [1, 1], 500) },
      at: { type: 'timestamp', values: Array.from({ length: 500 }, (_, i) => START + i) },
    }, { reference });

    // Act
    const result = compare(reference, current);

    // Assess
    expect(result.schema).toEqual({
      missing: ['b'],
      added: ['fresh'],
      retyped: [{ name: 'colour', reference: 'string', current: 'float' }],
    });
    expect(result.features.map((f) => f.name)).toEqual(['a']);
    expect(result.summary).toContain("Schema: missing 'b'; added 'fresh'; retyped 'colour' (string → float).");
  });

  it('reports a column summarised as another kind (its role changed) as retyped, untested', () => {
    // Prepare: 'b' read as categorical codes in the current batch only.
    const current = datasetOf(columns(17, 500), { reference, roles: { b: 'categorical' } });

    // Act
    const result = compare(reference, current);

    // Assess
    expect(result.schema.retyped).toEqual([{ name: 'b', reference: 'float (numeric)', current: 'float (categorical)' }]);
    expect(result.features.map((f) => f.name).sort()).toEqual(['a', 'colour']);
  });

  it('reports time columns as the time axis with their ranges, untested unless testTimeColumns', () => {
    // Prepare: the same timestamp column, summarised as time and (by role) as numeric.
    const numericRoles = { roles: { at: 'numeric' as const } };
    const refNumericTime = datasetOf(columns(1, 2000), numericRoles);
    const curNumericTime = datasetOf(columns(8, 500), { ...numericRoles, reference: refNumericTime });
    const current = same(8, 500);

    // Act
    const asAxis = compare(reference, current);
    const numericButAxis = compare(refNumericTime, curNumericTime);
    const tested = compare(refNumericTime, curNumericTime, { testTimeColumns: true });

    // Assess
    const iso = (ms: number): string => new Date(ms).toISOString();
    expect(asAxis.time).toEqual([{ name: 'at', reference: [iso(START + 1e8), iso(START + 1e8 + 4999 * 60_000)], current: [iso(START + 8e8), iso(START + 8e8 + 499 * 60_000)] }]);
    expect(asAxis.features.some((f) => f.name === 'at')).toBe(false);
    expect(numericButAxis.time.map((t) => t.name)).toEqual(['at']);
    expect(numericButAxis.features.some((f) => f.name === 'at')).toBe(false);
    const at = feature(tested, 'at');
    expect(at.kind).toBe('numeric');
    expect(at.drift).toBe(true); // later timestamps: entirely outside the reference range
    expect((at as NumericFeatureDrift).outOfRangeShare).toBe(1);
    expect(tested.time).toEqual([]);
  });

  it(`marks features with fewer than ${MIN_VALUES} current values insufficient, never drift`, () => {
    // Prepare: 'a' mostly null and far away; 'b' and 'colour' fine.
    const random = seeded(9);
    const rows = 400;
    const current = datasetOf({
      ...columns(9, rows),
      a: { type: 'float', values: Array.from({ length: rows }, (_, i) => (i < 20 ? random.normal(100, 1) : null)) },
    }, { reference });

    // Act
    const result = compare(reference, current);

    // Assess: too few values for a distribution test; the null share from 0 to 95% is a data-quality incident,
    // not drift (it used to be counted as drift with test 'null-share'; now the feature keeps its own result).
    const a = feature(result, 'a');
    expect(a).toMatchObject({ status: 'insufficient-data', drift: false, test: 'wasserstein', severity: -1, count: { reference: 5000, current: 20 } });
    expect(a.nullShare.current).toBeCloseTo(380 / 400, 12);
    expect(a.explanation).toContain(`'a': only 20 current values (need ${MIN_VALUES}); not judged.`);
    expect(a.explanation).toMatch(/^Data quality: 'a' null share rose from 0% to 95% \(two-proportion z-test p < 0\.001\)\./);
    expect(result.incidents).toEqual([{ kind: 'null-surge', feature: 'a', detail: "'a' null share rose from 0% to 95% (two-proportion z-test p < 0.001)." }]);
    expect(result).toMatchObject({ action: 'data-quality', verdict: 'no-drift', drift: false, score: 0 });
    expect(result.actionReason).toBe("Data quality: 'a' null share rose from 0% to 95% (two-proportion z-test p < 0.001); fix the pipeline before retraining.");
  });

  it('gives the verdict insufficient-data when every feature is insufficient', () => {
    // Act
    const result = compare(reference, same(10, 12));

    // Assess
    expect(result).toMatchObject({ verdict: 'insufficient-data', drift: false, score: 0, driftIndex: 0 });
    expect(result.features.every((f) => f.status === 'insufficient-data')).toBe(true);
    expect(result.summary).toMatch(/^Not enough data: every feature has fewer than 30 values to compare\./);
  });

  it('explains unseen categories and reports the plot categories', () => {
    // Prepare
    const random = seeded(11);
    const current = datasetOf({
      ...columns(11, 1000),
      colour: { type: 'string', values: random.choices(['red', 'green', 'blue', 'XX', 'YY'], [4, 3, 1, 1.2, 0.6], 1000) },
    }, { reference });

    // Act
    const result = compare(reference, current);

    // Assess
    const colour = feature(result, 'colour') as CategoricalFeatureDrift;
    expect(colour.drift).toBe(true);
    expect(colour.metrics.unseenShare).toBeGreaterThan(0.1);
    expect(colour.explanation).toMatch(/^'colour': 1\d% of values are new \(unseen: 'XX', 'YY'\); JS distance 0\.\d\d ≥ 0\.10; chi² p < 0\.001\.$/);
    expect(colour.categories.map((c) => c.value).sort()).toEqual(['XX', 'YY', 'blue', 'green', 'red']);
    expect(colour.categories.filter((c) => c.unseen).map((c) => c.value).sort()).toEqual(['XX', 'YY']);
    expect(colour.categories.reduce((s, c) => s + c.current, 0)).toBeCloseTo(1, 12);
  });

  it('reports null shares and values outside the reference range', () => {
    // Prepare
    const random = seeded(12);
    const rows = 1000;
    const current = datasetOf({
      ...columns(12, rows),
      b: { type: 'float', values: Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : i % 10 === 1 ? random.normal(20, 1) : random.normal(-5, 1))) },
    }, { reference });

    // Act
    const result = compare(reference, current);

    // Assess
    const b = feature(result, 'b') as NumericFeatureDrift;
    expect(b.nullShare).toEqual({ reference: 0, current: 0.2 });
    expect(b.outOfRangeShare).toBeCloseTo(100 / 800, 2);
    expect(b.range.current[1]).toBeGreaterThan(15);
    expect(b.explanation).toContain('nulls 0% → 20%, 13% of values outside the reference range');
  });

  it('still sees shifts in columns too far from 0 for the sketch (calendar years): compared by exact means', () => {
    // Prepare: years 2015–2025 fit in two sketch buckets (a bucket at 2020 is ~20 wide).
    const years = (seed: number, rows: number, shift: number): Record<string, TestColumn> => ({
      year: { type: 'int', values: seeded(seed).normals(rows, 2020 + shift, 2.5).map(Math.round) },
    });
    const ref = datasetOf(years(20, 5000, 0));
    const sameYears = datasetOf(years(21, 300, 0), { reference: ref });
    const shifted = datasetOf(years(22, 300, 2.5), { reference: ref });

    // Act
    const quiet = compare(ref, sameYears);
    const moved = compare(ref, shifted);

    // Assess
    expect(feature(quiet, 'year').drift).toBe(false);
    const year = feature(moved, 'year') as NumericFeatureDrift;
    expect(year.drift).toBe(true);
    expect(sketchResolves(ref.columns.year as NumericColumnSignature)).toBe(false);
    expect(year.score).toBeGreaterThan(0.8);
    // Three-digit years have few distinct values: exact counts, so KS and Wasserstein are exact.
    expect(year.resolution).toEqual({ source: 'exact-counts', ksError: 0, wassersteinError: 0 });
    expect(year.explanation).toContain('KS p < 0.001');

    // A signature without exact counts or a centred sketch (written before them): the sketch is coarse, the
    // gate is a test of means, and KS is shown as the bound it is.
    const old = (d: ReturnType<typeof datasetOf>): ReturnType<typeof datasetOf> => {
      const { exact: _e, centred: _c, ...col } = d.columns.year as NumericColumnSignature;
      return { ...d, columns: { year: col } };
    };
    const coarse = feature(compare(old(ref), old(shifted)), 'year') as NumericFeatureDrift;
    expect(coarse.drift).toBe(true);
    expect(coarse.resolution?.source).toBe('coarse-sketch');
    expect(coarse.resolution?.ksError).toBeGreaterThan(0.1);
    expect(coarse.explanation).toMatch(/means \(Welch\) p < 0\.001 \(values too large for the sketch to resolve their spread: means compared, KS between 0\.\d\d and [01]\.\d\d\)/);
  });

  it('honours include and exclude for features and schema', () => {
    // Act
    const included = compare(reference, same(13), { include: ['a', 'b'] });
    const excluded = compare(reference, same(13), { exclude: ['a'] });

    // Assess
    expect(included.features.map((f) => f.name).sort()).toEqual(['a', 'b']);
    expect(excluded.features.map((f) => f.name).sort()).toEqual(['b', 'colour']);
  });

  it('produces plain JSON: no NaN or Infinity, even for constant and empty columns', () => {
    // Prepare
    const constantRef = datasetOf({ k: { type: 'int', values: Array(200).fill(7) }, z: { type: 'float', values: Array(200).fill(0) } });
    const constantCur = datasetOf({ k: { type: 'int', values: Array(100).fill(8) }, z: { type: 'float', values: Array(100).fill(null) } }, { reference: constantRef });

    // Act
    const result = compare(constantRef, constantCur);

    // Assess
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(feature(result, 'k')).toMatchObject({ test: 'jensenshannon', drift: true });
    // z became all-null: a data-quality incident (it used to count as drift with test 'null-share'); z keeps its own result.
    expect(feature(result, 'z')).toMatchObject({ status: 'insufficient-data', drift: false });
    expect(result.incidents.map((i) => [i.kind, i.feature])).toEqual([['all-null', 'z']]);
    expect(result.action).toBe('data-quality');
  });

  it('rejects invalid options with one ConfigError naming every problem', () => {
    // Act
    const attempt = (): DriftResult =>
      compare(reference, same(14), {
        overrides: { a: { test: 'chi2' }, colour: { test: 'wasserstein' }, gone: { test: 'nope' } },
        defaults: { numeric: { test: 'jensenshannon' } },
      });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/overrides\.a\.test: test 'chi2' does not apply to numeric features.*overrides\.colour\.test: test 'wasserstein'.*overrides\.gone\.test: unknown drift test 'nope'/s);
    expect(() => compare(reference, same(14), { datasetRule: { share: 0 } } as never)).toThrow(/datasetRule\.share/);
    expect(() => compare(reference, same(14), { typo: true } as never)).toThrow(ConfigError);
  });
});
