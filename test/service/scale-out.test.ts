import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBatchFile } from '../../functions/adapters/columnar-reader.js';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { serializeSignature, parseSignature, type DatasetSignature, type NumericColumnSignature } from '../../functions/core/signature/index.js';
import { framesOf, mergePartials, splitEvenly } from '../../functions/core/signature/plan.js';
import { installReference } from '../../functions/service/install-reference.js';
import { batchSignatureKey } from '../../functions/service/ingest-batch.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { scaleOut, scaleOutKeys } from '../../functions/service/scale-out.js';

// The scale-out use cases over the local folder store (the same ObjectStore contract as S3): the edge cases the
// end-to-end test (test/e2e/scale-out.test.ts) does not reach.
const BIG = readFileSync(fileURLToPath(new URL('../fixtures/scaleout/ranges.parquet', import.meta.url)));
// 8 row groups of a far-from-zero column (mean 1000) with a different spread each (make-frames.py).
const FAR = readFileSync(fileURLToPath(new URL('../fixtures/scaleout/far.parquet', import.meta.url)));
const strip = (json: string) => json.replace(/"(mean|m2)":[^,}]+/g, '');

describe('Function: scaleOut (local store)', () => {
  let dir: string;
  let repo: ModelRepository;
  const steps = (maxItemBytes: number) =>
    scaleOut({
      repo,
      bucket: 'local',
      sign: signSources,
      describe: async (source) => ({ units: await (await openBatchFile(source)).units() }),
      budget: { maxItemBytes, maxUnitDecodedBytes: 1e9 },
      fanIn: 4,
      install: installReference({ repo, sign: signSources }),
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftgate-scale-out-'));
    repo = new ModelRepository(new LocalStore(dir));
    await repo.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' });
    await repo.store.put('batches/fraud/big.parquet', BIG);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a one-item plan has no merge level: finish reads level 0 and stores the single-pass signature', async () => {
    // Prepare
    const etag = (await repo.store.get('batches/fraud/big.parquet'))!.etag;
    const s = steps(1e9);

    // Act
    const plan = await s.plan({ kind: 'ingest', modelId: 'fraud', key: 'batches/fraud/big.parquet', etag });
    const manifest = JSON.parse(Buffer.from((await repo.store.get(plan.manifestKey!))!.body).toString('utf8'));
    for (const item of manifest) await s.signRange(item);
    const outcome = await s.finish({ jobId: plan.jobId, finalLevel: plan.finalLevel }, new Date());

    // Assess
    expect(plan).toMatchObject({ itemCount: 1, levels: [], finalLevel: 0, bucket: 'local' });
    expect(manifest).toEqual([{ jobId: plan.jobId, modelId: 'fraud', kind: 'ingest', index: 0, key: 'batches/fraud/big.parquet', range: { start: 0, end: 16 }, etag }]);
    const sigKey = batchSignatureKey('fraud', 'batches/fraud/big.parquet', etag);
    expect(outcome).toEqual({ status: 'stored', modelId: 'fraud', signatureKey: sigKey, rows: 6400 });
    const single = await signSources([await repo.store.open('batches/fraud/big.parquet')], { roles: {} });
    expect(strip(serializeSignature(await repo.signature(sigKey)))).toBe(strip(serializeSignature(single)));
  });

  it('merges 16 one-row-group partials through two levels at fan-in 4 (16 -> 4 -> 1), each group written once', async () => {
    // Prepare
    const etag = (await repo.store.get('batches/fraud/big.parquet'))!.etag;
    const s = steps(9_000);
    const plan = await s.plan({ kind: 'ingest', modelId: 'fraud', key: 'batches/fraud/big.parquet', etag });
    const manifest = JSON.parse(Buffer.from((await repo.store.get(plan.manifestKey!))!.body).toString('utf8'));
    for (const item of manifest) await s.signRange(item);

    // Act
    const first = [];
    for (const level of plan.levels) for (const group of level) first.push((await s.mergeGroup(group)).status);
    const again = [];
    for (const level of plan.levels) for (const group of level) again.push((await s.mergeGroup(group)).status);

    // Assess
    expect(plan.itemCount).toBe(16);
    expect(plan.levels.map((l) => l.map((g) => [g.start, g.end]))).toEqual([[[0, 4], [4, 8], [8, 12], [12, 16]], [[0, 4]]]);
    expect(first).toEqual(Array(5).fill('stored'));
    expect(again).toEqual(Array(5).fill('existing'));
    const whole = parseSignature(JSON.parse(Buffer.from((await repo.store.get(scaleOutKeys.part(plan.jobId, 2, 0)))!.body).toString('utf8')), 'part');
    expect(whole.rowCount).toBe(6400);
  });

  it('a training file that is missing fails the plan with an error naming it', async () => {
    // Prepare
    await repo.store.put('adoptions/fraud/v1.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', version: 'v1', trainingData: ['training/fraud/v1/gone.parquet'] }));

    // Act
    const error = await steps(1e9).plan({ kind: 'adopt', manifestKey: 'adoptions/fraud/v1.json', action: 'set-reference' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).file).toBe('training/fraud/v1/gone.parquet');
  });

  it('a far-from-zero column split into 8 ranges of different spreads keeps its centred sketch: the plan shares one frame', async () => {
    // Prepare
    await repo.store.put('training/fraud/v2/far.parquet', FAR);
    await repo.store.put('adoptions/fraud/v2.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/far.parquet'] }));
    const s = steps(1); // one row group per item
    const source = await repo.store.open('training/fraud/v2/far.parquet');
    const items = splitEvenly({ key: 'far', byteLength: source.byteLength, units: await (await openBatchFile(source)).units() }, 8);
    // Without a shared frame each range chooses its own (scale 2, 4 or 8), and their merge drops the centred sketch.
    const alone = await Promise.all(items.map((item) => signSources([source], { range: item.range })));
    const chosen = new Set(alone.map((sig) => JSON.stringify(framesOf(sig).amount)));

    // Act
    const plan = await s.plan({ kind: 'adopt', manifestKey: 'adoptions/fraud/v2.json', action: 'set-reference' });
    const manifest = JSON.parse(Buffer.from((await repo.store.get(plan.manifestKey!))!.body).toString('utf8'));
    for (const item of manifest) await s.signRange(item);
    for (const level of plan.levels) for (const group of level) await s.mergeGroup(group);
    const outcome = await s.finish({ jobId: plan.jobId, finalLevel: plan.finalLevel }, new Date('2026-03-01T00:00:00Z'));

    // Assess
    expect(plan.itemCount).toBe(8);
    expect(chosen.size).toBeGreaterThan(1);
    expect((mergePartials(alone).columns.amount as NumericColumnSignature).centred).toBeUndefined();
    expect(outcome).toMatchObject({ status: 'adopted', version: 'v2', rows: 4000 });
    const frames = JSON.parse(Buffer.from((await repo.store.get(scaleOutKeys.frames(plan.jobId)))!.body).toString('utf8'));
    expect(frames).toEqual({ amount: framesOf(alone[0]).amount, near: null });
    const reference = await repo.signature('references/fraud/v2.json');
    const amount = reference.columns.amount as NumericColumnSignature;
    expect(amount.centred).toMatchObject(frames.amount);
    expect(amount.centred!.sketch).toBeDefined();
    // Equal to a single pass with the same frame, which is the frame the single pass chooses itself (its first chunk).
    const single = await signSources([source], { roles: {}, frames });
    expect(strip(serializeSignature(reference))).toBe(strip(serializeSignature(single)));
    expect(strip(serializeSignature(reference))).toBe(strip(serializeSignature(await signSources([source], {}))));
    expectMomentsClose(reference, single);
  });
});

function expectMomentsClose(a: DatasetSignature, b: DatasetSignature): void {
  for (const [name, column] of Object.entries(b.columns)) {
    if (column.kind !== 'numeric') continue;
    const other = a.columns[name] as NumericColumnSignature;
    expect(Math.abs(other.mean - column.mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(column.mean)));
    expect(Math.abs(other.m2 - column.m2)).toBeLessThanOrEqual(1e-9 * column.m2);
  }
}
