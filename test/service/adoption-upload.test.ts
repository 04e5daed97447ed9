import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { uploadAdoptionManifest } from '../../functions/service/adoption-upload.js';

describe('Function: uploadAdoptionManifest', () => {
  let dir: string;
  let store: LocalStore;
  const input = { modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2/a.parquet', 'training/fraud/v2/part/b.parquet'] };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'driftgate-adoption-upload-'));
    store = new LocalStore(dir);
    await store.put('config/fraud.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' }));
    await store.put('training/fraud/v2/a.parquet', 'a');
    await store.put('training/fraud/v2/part/b.parquet', 'b');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the manifest once; the same manifest again is unchanged unless forced', async () => {
    // Act
    const first = await uploadAdoptionManifest(store, input);
    const etag = (await store.get('adoptions/fraud/v2.json'))?.etag;
    const again = await uploadAdoptionManifest(store, input);
    const etagAgain = (await store.get('adoptions/fraud/v2.json'))?.etag;
    const forced = await uploadAdoptionManifest(store, input, { force: true });

    // Assess
    expect(first).toEqual({ status: 'uploaded', key: 'adoptions/fraud/v2.json', manifest: { schemaVersion: 1, ...input } });
    const stored = JSON.parse(Buffer.from((await store.get('adoptions/fraud/v2.json'))!.body).toString('utf8')) as unknown;
    expect(stored).toEqual({ schemaVersion: 1, ...input });
    expect(again.status).toBe('unchanged');
    expect(etagAgain).toBe(etag);
    expect(forced.status).toBe('reuploaded');
  });

  it('writes a new retrain outcome for the same training data (a rollback reported later) as outcome-updated', async () => {
    // Prepare
    await uploadAdoptionManifest(store, { ...input, validationScore: 0.91, metric: { name: 'auc', direction: 'higher-is-better' } });

    // Act
    const rolledBack = await uploadAdoptionManifest(store, { ...input, validationScore: 0.91, metric: { name: 'auc', direction: 'higher-is-better' }, status: 'rolled-back' });
    const again = await uploadAdoptionManifest(store, { ...input, validationScore: 0.91, metric: { name: 'auc', direction: 'higher-is-better' }, status: 'rolled-back' });

    // Assess
    expect(rolledBack.status).toBe('outcome-updated');
    expect(again.status).toBe('unchanged');
    const stored = JSON.parse(Buffer.from((await store.get('adoptions/fraud/v2.json'))!.body).toString('utf8')) as { status?: string };
    expect(stored.status).toBe('rolled-back');
  });

  it('refuses a different manifest for an existing version, even when forced', async () => {
    // Prepare
    await uploadAdoptionManifest(store, input);

    // Act
    const act = uploadAdoptionManifest(store, { ...input, trainingData: ['training/fraud/v2/a.parquet'] }, { force: true });

    // Assess
    await expect(act).rejects.toThrow(/adoptions\/fraud\/v2\.json: a different manifest for fraud v2 already exists: .*use a new version/);
  });

  it('names every missing training file and a missing model config, writing nothing', async () => {
    // Act
    const missingFiles = (): Promise<unknown> =>
      uploadAdoptionManifest(store, { ...input, trainingData: ['training/fraud/v2/a.parquet', 'training/fraud/v2/x.parquet', 'training/other/y.parquet'] }, { storeName: 's3://data' });
    const noConfig = (): Promise<unknown> => uploadAdoptionManifest(store, { ...input, modelId: 'churn' });
    const badKey = (): Promise<unknown> => uploadAdoptionManifest(store, { ...input, trainingData: ['batches/fraud/a.parquet'] });

    // Assess
    await expect(missingFiles()).rejects.toThrow('training/fraud/v2/x.parquet: training data not found in s3://data: training/fraud/v2/x.parquet, training/other/y.parquet');
    await expect(noConfig()).rejects.toThrow(/config\/churn\.json: no configuration for model churn .*upload-config/);
    await expect(badKey()).rejects.toThrow(InvalidInputError);
    expect(await store.list('adoptions/')).toEqual([]);
  });
});
