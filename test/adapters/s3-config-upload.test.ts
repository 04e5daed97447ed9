import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { ConfigError } from '../../functions/core/errors.js';
import { parseModelConfig } from '../../functions/core/lifecycle/config.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { awsTestClientConfig, startMoto, type MotoServer } from '../support/moto.js';

const BUCKET = 'driftgate-config';

let moto: MotoServer;
let s3: S3Client;
let store: S3Store;

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(awsTestClientConfig(moto.endpoint));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  store = new S3Store(s3, BUCKET);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('Function: uploadModelConfig', () => {
  it('writes a valid config to config/<modelId>.json as given, readable back by the engine', async () => {
    // Prepare
    const config = {
      schemaVersion: 1,
      modelId: 'fraud',
      batchPrefix: 'batches/fraud/',
      cadence: { minCheckInterval: '6h' },
    };
    // Act
    const uploaded = await uploadModelConfig(store, config, 'fraud.json');
    const stored = await store.get('config/fraud.json');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'config/fraud.json' }));
    // Assess
    expect(uploaded.key).toBe('config/fraud.json');
    expect(uploaded.modelId).toBe('fraud');
    expect(uploaded.config.cadence.minCheckInterval).toBe(21_600);
    const text = new TextDecoder().decode(stored!.body);
    expect(JSON.parse(text)).toEqual(config);
    expect(parseModelConfig(JSON.parse(text), 'config/fraud.json')).toEqual(uploaded.config);
    expect(head.ContentType).toBe('application/json');
  });

  it('accepts the JSON text of a config', async () => {
    // Prepare
    const text = '{"schemaVersion":1,"modelId":"churn","batchPrefix":"batches/churn/"}';
    // Act
    const uploaded = await uploadModelConfig(store, text, 'churn.json');
    // Assess
    expect(uploaded.key).toBe('config/churn.json');
    expect(await store.list('config/')).toContain('config/churn.json');
  });

  it('rejects an invalid config naming the source and the bad field, and writes nothing', async () => {
    // Prepare
    const config = { schemaVersion: 1, modelId: 'Bad Id', batchPrefix: 'batches/bad/' };
    // Act
    const error = await uploadModelConfig(store, config, 'bad.json').catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe('bad.json');
    expect((error as Error).message).toContain('modelId');
    expect(await store.list('config/Bad')).toEqual([]);
  });

  it('rejects text that is not JSON, naming the source', async () => {
    // Prepare
    const text = '{ schemaVersion: 1 ';
    // Act
    const attempt = uploadModelConfig(store, text, 'broken.json');
    // Assess
    await expect(attempt).rejects.toThrow(/^broken\.json: is not valid JSON: /);
  });
});
