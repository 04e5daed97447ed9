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
import { serializeSignature, parseSignature } from '../../functions/core/signature/index.js';
import { batchSignatureKey } from '../../functions/service/ingest-batch.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { scaleOut, scaleOutKeys } from '../../functions/service/scale-out.js';

// The scale-out use cases over the local folder store (the same ObjectStore contract as S3): the edge cases the
// end-to-end test (test/e2e/scale-out.test.ts) does not reach.
const BIG = readFileSync(fileURLToPath(new URL('../fixtures/scaleout/ranges.parquet', import.meta.url)));
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
    const manifest = JSON.parse(Buffer.from((await repo.store.get(plan.manifestKey))!.body).toString('utf8'));
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
    const manifest = JSON.parse(Buffer.from((await repo.store.get(plan.manifestKey))!.body).toString('utf8'));
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
});
