import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { DETAIL_TYPE, EVENT_SOURCE, SERVICE_NAME } from '../../functions/core/constants.js';
import { signingOptions } from '../../functions/core/lifecycle/config.js';
import { serializeSignature, parseSignature, type DatasetSignature, type NumericColumnSignature } from '../../functions/core/signature/index.js';
import { makeMergePartialsHandler } from '../../functions/handlers/merge-partials.js';
import { awsScaleOut, readScalePlanEnv } from '../../functions/handlers/runtime.js';
import { makeScaleFinishHandler } from '../../functions/handlers/scale-finish.js';
import { makeScalePlanHandler } from '../../functions/handlers/scale-plan.js';
import { makeSignRangeHandler } from '../../functions/handlers/sign-range.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { batchSignatureKey } from '../../functions/service/ingest-batch.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { createTelemetry } from '../../functions/service/logger.js';
import type { ScalePlan } from '../../functions/service/scale-out.js';
import { definitionOf, runLocally, taskResources, validateAsl, type ListedObjectItem } from '../support/asl-local.js';
import { awsTestClientConfig, startMoto, type MotoServer } from '../support/moto.js';
import { synthDriftgate } from '../lib/synth.js';
import { drain } from './harness.js';

/**
 * The scale-out state machine end to end: the definition synthesized by the real stack (lib/scale-out.ts), its
 * Distributed Map made inline by the documented transform in test/support/asl-local.ts, run by
 * aws-local-stepfunctions with each Task state bound to the real handler, in process, on the production wiring
 * (awsScaleOut over an S3 client pointed at moto server). The plan function's budget and fan-in are read from
 * the synthesized Plan function's environment.
 */

type Json = Record<string, unknown>;
const BUCKET = 'driftgate-data';
const MODEL = 'fraud';
/** The model whose training folder the Distributed Map lists itself (listObjectsV2). */
const LISTED = 'listed';
const BUS = 'driftgate-events';
const fixture = (path: string): Buffer => readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url)));
// 800 rows each (4 row groups / record batches): one item per file at the stack's item size below.
const GOOD = [fixture('scaleout/small.parquet'), fixture('scaleout/small.arrow')];
const BIG = fixture('scaleout/ranges.parquet');
// Its footer is valid (the plan reads it) and a data page is not: the sign step finds it.
const CORRUPT = fixture('batches/bad-page-data.parquet');

/** The signature without the floating moments, for exact comparison; moments are checked apart. */
function withoutMoments(sig: DatasetSignature): string {
  const doc = JSON.parse(serializeSignature(sig));
  for (const column of Object.values(doc.columns) as Json[]) {
    delete column.mean;
    delete column.m2;
  }
  return JSON.stringify(doc);
}

function expectMomentsClose(a: DatasetSignature, b: DatasetSignature): void {
  for (const [name, column] of Object.entries(b.columns)) {
    if (column.kind !== 'numeric') continue;
    const other = a.columns[name] as NumericColumnSignature;
    expect(Math.abs(other.mean - column.mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(column.mean)));
    expect(Math.abs(other.m2 - column.m2)).toBeLessThanOrEqual(1e-9 * column.m2);
  }
}

describe('Function: scale-out state machine (synthesized definition, real handlers, moto server)', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let store: S3Store;
  let definition: Json;
  let planEnv: Record<string, string>;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  /** An SQS queue behind a rule for every driftgate event on the bus (EventBridge through moto). */
  let eventsUrl: string;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const silent = (service: string) => createTelemetry(service, { logLevel: 'SILENT' });

  beforeAll(async () => {
    // Prepare: moto boots while the stack is synthesized.
    const motoStarting = startMoto();
    const { template } = synthDriftgate({ props: { scaleOut: { itemBytes: 1_000_000, mergeFanIn: 8 } } });
    const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Json }> };
    definition = definitionOf(json);
    const planFn = Object.values(json.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && (r.Properties.Environment as { Variables: Json }).Variables.POWERTOOLS_SERVICE_NAME === SERVICE_NAME['scale-plan'],
    );
    planEnv = (planFn?.Properties.Environment as { Variables: Record<string, string> }).Variables;
    moto = await motoStarting;
    s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    store = new S3Store(s3, BUCKET);
    await uploadModelConfig(store, { schemaVersion: 1, modelId: MODEL, batchPrefix: 'batches/fraud/', cadence: { minCheckInterval: '1h' } }, 'fraud.json');
    await uploadModelConfig(store, { schemaVersion: 1, modelId: LISTED, batchPrefix: 'batches/listed/' }, 'listed.json');
    events = new EventBridgeClient(awsTestClientConfig(moto.endpoint));
    sqs = new SQSClient(awsTestClientConfig(moto.endpoint));
    await events.send(new CreateEventBusCommand({ Name: BUS }));
    eventsUrl = String((await sqs.send(new CreateQueueCommand({ QueueName: 'all-driftgate-events' }))).QueueUrl);
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: eventsUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    await events.send(new PutRuleCommand({ Name: 'all', EventBusName: BUS, EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'all', EventBusName: BUS, Targets: [{ Id: 'queue', Arn: queueArn }] }));
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    events?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  const put = (key: string, body: Uint8Array | string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const getText = async (key: string): Promise<string> => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
  const keys = async (prefix: string): Promise<string[]> => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => String(o.Key));
  /** Every object of the bucket with its ETag and modification time: what "stores nothing new" compares. */
  const snapshot = async (): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
      for (const o of page.Contents ?? []) out.push(`${o.Key} ${o.ETag} ${o.LastModified?.toISOString()}`);
      token = page.NextContinuationToken;
    } while (token);
    return out.sort();
  };

  /**
   * What the listObjectsV2 ItemReader hands the map (the transform's `listItems`, asl-local.ts): every object under
   * the prefix, listed on moto, in the ItemReader's item shape.
   */
  const listItems = async ({ Bucket, Prefix }: { Bucket: string; Prefix?: string }): Promise<ListedObjectItem[]> => {
    const items: ListedObjectItem[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        items.push({ Etag: String(o.ETag), Key: String(o.Key), LastModified: Math.floor((o.LastModified?.getTime() ?? 0) / 1000), Size: Number(o.Size), StorageClass: String(o.StorageClass ?? 'STANDARD') });
      }
      token = page.NextContinuationToken;
    } while (token);
    return items;
  };

  /** One execution of the synthesized machine with the real handlers bound to its Task states. */
  const execute = async (input: Json, env: Record<string, string> = planEnv, afterPlan?: (plan: ScalePlan) => Promise<void>): Promise<{ output: unknown; plan: ScalePlan }> => {
    const steps = awsScaleOut({ env: { bucket: BUCKET }, clients: { s3 }, plan: readScalePlanEnv(env) });
    // Only Finish's environment names the bus (lib/scale-out.ts grants it, and it alone, PutEvents).
    const finishSteps = awsScaleOut({ env: { bucket: BUCKET, eventBusName: BUS }, clients: { s3, events } });
    let plan: ScalePlan | undefined;
    const planHandler = makeScalePlanHandler({ steps, telemetry: silent(SERVICE_NAME['scale-plan']) });
    const output = await runLocally(definition, input, {
      taskHandlers: {
        Plan: async (event) => {
          plan = await planHandler(event);
          await afterPlan?.(plan);
          return plan;
        },
        SignRangeTask: makeSignRangeHandler({ steps, telemetry: silent(SERVICE_NAME['sign-range']) }),
        SignListedTask: makeSignRangeHandler({ steps, telemetry: silent(SERVICE_NAME['sign-range']) }),
        MergeGroup: makeMergePartialsHandler({ steps, telemetry: silent(SERVICE_NAME['merge-partials']) }),
        Finish: makeScaleFinishHandler({ steps: finishSteps, telemetry: silent(SERVICE_NAME['scale-finish']), clock: () => new Date('2026-03-01T00:00:00Z') }),
      },
      readItems: async ({ Bucket, Key }) => JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString()) as unknown[],
      listItems,
    });
    return { output, plan: plan! };
  };

  it('the synthesized definition is valid ASL, and every Task state of it is bound to a real handler', () => {
    // Act
    const verdict = validateAsl(definition);
    const tasks = taskResources(definition);

    // Assess
    expect(verdict).toEqual({ isValid: true, errors: [] });
    expect(Object.keys(tasks).sort()).toEqual(['Finish', 'MergeGroup', 'Plan', 'SignListedTask', 'SignRangeTask']);
    for (const map of ['Sign', 'SignListed']) {
      expect((definition.States as Record<string, Json>)[map]).toMatchObject({ ToleratedFailurePercentage: 0, MaxConcurrency: 100, ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
    }
  });

  it('a 40-file training set with one corrupt file fails naming that file, and nothing is adopted', async () => {
    // Prepare
    const trainingData = Array.from({ length: 40 }, (_, i) => `training/fraud/v1/part-${String(i).padStart(2, '0')}.${i % 2 === 0 ? 'parquet' : 'arrow'}`);
    trainingData[17] = 'training/fraud/v1/part-17.parquet';
    for (const [i, key] of trainingData.entries()) await put(key, i === 17 ? CORRUPT : GOOD[i % 2]);
    // A writer's marker beside the files: the folder is not exactly the training set, so the plan writes a manifest.
    await put('training/fraud/v1/_SUCCESS', '');
    await put('adoptions/fraud/v1.json', JSON.stringify({ schemaVersion: 1, modelId: MODEL, version: 'v1', trainingData }));

    // Act
    const error = await execute({ kind: 'adopt', manifestKey: 'adoptions/fraud/v1.json', action: 'set-reference' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('training/fraud/v1/part-17.parquet');
    expect((error as Error).message).toMatch(/row group|page|decode/i);
    expect(await keys('references/')).toEqual([]);
    expect(await keys('state/')).toEqual([]);
    expect(await keys('decisions/')).toEqual([]);
    expect(await drain(sqs, eventsUrl)).toEqual([]);
  }, 120_000);

  let goodInput: Json;
  let reference: DatasetSignature;

  it('the same 40 files with the corrupt one replaced: the reference equals the single-pass signature of all 40', async () => {
    // Prepare
    const trainingData = Array.from({ length: 40 }, (_, i) => `training/fraud/v1/part-${String(i).padStart(2, '0')}.${i % 2 === 0 ? 'parquet' : 'arrow'}`);
    await put(trainingData[17], GOOD[1]);
    await put('adoptions/fraud/v1.json', JSON.stringify({ schemaVersion: 1, modelId: MODEL, version: 'v1', trainingData }));
    goodInput = { kind: 'adopt', manifestKey: 'adoptions/fraud/v1.json', action: 'set-reference' };

    // Act
    const { output, plan } = await execute(goodInput);

    // Assess: one item per file and a tree merge of two levels (40 -> 5 -> 1 at fan-in 8), then one reference.
    expect(output).toMatchObject({ status: 'adopted', modelId: MODEL, version: 'v1', rows: 40 * 800, referenceKey: 'references/fraud/v1.json' });
    expect(plan.itemCount).toBe(40);
    expect(plan.manifestKey).toBeDefined();
    expect(plan.prefix).toBeUndefined();
    expect(plan.levels.map((level) => level.length)).toEqual([5, 1]);
    reference = parseSignature(JSON.parse(await getText('references/fraud/v1.json')), 'references/fraud/v1.json');
    const sources = await Promise.all(trainingData.map((k) => store.open(k)));
    const single = await signSources(sources, signingOptions(await new ModelRepository(store).config(MODEL)));
    expect(withoutMoments(reference)).toBe(withoutMoments(single));
    expectMomentsClose(reference, single);
    expect(JSON.parse(await getText('state/fraud.json'))).toMatchObject({ reference: { version: 'v1', key: 'references/fraud/v1.json' } });
    expect((await getText('decisions/fraud.jsonl')).trim().split('\n')).toHaveLength(1);
    // Finish put the ReferenceAdopted the one-function adoption puts (through the bus to the rule's queue).
    const delivered = (await drain(sqs, eventsUrl)).map((m) => JSON.parse(String(m.Body)) as { 'detail-type': string; detail: Json });
    expect(delivered).toEqual([expect.objectContaining({ source: EVENT_SOURCE, 'detail-type': DETAIL_TYPE.ReferenceAdopted, detail: expect.objectContaining({ modelId: MODEL, version: 'v1' }) })]);
  }, 180_000);

  it('re-running that execution stores nothing new: every object, its ETag and its time unchanged', async () => {
    // Prepare
    const before = await snapshot();

    // Act
    const { output } = await execute(goodInput);

    // Assess
    expect(output).toMatchObject({ status: 'already-adopted', version: 'v1' });
    expect(await snapshot()).toEqual(before);
    expect(await drain(sqs, eventsUrl)).toEqual([]);
  }, 180_000);

  it('a batch split into 8 ranges: the stored signature equals the single-pass signature on the reference', async () => {
    // Prepare: 16 row groups of about 8.8 kB; 20 kB per item packs them in pairs.
    await put('batches/fraud/huge.parquet', BIG);
    const source = await store.open('batches/fraud/huge.parquet');
    const etag = (source as unknown as { etag: string }).etag;
    const env = { ...planEnv, SCALE_OUT_ITEM_BYTES: '20000' };

    // Act
    const { output, plan } = await execute({ kind: 'ingest', modelId: MODEL, key: 'batches/fraud/huge.parquet', etag }, env);
    const again = await execute({ kind: 'ingest', modelId: MODEL, key: 'batches/fraud/huge.parquet', etag }, env);

    // Assess
    const sigKey = batchSignatureKey(MODEL, 'batches/fraud/huge.parquet', etag);
    expect(plan.itemCount).toBe(8);
    expect(output).toMatchObject({ status: 'stored', modelId: MODEL, signatureKey: sigKey, rows: 6400 });
    expect(again.output).toMatchObject({ status: 'duplicate', signatureKey: sigKey });
    const stored = parseSignature(JSON.parse(await getText(sigKey)), sigKey);
    const single = await signSources([source], signingOptions(await new ModelRepository(store).config(MODEL), reference));
    expect(withoutMoments(stored)).toBe(withoutMoments(single));
    expectMomentsClose(stored, single);
    expect(await keys('signatures/fraud/')).toEqual([sigKey]);
  }, 120_000);

  describe('a training set that is exactly one folder: the Distributed Map lists it (listObjectsV2)', () => {
    // Part 17 is a Parquet file (corrupt first, then a good one) among alternating Parquet and Arrow files.
    const trainingData = Array.from({ length: 40 }, (_, i) => `training/listed/v1/part-${String(i).padStart(2, '0')}.${i % 2 === 0 || i === 17 ? 'parquet' : 'arrow'}`);
    const input = { kind: 'adopt', manifestKey: 'adoptions/listed/v1.json', action: 'set-reference' };

    it('with one corrupt file: fails naming that file, and nothing is adopted', async () => {
      // Prepare
      for (const [i, key] of trainingData.entries()) await put(key, i === 17 ? CORRUPT : GOOD[i % 2]);
      await put('adoptions/listed/v1.json', JSON.stringify({ schemaVersion: 1, modelId: LISTED, version: 'v1', trainingData }));

      // Act
      let plan: ScalePlan | undefined;
      const error = await execute(input, planEnv, async (p) => void (plan = p)).catch((e: unknown) => e);

      // Assess
      expect(plan).toMatchObject({ prefix: 'training/listed/v1/', itemCount: 40 });
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('training/listed/v1/part-17.parquet');
      expect((error as Error).message).toMatch(/row group|page|decode/i);
      expect(await keys('references/listed/')).toEqual([]);
      expect(await keys('state/listed')).toEqual([]);
      expect(await keys('decisions/listed')).toEqual([]);
      expect(await drain(sqs, eventsUrl)).toEqual([]);
    }, 120_000);

    let listedInput: Json;

    it('with the file replaced: no manifest is written, one whole file per child, and the reference equals the single pass', async () => {
      // Prepare
      await put(trainingData[17], GOOD[0]);
      listedInput = input;

      // Act
      const { output, plan } = await execute(listedInput);

      // Assess
      expect(plan).toMatchObject({ prefix: 'training/listed/v1/', itemCount: 40, modelId: LISTED });
      expect(plan.manifestKey).toBeUndefined();
      expect(await keys(`scaleout/${plan.jobId}/manifest`)).toEqual([]);
      expect(output).toMatchObject({ status: 'adopted', modelId: LISTED, version: 'v1', rows: 40 * 800, referenceKey: 'references/listed/v1.json' });
      const listed = parseSignature(JSON.parse(await getText('references/listed/v1.json')), 'references/listed/v1.json');
      const sources = await Promise.all(trainingData.map((k) => store.open(k)));
      const single = await signSources(sources, signingOptions(await new ModelRepository(store).config(LISTED)));
      expect(withoutMoments(listed)).toBe(withoutMoments(single));
      expectMomentsClose(listed, single);
      const delivered = (await drain(sqs, eventsUrl)).map((m) => JSON.parse(String(m.Body)) as { 'detail-type': string; detail: Json });
      expect(delivered).toEqual([expect.objectContaining({ 'detail-type': DETAIL_TYPE.ReferenceAdopted, detail: expect.objectContaining({ modelId: LISTED, version: 'v1' }) })]);
    }, 180_000);

    it('re-running that execution stores nothing new', async () => {
      // Prepare
      const before = await snapshot();

      // Act
      const { output } = await execute(listedInput);

      // Assess
      expect(output).toMatchObject({ status: 'already-adopted', version: 'v1' });
      expect(await snapshot()).toEqual(before);
      expect(await drain(sqs, eventsUrl)).toEqual([]);
    }, 180_000);

    it('a file replaced between the plan and the listing fails the execution naming it, and nothing is adopted', async () => {
      // Prepare: another version of the model over its own folder; after the plan, one file is rewritten.
      const files = trainingData.slice(0, 4).map((k) => k.replace('/v1/', '/v2/'));
      for (const [i, key] of files.entries()) await put(key, GOOD[i % 2]);
      await put('adoptions/listed/v2.json', JSON.stringify({ schemaVersion: 1, modelId: LISTED, version: 'v2', trainingData: files }));

      // Act
      const error = await execute({ kind: 'adopt', manifestKey: 'adoptions/listed/v2.json', action: 'set-reference' }, planEnv, async () => void (await put(files[2], GOOD[1]))).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(files[2]);
      expect((error as Error).message).toContain('the training folder changed during the execution');
      expect(await keys('references/listed/v2')).toEqual([]);
      expect(JSON.parse(await getText('state/listed.json'))).toMatchObject({ reference: { version: 'v1' } });
    }, 120_000);

    it('a file added to the folder between the plan and the listing (listed after the others) fails the execution naming it', async () => {
      // Prepare: the map lists one object more than the plan did; its child is the one past the plan's items,
      // whose partial no merge group reads, so only Finish can see it.
      const files = trainingData.slice(0, 3).map((k) => k.replace('/v1/', '/v3/'));
      for (const [i, key] of files.entries()) await put(key, GOOD[i % 2]);
      await put('adoptions/listed/v3.json', JSON.stringify({ schemaVersion: 1, modelId: LISTED, version: 'v3', trainingData: files }));
      const added = 'training/listed/v3/part-99.arrow';

      // Act
      const error = await execute({ kind: 'adopt', manifestKey: 'adoptions/listed/v3.json', action: 'set-reference' }, planEnv, async () => void (await put(added, GOOD[1]))).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(added);
      expect((error as Error).message).toContain('the training folder changed during the execution');
      expect(await keys('references/listed/v3')).toEqual([]);
      expect(JSON.parse(await getText('state/listed.json'))).toMatchObject({ reference: { version: 'v1' } });
      expect(await drain(sqs, eventsUrl)).toEqual([]);
    }, 120_000);

    it('a file removed from the folder between the plan and the listing (the last one) fails the execution naming it', async () => {
      // Prepare
      const files = trainingData.slice(0, 3).map((k) => k.replace('/v1/', '/v4/'));
      for (const [i, key] of files.entries()) await put(key, GOOD[i % 2]);
      await put('adoptions/listed/v4.json', JSON.stringify({ schemaVersion: 1, modelId: LISTED, version: 'v4', trainingData: files }));

      // Act
      const error = await execute({ kind: 'adopt', manifestKey: 'adoptions/listed/v4.json', action: 'set-reference' }, planEnv, async () => void (await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: files[2] })))).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(files[2]);
      expect((error as Error).message).toContain('the training folder changed during the execution');
      expect(await keys('references/listed/v4')).toEqual([]);
    }, 120_000);

    it('with the added file removed again, the same job runs again and adopts its planned files', async () => {
      // Prepare: the same plan (same files, same ETags) finds the failed run's extra partial, now stale.
      await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'training/listed/v3/part-99.arrow' }));

      // Act
      const { output, plan } = await execute({ kind: 'adopt', manifestKey: 'adoptions/listed/v3.json', action: 'set-reference' });

      // Assess
      expect(await keys(`scaleout/${plan.jobId}/parts/0/000003`)).toHaveLength(1);
      expect(output).toMatchObject({ status: 'adopted', modelId: LISTED, version: 'v3', rows: 3 * 800 });
      expect(JSON.parse(await getText('state/listed.json'))).toMatchObject({ reference: { version: 'v3' } });
      await drain(sqs, eventsUrl);
    }, 120_000);
  });
});
