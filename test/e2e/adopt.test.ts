import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { modelStateSchema, type DecisionLogEntry } from '../../functions/core/lifecycle/types.js';
import { parseSignature } from '../../functions/core/signature/index.js';
import { AdoptRunError, makeAdoptHandler, type AdoptRunResult } from '../../functions/handlers/adopt.js';
import { awsAdopt, readFunctionEnv } from '../../functions/handlers/runtime.js';
import { uploadAdoptionManifest } from '../../functions/service/adoption-upload.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { createTelemetry } from '../../functions/service/logger.js';
import { FIXTURES } from '../handlers/support.js';
import { adoptionTestStack } from '../lib/adoption-stack.js';
import { awsTestClientConfig, startMoto, type MotoServer } from '../support/moto.js';
import { drain } from './harness.js';

const run = promisify(execFile);

/**
 * The adoption path on moto server. moto cannot run the Lambda (no Docker), so the bucket notification the
 * synthesized construct configures (events and key filter, read from its template) targets an SQS queue
 * instead: moto builds the very same S3 event for Lambda and SQS targets (moto/s3/notifications.py), and the
 * handler receives that event as S3's asynchronous Lambda invocation delivers it — the plain `{Records:[...]}`.
 * The handler runs on the production wiring (awsAdopt over an S3 client pointed at moto).
 */

type Json = Record<string, unknown>;
const BUCKET = 'driftgate-data';
const MODEL = 'fraud';

/** The Lambda notification of the synthesized adoption construct: its events and key filter. */
function adoptionNotification(): { Events: string[]; Filter: Json } {
  const template = Template.fromStack(adoptionTestStack().stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Json }> };
  const resources = Object.values(template.Resources);
  const custom = resources.find((r) => r.Type === 'Custom::S3BucketNotifications');
  const config = (custom?.Properties.NotificationConfiguration as { LambdaFunctionConfigurations?: { Events: string[]; Filter: Json }[] } | undefined)
    ?.LambdaFunctionConfigurations?.[0];
  if (config === undefined) throw new Error('the adoption construct configures no Lambda bucket notification');
  return config;
}

describe('Function: adopt handler end to end on moto server', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let sqs: SQSClient;
  let queueUrl: string;
  let store: S3Store;
  let notification: { Events: string[]; Filter: Json };
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const telemetry = createTelemetry('driftgate-adopt-e2e', { logLevel: 'SILENT' });
  let handler: (event: unknown) => Promise<AdoptRunResult>;
  let setupEvents: unknown[];

  beforeAll(async () => {
    // Prepare: moto boots while the construct is synthesized.
    const motoStarting = startMoto();
    notification = adoptionNotification();
    moto = await motoStarting;
    const config = awsTestClientConfig(moto.endpoint);
    s3 = new S3Client(config);
    sqs = new SQSClient(config);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    queueUrl = String((await sqs.send(new CreateQueueCommand({ QueueName: 'adopt-invocations' }))).QueueUrl);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: BUCKET,
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: Attributes?.QueueArn, Events: notification.Events as never, Filter: notification.Filter as never }],
        },
      }),
    );
    // S3 (and moto) send a test event when a notification configuration is saved.
    setupEvents = (await drain(sqs, queueUrl)).map((m) => JSON.parse(String(m.Body)) as unknown);
    store = new S3Store(s3, BUCKET);
    await uploadModelConfig(store, { schemaVersion: 1, modelId: MODEL, batchPrefix: 'batches/fraud/', cadence: { minCheckInterval: '1h' } }, 'fraud.json');
    const runtime = awsAdopt({ env: readFunctionEnv('adopt', { BUCKET }), clients: { s3 } });
    handler = makeAdoptHandler({ references: runtime.port, manifests: runtime.store, bucket: BUCKET, telemetry });
  });

  afterAll(async () => {
    s3?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  const put = async (key: string, body: Uint8Array | string): Promise<void> => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  };
  const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
  /** The S3 events moto delivered since the last call, as the adopt function would receive them. */
  const deliveries = async (): Promise<unknown[]> => (await drain(sqs, queueUrl)).map((m) => JSON.parse(String(m.Body)) as unknown);
  const getText = async (key: string): Promise<string> =>
    (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
  const state = async () => modelStateSchema.parse(JSON.parse(await getText(`state/${MODEL}.json`)));
  const log = async (): Promise<DecisionLogEntry[]> =>
    (await getText(`decisions/${MODEL}.jsonl`)).trim().split('\n').map((l) => JSON.parse(l) as DecisionLogEntry);

  let v1Event: unknown;
  let v2Event: unknown;

  it('filters notifications to adoptions/*.json, as the construct configures them, and ignores the S3 test event', async () => {
    // Prepare
    await put('training/fraud/v1/part-0.parquet', fixture('gzip-plain.parquet'));
    await put('training/fraud/v1/part-1.parquet', fixture('duckdb-zstd.parquet'));
    await put('adoptions/fraud/README.txt', 'not a manifest');

    // Act
    const events = await deliveries();
    const onTestEvent = await Promise.all(setupEvents.map((event) => handler(event)));

    // Assess
    expect(notification.Events).toEqual(['s3:ObjectCreated:*']);
    expect(events).toEqual([]);
    expect(setupEvents).toEqual([expect.objectContaining({ Service: 'Amazon S3', Event: 's3:TestEvent' })]);
    expect(onTestEvent).toEqual([{ results: [] }]);
  });

  it('sets the first reference from an uploaded manifest: reference stored, state pointing at it, decision logged', async () => {
    // Prepare
    await put(
      'adoptions/fraud/v1.json',
      JSON.stringify({ schemaVersion: 1, modelId: MODEL, version: 'v1', trainingData: ['training/fraud/v1/part-0.parquet', 'training/fraud/v1/part-1.parquet'] }),
    );
    const events = await deliveries();
    v1Event = events[0];

    // Act
    const { results } = await handler(v1Event);

    // Assess
    expect(events).toHaveLength(1);
    expect(results).toEqual([expect.objectContaining({ status: 'adopted', action: 'set-reference', modelId: MODEL, version: 'v1', rows: 1200 + 3000 })]);
    const reference = parseSignature(JSON.parse(await getText('references/fraud/v1.json')), 'references/fraud/v1.json');
    expect(reference.rowCount).toBe(4200);
    expect(Object.keys(reference.columns)).toEqual(expect.arrayContaining(['f64', 'cat', 'x', 'amount']));
    expect((await state()).reference).toMatchObject({ version: 'v1', key: 'references/fraud/v1.json' });
    expect((await log()).map((e) => [e.action, e.evidence.version])).toEqual([['set-reference', 'v1']]);
  });

  it('adopts the next version from a manifest uploaded with uploadAdoptionManifest (the CLI path)', async () => {
    // Prepare
    await put('training/fraud/v2/part-0.parquet', fixture('zstd-dict.parquet'));
    const uploaded = await uploadAdoptionManifest(store, { modelId: MODEL, version: 'v2', trainingData: ['training/fraud/v2/part-0.parquet'], proposalId: '20260301T000000Z-abc' });
    const events = await deliveries();
    v2Event = events[0];

    // Act
    const { results } = await handler(v2Event);

    // Assess
    expect(uploaded).toMatchObject({ status: 'uploaded', key: 'adoptions/fraud/v2.json' });
    expect(events).toHaveLength(1);
    expect(results).toEqual([expect.objectContaining({ status: 'adopted', action: 'adopt', version: 'v2', rows: 1200, referenceKey: 'references/fraud/v2.json' })]);
    const current = await state();
    expect(current.reference).toMatchObject({ version: 'v2', key: 'references/fraud/v2.json' });
    expect(current.cadence.at(-1)?.reason).toMatch(/new reference v2/);
    expect((await log()).map((e) => [e.action, e.evidence.version])).toEqual([
      ['set-reference', 'v1'],
      ['adopt', 'v2'],
    ]);
  });

  it('treats re-deliveries of both events as no-ops: v2 stays the reference and the log does not grow', async () => {
    // Prepare
    const before = await log();

    // Act
    const againV2 = await handler(v2Event);
    const againV1 = await handler(v1Event);

    // Assess
    expect(againV2.results).toEqual([expect.objectContaining({ status: 'already-adopted', version: 'v2' })]);
    expect(againV1.results).toEqual([expect.objectContaining({ status: 'superseded', version: 'v1', currentVersion: 'v2' })]);
    expect((await state()).reference.version).toBe('v2');
    expect(await log()).toEqual(before);
    expect(await store.list('references/fraud/')).toEqual(['references/fraud/v1.json', 'references/fraud/v2.json']);
  });

  it('fails a bad manifest with an error naming its key and the bad field, changing nothing', async () => {
    // Prepare
    await put('adoptions/fraud/v3.json', JSON.stringify({ schemaVersion: 1, modelId: MODEL, version: 'v3', trainingData: ['batches/fraud/day-1.parquet'] }));
    await put('adoptions/churn/v1.json', JSON.stringify({ schemaVersion: 1, modelId: MODEL, version: 'v1', trainingData: ['training/fraud/v1/part-0.parquet'] }));
    const events = await deliveries();
    const before = await log();

    // Act
    const outcomes = await Promise.allSettled(events.map((event) => handler(event)));

    // Assess
    expect(events).toHaveLength(2);
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error) : undefined));
    for (const reason of reasons) expect(reason).toBeInstanceOf(AdoptRunError);
    const messages = reasons.map((r) => r?.message ?? '').sort();
    expect(messages[0]).toMatch(/adoptions\/churn\/v1\.json: modelId "fraud" does not match "churn" in the key/);
    expect(messages[1]).toMatch(/adoptions\/fraud\/v3\.json: invalid adoption manifest:[\s\S]*at trainingData\[0\]/);
    expect((await state()).reference.version).toBe('v2');
    expect(await log()).toEqual(before);
  });

  it('runs the really bundled adopt function in a fresh Node 20 process (parquet-wasm beside the bundle)', async () => {
    // Prepare: esbuild bundles the function while the construct is built.
    const outdir = mkdtempSync(join(tmpdir(), 'driftgate-adopt-cdkout-'));
    try {
      const { adoption } = adoptionTestStack({ bundle: true, outdir });
      const assetDir = join(outdir, (adoption.function.node.findChild('Code') as Asset).assetPath);
      await put(
        'adoptions/fraud/v4.json',
        JSON.stringify({ schemaVersion: 1, modelId: MODEL, version: 'v4', trainingData: ['training/fraud/v1/part-0.parquet', 'training/fraud/v1/part-1.parquet'] }),
      );
      const [event] = await deliveries();
      const config = awsTestClientConfig(moto.endpoint);
      const script = [
        `const m = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)});`,
        "const r = await m.handler(JSON.parse(process.env.EVENT)); process.stdout.write('\\nRESULT ' + JSON.stringify(r) + '\\n');",
      ].join('\n');

      // Act
      const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
        cwd: tmpdir(),
        env: {
          PATH: process.env.PATH ?? '',
          BUCKET,
          DRIFTGATE_AWS_ENDPOINT: moto.endpoint,
          AWS_REGION: config.region,
          AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          POWERTOOLS_METRICS_DISABLED: 'true',
          EVENT: JSON.stringify(event),
        },
        maxBuffer: 16 * 1024 * 1024,
      });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));

      // Assess
      expect(existsSync(join(assetDir, 'node_modules', 'parquet-wasm', 'node', 'parquet_wasm_bg.wasm'))).toBe(true);
      expect(line).toBeDefined();
      const result = JSON.parse(String(line).slice('RESULT '.length)) as AdoptRunResult;
      expect(result.results).toEqual([expect.objectContaining({ status: 'adopted', action: 'adopt', version: 'v4', rows: 4200 })]);
      expect((await state()).reference.version).toBe('v4');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
