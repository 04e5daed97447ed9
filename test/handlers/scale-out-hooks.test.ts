import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { executionNameOf, sfnStarter } from '../../functions/adapters/sfn-starter.js';
import { ConfigError } from '../../functions/core/errors.js';
import { makeAdoptHandler } from '../../functions/handlers/adopt.js';
import { awsAdopt, awsIngest, readFunctionEnv, readScaleOutStart, trainingBytes } from '../../functions/handlers/runtime.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { createTelemetry } from '../../functions/service/logger.js';
import { awsTestClientConfig, startMoto, type MotoServer } from '../support/moto.js';

/**
 * The hand-over of large inputs to the scale-out state machine, on moto server: the ingest use case and the
 * adopt handler on the production wiring, with the starter over a Step Functions client pointed at moto (which
 * records executions; it runs Lambda tasks only through Docker, so the machine itself is exercised in
 * test/e2e/scale-out.test.ts).
 */

const BUCKET = 'driftgate-data';
const MODEL = 'fraud';
const BIG = readFileSync(fileURLToPath(new URL('../fixtures/scaleout/ranges.parquet', import.meta.url)));
const SMALL = readFileSync(fileURLToPath(new URL('../fixtures/scaleout/small.parquet', import.meta.url)));
const THRESHOLD = 100_000; // between the two files' sizes

describe('Function: scale-out hand-over (ingest and adopt, moto server)', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let sfn: SFNClient;
  let arn: string;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';

  beforeAll(async () => {
    // Prepare
    moto = await startMoto();
    const config = awsTestClientConfig(moto.endpoint);
    s3 = new S3Client(config);
    sfn = new SFNClient(config);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await uploadModelConfig(new S3Store(s3, BUCKET), { schemaVersion: 1, modelId: MODEL, batchPrefix: 'batches/fraud/' }, 'fraud.json');
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: 'scale-out',
        roleArn: 'arn:aws:iam::123456789012:role/scale-out',
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
      }),
    );
    arn = String(created.stateMachineArn);
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    sfn?.destroy();
    await moto?.stop();
  });

  const put = (key: string, body: Uint8Array | string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const executions = async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }))).executions ?? [];

  it('ingest hands a batch above the threshold over once (a redelivery finds the same execution) and signs a smaller one itself', async () => {
    // Prepare
    await put('batches/fraud/big.parquet', BIG);
    await put('batches/fraud/small.parquet', SMALL);
    const { ingest } = awsIngest({ env: readFunctionEnv('ingest', { BUCKET }), clients: { s3 } as never, scaleOut: { thresholdBytes: THRESHOLD, start: sfnStarter(sfn, arn) } });

    // Act
    const big = await ingest('batches/fraud/big.parquet', new Date());
    const again = await ingest('batches/fraud/big.parquet', new Date());
    const small = await ingest('batches/fraud/small.parquet', new Date());

    // Assess
    expect(big).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/over the 100000-byte threshold: handed to the scale-out state machine \(execution ingest-[0-9a-f]{40}\)/) });
    expect(again).toEqual(big);
    expect(small).toMatchObject({ status: 'stored', modelId: MODEL, rows: 800 });
    const list = await executions();
    expect(list).toHaveLength(1);
    const input = JSON.parse(String((await sfn.send(new DescribeExecutionCommand({ executionArn: list[0].executionArn }))).input));
    expect(input).toEqual({ kind: 'ingest', modelId: MODEL, key: 'batches/fraud/big.parquet', etag: expect.stringMatching(/^"[0-9a-f]+"$/) });
    expect(list[0].name).toBe(executionNameOf(input));
  });

  it('adopt hands a training set above the threshold over with a small input (the manifest key), as set-reference for a first reference', async () => {
    // Prepare
    await put('training/fraud/v1/a.parquet', BIG);
    await put('training/fraud/v1/b.parquet', SMALL);
    await put('adoptions/fraud/v1.json', JSON.stringify({ schemaVersion: 1, modelId: MODEL, version: 'v1', trainingData: ['training/fraud/v1/a.parquet', 'training/fraud/v1/b.parquet'] }));
    const { port, store } = awsAdopt({ env: readFunctionEnv('adopt', { BUCKET }), clients: { s3 } });
    const handler = makeAdoptHandler({
      references: port,
      manifests: store,
      bucket: BUCKET,
      telemetry: createTelemetry('driftgate-adopt-test', { logLevel: 'SILENT' }),
      scaleOut: { thresholdBytes: THRESHOLD, start: sfnStarter(sfn, arn), trainingBytes: (keys, over) => trainingBytes(store, keys, over) },
    });
    const event = { Records: [{ eventName: 'ObjectCreated:Put', eventTime: '2026-03-01T00:00:00.000Z', s3: { bucket: { name: BUCKET }, object: { key: 'adoptions/fraud/v1.json', size: 10 } } }] };

    // Act
    const { results } = await handler(event);
    const redelivered = await handler(event);

    // Assess
    expect(results).toEqual([{ status: 'scaled-out', key: 'adoptions/fraud/v1.json', modelId: MODEL, version: 'v1', execution: expect.stringMatching(/^adopt-[0-9a-f]{40}$/) }]);
    expect(redelivered.results).toEqual(results);
    const adopts = (await executions()).filter((e) => e.name?.startsWith('adopt-'));
    expect(adopts).toHaveLength(1);
    const input = JSON.parse(String((await sfn.send(new DescribeExecutionCommand({ executionArn: adopts[0].executionArn }))).input));
    expect(input).toEqual({ kind: 'adopt', manifestKey: 'adoptions/fraud/v1.json', action: 'set-reference' });
    expect(await store.list('references/')).toEqual([]);
  });

  it('runs a job again under the next name when its execution failed, and never while one runs', async () => {
    // Prepare: a job whose first execution was stopped (ABORTED: as after a corrupt file, since replaced).
    const start = sfnStarter(sfn, arn);
    const job = { kind: 'ingest', modelId: MODEL, key: 'batches/fraud/retried.parquet', etag: '"0123"' };
    const first = await start(job);
    await sfn.send(new StopExecutionCommand({ executionArn: `${arn.replace(':stateMachine:', ':execution:')}:${first}` }));

    // Act
    const second = await start(job);
    const again = await start(job);

    // Assess: moto keeps the second RUNNING, so the redelivery finds it (no third run).
    expect(first).toBe(executionNameOf(job));
    expect(second).toBe(`${first}-2`);
    expect(again).toBe(second);
    const runs = (await executions()).filter((e) => e.name?.startsWith(first)).map((e) => [e.name, e.status]);
    expect(runs.sort()).toEqual([[first, 'ABORTED'], [second, 'RUNNING']]);
  });

  it('reads the hand-over from the environment: both variables or neither, each checked', () => {
    // Act
    const none = readScaleOutStart('ingest', { BUCKET });
    const both = readScaleOutStart('adopt', { SCALE_OUT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:so', SCALE_OUT_THRESHOLD_BYTES: '1073741824' });
    const bad = () => readScaleOutStart('ingest', { SCALE_OUT_STATE_MACHINE_ARN: 'nope', SCALE_OUT_THRESHOLD_BYTES: '0' });

    // Assess
    expect(none).toBeUndefined();
    expect(both).toEqual({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:so', thresholdBytes: 1073741824 });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/expected a Step Functions state machine ARN\s+→ at SCALE_OUT_STATE_MACHINE_ARN[\s\S]*→ at SCALE_OUT_THRESHOLD_BYTES/);
  });
});
