import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileByteSource } from '../../../functions/adapters/file-byte-source.js';
import { signSources } from '../../../functions/adapters/sign-sources.js';
import { compare } from '../../../functions/core/drift/compare.js';
import { benjaminiHochberg } from '../../../functions/core/drift/noise.js';
import { compareSlices, withSlices } from '../../../functions/core/drift/slices.js';
import { driftResultSchema } from '../../../functions/core/drift/types.js';
import { parseModelConfig } from '../../../functions/core/lifecycle/config.js';
import { mergeAll, parseSignature, serializeSignature } from '../../../functions/core/signature/index.js';
import type { DatasetSignature } from '../../../functions/core/signature/types.js';

// Fixtures made by test/fixtures/slices/make-slices.py (pyarrow).
const dir = new URL('../../fixtures/slices/', import.meta.url).pathname;
const SLICES = { columns: ['country'], k: 10 };
const JUDGING = { minRows: 100, minActionShare: 0.05 };

async function sign(name: string, reference?: DatasetSignature): Promise<DatasetSignature> {
  return signSources([await fileByteSource(join(dir, name))], { slices: SLICES, ...(reference ? { reference } : {}) });
}

describe('Function: compareSlices', () => {
  it('finds a drift confined to one slice of 10 while the aggregate alone shows none', async () => {
    // Prepare
    const reference = await sign('reference.parquet');
    const current = await sign('one-slice-drift.parquet', reference);

    // Act
    const aggregate = compare(reference, current);
    const slices = compareSlices(reference, current, {}, JUDGING);
    const result = withSlices(aggregate, slices);

    // Assess
    expect(aggregate.action).toBe('none');
    expect(Object.keys(reference.slices?.country.values ?? {})).toHaveLength(10);
    const alarmed = slices.filter((s) => s.alarm);
    expect(alarmed.map((s) => s.value)).toEqual(['DE']);
    expect(alarmed[0].share).toBeCloseTo(0.1, 10);
    expect(alarmed[0].drifted.map((f) => f.name)).toEqual(['amount']);
    expect(result.action).toBe('drift');
    expect(result.actionReason).toMatch(/'country' = 'DE' \(10% of rows\) drifted: 'amount'/);
    expect(result.driftIndex).toBeGreaterThanOrEqual(1);
    expect(driftResultSchema.parse(result).slices).toHaveLength(10);
  });

  it('raises no slice alarm on A/A data at 300 rows per slice over 20 seeds', async () => {
    // Prepare
    const alarms: string[] = [];

    for (let seed = 0; seed < 20; seed++) {
      // Act
      const reference = await sign(`aa-${seed}-ref.parquet`);
      const current = await sign(`aa-${seed}-cur.parquet`, reference);
      const slices = compareSlices(reference, current, {}, JUDGING);

      // Assess (collected, so a failure names every seed)
      expect(slices.filter((s) => s.status === 'ok')).toHaveLength(10);
      for (const s of slices) if (s.alarm) alarms.push(`seed ${seed}: ${s.value} p=${s.pValue} level=${s.level}`);
      if (withSlices(compare(reference, current), slices).action !== 'none') alarms.push(`seed ${seed}: action ${withSlices(compare(reference, current), slices).action}`);
    }
    expect(alarms).toEqual([]);
  });

  it('adjusts every (slice, feature) gate p-value as one Benjamini–Hochberg family', async () => {
    // Prepare
    const reference = await sign('reference.parquet');
    const current = await sign('one-slice-drift.parquet', reference);
    const values = Object.keys(reference.slices?.country.values ?? {}).sort();
    // The family by hand: each slice's own compare, every judged feature's gate p-value.
    const family: { value: string; name: string; p: number; drift: boolean }[] = [];
    for (const value of values) {
      const r = compare(reference.slices?.country.values[value] as DatasetSignature, current.slices?.country.values[value] as DatasetSignature);
      for (const f of r.features) if (f.status === 'ok') family.push({ value, name: f.name, p: f.kind === 'numeric' ? f.metrics.ksPValue : f.metrics.chi2PValue, drift: f.drift });
    }
    const q = benjaminiHochberg(family.map((f) => f.p));

    // Act
    const slices = compareSlices(reference, current, {}, JUDGING);

    // Assess
    expect(family.length).toBeGreaterThan(values.length);
    for (const s of slices) {
      const mine = family.map((f, i) => ({ ...f, q: q[i] })).filter((f) => f.value === s.value && f.drift);
      expect(s.qValue).toBe(mine.length > 0 ? Math.min(...mine.map((f) => f.q)) : 1);
      expect(s.level).toBe(0.05);
      expect(s.alarm).toBe(s.action === 'drift' && (s.qValue ?? 1) < 0.05);
    }
    const de = slices.find((s) => s.value === 'DE');
    expect(de?.alarm).toBe(true);
    expect(de?.qValue).toBeGreaterThanOrEqual(de?.pValue ?? 1);
  });

  it('calls a slice with too few rows insufficient-data, never drift', async () => {
    // Prepare
    const reference = await sign('reference.parquet');
    const current = await sign('one-slice-drift.parquet', reference);

    // Act
    const slices = compareSlices(reference, current, {}, { ...JUDGING, minRows: 5000 });

    // Assess
    expect(slices.every((s) => s.status === 'insufficient-data' && !s.alarm)).toBe(true);
    expect(withSlices(compare(reference, current), slices).action).toBe('none');
  });
});

describe('Function: slice signatures', () => {
  it('survive the stored JSON and merge per slice value (two halves = the whole)', async () => {
    // Prepare
    const reference = await sign('reference.parquet');
    const a = await sign('aa-0-ref.parquet', reference);
    const b = await sign('aa-0-cur.parquet', reference);

    // Act
    const round = parseSignature(serializeSignature(a), 'a.json');
    const merged = mergeAll([a, b]);

    // Assess
    expect(round.slices?.country.values.DE.rowCount).toBe(300);
    expect(merged.slices?.country.values.DE.rowCount).toBe(600);
    expect(merged.slices?.country.values.DE.columns.amount).toBeDefined();
    expect(merged.slices?.country.values.DE.columns.country).toBeUndefined();
    // A batch's slices count on the aggregate reference's edges, so together they are exactly the batch.
    const edges = (s: DatasetSignature | undefined) => (s?.columns.amount.kind === 'numeric' ? s.columns.amount.histogram?.edges : undefined);
    expect(edges(a.slices?.country.values.DE)).toEqual(edges(reference));
  });

  it('give a batch the same aggregate as signing without slices (its numeric columns are merged from the slices)', async () => {
    // Prepare
    const reference = await sign('reference.parquet');
    const file = await fileByteSource(join(dir, 'one-slice-drift.parquet'));

    // Act
    const plain = await signSources([file], { reference });
    const sliced = await sign('one-slice-drift.parquet', reference);

    // Assess
    const a = plain.columns.amount;
    const b = sliced.columns.amount;
    if (a.kind !== 'numeric' || b.kind !== 'numeric') throw new Error('expected numeric amount');
    expect(b.histogram).toEqual(a.histogram);
    expect(b.sketch).toEqual(a.sketch);
    expect([b.count, b.nulls, b.finite, b.min, b.max]).toEqual([a.count, a.nulls, a.finite, a.min, a.max]);
    expect(b.mean).toBeCloseTo(a.mean, 10);
    expect(b.m2 / a.m2).toBeCloseTo(1, 10);
    expect(sliced.columns.device).toEqual(plain.columns.device);
    expect(sliced.rowCount).toBe(plain.rowCount);
  });

  it('keeps the top K values of a reference and the rest as other', async () => {
    // Act
    const reference = await signSources([await fileByteSource(join(dir, 'reference.parquet'))], { slices: { columns: ['country'], k: 3 } });

    // Assess
    expect(Object.keys(reference.slices?.country.values ?? {})).toHaveLength(3);
    expect(reference.slices?.country.other?.rowCount).toBe(14_000);
  });
});

describe('Function: parseModelConfig (slices)', () => {
  it('states the size budget when slices × (k + 1) exceeds it', () => {
    // Act
    let message = '';
    try {
      parseModelConfig({ schemaVersion: 1, modelId: 'm', batchPrefix: 'batches/m/', slices: ['a', 'b', 'c', 'd'], sliceOptions: { k: 20 } }, 'config/m.json');
    } catch (e) {
      message = (e as Error).message;
    }

    // Assess
    expect(message).toMatch(/4 slice columns × \(k=20 \+ 1\) = 84 slice signatures per batch, over the budget of 64/);
    expect(parseModelConfig({ schemaVersion: 1, modelId: 'm', batchPrefix: 'batches/m/' }, 'x').slices).toEqual([]);
  });
});
