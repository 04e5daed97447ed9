import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { AdoptRunError, makeAdoptHandler, type AdoptRunResult } from '../../functions/handlers/adopt.js';
import { awsAdopt, readFunctionEnv } from '../../functions/handlers/runtime.js';
import { ENV } from '../../functions/handlers/env.js';
import { FIXTURES, localWorld, quietTelemetry, type LocalWorld } from './support.js';

const BUCKET = 'data-bucket';
const T0 = new Date('2026-03-02T08:00:00.000Z');
const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);

/** The plain S3 event a Lambda destination receives (keys URL-encoded like S3 and moto do). */
function s3Event(key: string, options: { eventTime: Date; bucket?: string; eventName?: string }): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: options.eventTime.toISOString(),
        eventName: options.eventName ?? 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: options.bucket ?? BUCKET, arn: `arn:aws:s3:::${options.bucket ?? BUCKET}` },
          object: { key: encodeURIComponent(key), size: 100, eTag: '0123abcd' },
        },
      },
    ],
  };
}

function manifest(modelId: string, version: string, trainingData: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ schemaVersion: 1, modelId, version, trainingData, ...extra });
}

describe('Function: makeAdoptHandler', () => {
  let world: LocalWorld;
  let now: Date;

  beforeEach(async () => {
    world = localWorld();
    now = T0;
    await world.store.put('config/fraud.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/', cadence: { minCheckInterval: '1h' } }));
    await world.store.put('training/fraud/v1/part-0.parquet', readFileSync(join(FIXTURES, 'gzip-plain.parquet')));
    await world.store.put('training/fraud/v1/part-1.parquet', readFileSync(join(FIXTURES, 'snappy-plain.parquet')));
    await world.store.put('training/fraud/v2/part-0.parquet', readFileSync(join(FIXTURES, 'zstd-dict.parquet')));
    await world.store.put('adoptions/fraud/v1.json', manifest('fraud', 'v1', ['training/fraud/v1/part-0.parquet', 'training/fraud/v1/part-1.parquet']));
    await world.store.put('adoptions/fraud/v2.json', manifest('fraud', 'v2', ['training/fraud/v2/part-0.parquet'], { proposalId: '20260301T000000Z-abc' }));
  });

  afterEach(() => world.cleanup());

  const handlerOf = (telemetry = quietTelemetry('adopt-test')) =>
    makeAdoptHandler({ references: world.lifecycle, manifests: world.store, bucket: BUCKET, telemetry, clock: () => now });

  it('sets the first reference of a model that has none, then adopts the next version', async () => {
    // Prepare
    const handler = handlerOf();

    // Act
    now = minutes(1);
    const first = await handler(s3Event('adoptions/fraud/v1.json', { eventTime: minutes(0) }));
    now = minutes(10);
    const second = await handler(s3Event('adoptions/fraud/v2.json', { eventTime: minutes(9) }));

    // Assess
    expect(first.results).toEqual([
      expect.objectContaining({ status: 'adopted', action: 'set-reference', modelId: 'fraud', version: 'v1', rows: 2400, referenceKey: 'references/fraud/v1.json' }),
    ]);
    expect(second.results).toEqual([
      expect.objectContaining({ status: 'adopted', action: 'adopt', version: 'v2', rows: 1200, referenceKey: 'references/fraud/v2.json' }),
    ]);
    const state = await world.lifecycle.state('fraud');
    expect(state?.reference).toEqual({ version: 'v2', key: 'references/fraud/v2.json', at: minutes(10).toISOString() });
    expect(state?.nextCheckAt).toBe(new Date(minutes(10).getTime() + 3600_000).toISOString());
    expect(await world.store.list('references/fraud/')).toEqual(['references/fraud/v1.json', 'references/fraud/v2.json']);
    const log = await world.lifecycle.decisionLog('fraud');
    expect(log.map((e) => [e.action, e.evidence.version])).toEqual([
      ['set-reference', 'v1'],
      ['adopt', 'v2'],
    ]);
    expect(log[0].evidence.trainingData).toEqual(['training/fraud/v1/part-0.parquet', 'training/fraud/v1/part-1.parquet']);
  });

  it('treats a re-delivered event as a no-op, and never lets a late re-delivery of an older manifest roll the model back', async () => {
    // Prepare
    const handler = handlerOf();
    now = minutes(1);
    await handler(s3Event('adoptions/fraud/v1.json', { eventTime: minutes(0) }));
    now = minutes(10);
    await handler(s3Event('adoptions/fraud/v2.json', { eventTime: minutes(9) }));
    const logBefore = await world.lifecycle.decisionLog('fraud');

    // Act
    now = minutes(20);
    const againV2 = await handler(s3Event('adoptions/fraud/v2.json', { eventTime: minutes(9) }));
    const againV1 = await handler(s3Event('adoptions/fraud/v1.json', { eventTime: minutes(0) }));

    // Assess
    expect(againV2.results).toEqual([expect.objectContaining({ status: 'already-adopted', version: 'v2' })]);
    expect(againV1.results).toEqual([{ status: 'superseded', key: 'adoptions/fraud/v1.json', modelId: 'fraud', version: 'v1', currentVersion: 'v2' }]);
    expect((await world.lifecycle.state('fraud'))?.reference.version).toBe('v2');
    expect(await world.lifecycle.decisionLog('fraud')).toEqual(logBefore);
  });

  it('rolls back when an older version’s manifest is uploaded again after the newer adoption', async () => {
    // Prepare
    const handler = handlerOf();
    now = minutes(1);
    await handler(s3Event('adoptions/fraud/v1.json', { eventTime: minutes(0) }));
    now = minutes(10);
    await handler(s3Event('adoptions/fraud/v2.json', { eventTime: minutes(9) }));

    // Act: a new upload of v1's manifest (a later event time than every adoption so far).
    now = minutes(31);
    const rollback = await handler(s3Event('adoptions/fraud/v1.json', { eventTime: minutes(30) }));

    // Assess
    expect(rollback.results).toEqual([expect.objectContaining({ status: 'adopted', action: 'adopt', version: 'v1', rows: 2400 })]);
    expect((await world.lifecycle.state('fraud'))?.reference.version).toBe('v1');
  });

  it('fails a bad manifest with its key and the bad field, writing nothing, after adopting the good records of the event', async () => {
    // Prepare
    const telemetry = quietTelemetry('adopt-test');
    const errors = vi.spyOn(telemetry.logger, 'error');
    const handler = handlerOf(telemetry);
    await world.store.put('adoptions/fraud/v3.json', manifest('fraud', 'v3', ['batches/fraud/day-1.parquet']));
    const bad = s3Event('adoptions/fraud/v3.json', { eventTime: minutes(0) }) as { Records: unknown[] };
    const good = s3Event('adoptions/fraud/v1.json', { eventTime: minutes(0) }) as { Records: unknown[] };

    // Act
    const act = handler({ Records: [...bad.Records, ...good.Records] });

    // Assess
    await expect(act).rejects.toThrow(AdoptRunError);
    await expect(act).rejects.toThrow(/adoptions\/fraud\/v3\.json \(adoptions\/fraud\/v3\.json: invalid adoption manifest:[\s\S]*training\/[\s\S]*at trainingData\[0\]/);
    expect(errors).toHaveBeenCalledTimes(1);
    const [line, context] = errors.mock.calls[0] as [string, Record<string, unknown>];
    expect(line).toMatch(/^could not adopt s3:\/\/data-bucket\/adoptions\/fraud\/v3\.json: /);
    expect(context).toMatchObject({ key: 'adoptions/fraud/v3.json', errorName: 'InvalidInputError' });
    expect((await world.lifecycle.state('fraud'))?.reference.version).toBe('v1');
    expect(await world.store.list('references/fraud/')).toEqual(['references/fraud/v1.json']);
  });

  it.each([
    ['a modelId that does not match the key', 'adoptions/churn/v1.json', manifest('fraud', 'v1', ['training/fraud/v1/part-0.parquet']), /modelId "fraud" does not match "churn" in the key/],
    ['a version that does not match the key', 'adoptions/fraud/v9.json', manifest('fraud', 'v1', ['training/fraud/v1/part-0.parquet']), /version "v1" does not match "v9" in the key/],
    ['text that is not JSON', 'adoptions/fraud/v4.json', '{"schemaVersion": 1,', /adoptions\/fraud\/v4\.json: expected a JSON adoption manifest/],
    ['training data that does not exist', 'adoptions/fraud/v5.json', manifest('fraud', 'v5', ['training/fraud/v5/missing.parquet']), /training\/fraud\/v5\/missing\.parquet/],
    ['a key nested too deep', 'adoptions/fraud/x/v1.json', manifest('fraud', 'v1', ['training/fraud/v1/part-0.parquet']), /expected a manifest key of the form adoptions\/<modelId>\/<version>\.json/],
  ])('refuses %s, naming the key', async (_what, key, body, message) => {
    // Prepare
    const handler = handlerOf();
    await world.store.put(key, body);

    // Act
    const act = handler(s3Event(key, { eventTime: minutes(0) }));

    // Assess
    await expect(act).rejects.toThrow(message);
    expect(await world.lifecycle.state('fraud')).toBeUndefined();
  });

  it('refuses a manifest uploaded to another bucket or deleted before it was read', async () => {
    // Prepare
    const handler = handlerOf();

    // Act
    const elsewhere = (): Promise<unknown> => handler(s3Event('adoptions/fraud/v1.json', { eventTime: minutes(0), bucket: 'other-bucket' }));
    const gone = (): Promise<unknown> => handler(s3Event('adoptions/fraud/v7.json', { eventTime: minutes(0) }));

    // Assess
    await expect(elsewhere()).rejects.toThrow(/s3:\/\/other-bucket\/adoptions\/fraud\/v1\.json: expected a manifest uploaded to bucket data-bucket/);
    await expect(gone()).rejects.toThrow(/adoptions\/fraud\/v7\.json: the manifest no longer exists/);
  });

  it('ignores removals, keys outside adoptions/ and the S3 test event; rejects an event that is not an S3 notification', async () => {
    // Prepare
    const handler = handlerOf();

    // Act
    const removed = await handler(s3Event('adoptions/fraud/v1.json', { eventTime: minutes(0), eventName: 'ObjectRemoved:Delete' }));
    const outside = await handler(s3Event('training/fraud/v1/part-0.parquet', { eventTime: minutes(0) }));
    const test: AdoptRunResult = await handler({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET });
    const notS3 = handler({ detail: {} });

    // Assess
    expect(removed.results).toEqual([{ status: 'ignored', key: 'adoptions/fraud/v1.json', reason: 'not a creation event (ObjectRemoved:Delete)' }]);
    expect(outside.results).toEqual([{ status: 'ignored', key: 'training/fraud/v1/part-0.parquet', reason: 'not under adoptions/' }]);
    expect(test.results).toEqual([]);
    await expect(notS3).rejects.toThrow(ConfigError);
    await expect(handler({ detail: {} })).rejects.toThrow(/adopt event \(S3 notification\)[\s\S]*Records/);
    expect(await world.lifecycle.state('fraud')).toBeUndefined();
  });
});

describe('Function: readFunctionEnv (adopt)', () => {
  it('needs only the bucket, and names a bad one', () => {
    // Act
    const env = readFunctionEnv('adopt', { [ENV.bucket]: 'my-data-bucket', [ENV.noticesTopicArn]: 'ignored' });
    const act = (): unknown => readFunctionEnv('adopt', { [ENV.bucket]: 'Bad_Bucket' });

    // Assess
    expect(env).toEqual({ bucket: 'my-data-bucket' });
    expect(act).toThrow(/environment of the adopt function[\s\S]*BUCKET/);
  });
});

describe('Function: awsAdopt', () => {
  it('wires only the reference use case: no notices, no retrain events, no links to sign', async () => {
    // Prepare
    const { S3Client } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

    // Act
    const { port, store } = awsAdopt({ env: readFunctionEnv('adopt', { BUCKET: 'my-data-bucket' }), clients: { s3 } });

    // Assess
    expect(store.bucket).toBe('my-data-bucket');
    expect(Object.keys(port).sort()).toEqual(['adopt', 'decisionLog', 'setReference', 'state']);
    s3.destroy();
  });
});
