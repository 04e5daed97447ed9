import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
// ajv is installed with asl-validator; it checks each event against its committed JSON Schema file.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { DETAIL_TYPE, ENV, EVENT_SOURCE } from '../../functions/core/constants.js';
import { LIFECYCLE_SCHEMAS, type LifecycleEventType, lifecycleSchemaFile } from '../../functions/core/events/lifecycle.js';
import { peekToken } from '../../functions/core/lifecycle/token.js';
import { makeCheckHandler } from '../../functions/handlers/check.js';
import { makeDecideHandler } from '../../functions/handlers/decide.js';
import { makeGateHandler } from '../../functions/handlers/gate.js';
import { makeIngestHandler } from '../../functions/handlers/ingest.js';
import { awsAdopt, awsCheck, awsDecide, awsGate, awsIngest, awsReportReader, readFunctionEnv, type FunctionRole } from '../../functions/handlers/runtime.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { createTelemetry } from '../../functions/service/logger.js';
import { schemaFileText } from '../../schemas/generate.js';
import { EMITTED_EVENTS, retrainEventPattern } from '../../lib/events.js';
import { synthDriftgate } from '../lib/synth.js';
import { awsTestClientConfig, startMoto, venvPython, type MotoServer } from '../support/moto.js';
import { drain, functionEnvOf, pollOnce, provisionMoto, queueDepth, settingsFromTemplate, startFunctionUrlServer, type FunctionUrlServer, type MotoWorld, type StackSettings } from './harness.js';

const MODEL = 'churn-v3';
/** A second model whose pipeline drops a column: a data-quality incident, opened then closed. */
const QUALITY_MODEL = 'quality';
const BUS = 'driftgate-events';
const HOUR = 3600_000;
const T0 = new Date('2026-03-02T08:00:00.000Z');
const at = (hours: number): Date => new Date(T0.getTime() + hours * HOUR);
const root = fileURLToPath(new URL('../../', import.meta.url));

/** The README's sample rule (retrainPipelineRule): approved retrains of one model start its pipeline (here: a queue). */
const PIPELINE_PATTERN = retrainEventPattern(MODEL, ['approved']);

/** An EventBridge event as a rule's SQS target receives it. */
interface BusEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: { type: LifecycleEventType; eventId: string; modelId: string } & Record<string, unknown>;
}

/** An Arrow batch (apache-arrow): `amount`, and `country` unless `drop`. */
function qualityBatch(seed: number, drop: boolean): Uint8Array {
  let s = seed >>> 0;
  const rand = (): number => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) + 0.5) / 4_294_967_296;
  const amount = Array.from({ length: 1500 }, () => 100 + 15 * Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand()));
  const country = amount.map(() => (rand() < 0.6 ? 'US' : 'DE'));
  return tableToIPC(tableFromArrays(drop ? { amount: Float64Array.from(amount) } : { amount: Float64Array.from(amount), country }), 'file');
}

describe('Issue 15: lifecycle events on an EventBridge bus (moto), a rule to SQS receiving each', () => {
  let moto: MotoServer;
  let world: MotoWorld;
  let settings: StackSettings;
  let server: FunctionUrlServer;
  let eventBridge: EventBridgeClient;
  let dataDir: string;
  let clock: Date;
  let envRecord: Record<string, string>;
  let everythingUrl: string;
  let pipelineUrl: string;
  const seen: BusEvent[] = [];
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const telemetry = createTelemetry('driftgate-e2e-events', { logLevel: 'ERROR' });

  /** One EventBridge client per function, recording the detail-types it puts (checked against its IAM grant). */
  const clients = new Map<FunctionRole, EventBridgeClient>();
  const putTypes = new Map<FunctionRole, Set<string>>();
  const eventsClientOf = (role: FunctionRole): EventBridgeClient => {
    let client = clients.get(role);
    if (client === undefined) {
      client = new EventBridgeClient(awsTestClientConfig(moto.endpoint));
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const entries = (args.input as { Entries?: { DetailType?: string }[] }).Entries ?? [];
          if (context.commandName === 'PutEventsCommand') for (const e of entries) putTypes.set(role, new Set([...(putTypes.get(role) ?? []), String(e.DetailType)]));
          return next(args);
        },
        { step: 'initialize', name: 'recordDetailTypes' },
      );
      clients.set(role, client);
    }
    return client;
  };
  const wiring = (role: FunctionRole) => ({
    env: readFunctionEnv(role, envRecord),
    clients: { s3: world.s3, sns: world.sns, secrets: world.secrets, events: eventsClientOf(role) },
    clock: () => clock,
  });
  const ingestAll = async (): Promise<void> => {
    const handler = makeIngestHandler({ ingest: async () => awsIngest(wiring('ingest')), bucket: world.bucket, telemetry, clock: () => clock });
    for (let i = 0; i < 30 && (await queueDepth(world, world.uploadQueueUrl)) > 0; i++) await pollOnce(world, handler);
  };
  const check = async (hours: number): Promise<void> => {
    clock = at(hours);
    await makeCheckHandler({ checks: awsCheck(wiring('check')), telemetry, clock: () => clock })({ ...settings.scheduleInput, scheduledTime: clock.toISOString(), executionId: `events-${hours}` });
  };
  /** What the catch-all rule delivered since the last call (kept in `seen`). */
  const delivered = async (): Promise<BusEvent[]> => {
    const fresh = (await drain(world.sqs, everythingUrl)).map((m) => JSON.parse(String(m.Body)) as BusEvent);
    seen.push(...fresh);
    return fresh.map((e) => e);
  };
  const put = (key: string, body: Uint8Array): Promise<unknown> => world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: body }));

  beforeAll(async () => {
    // Prepare: moto, the stack's settings, the pyarrow batches, a custom bus with two rules targeting queues.
    const motoStarting = startMoto();
    dataDir = mkdtempSync(join(tmpdir(), 'driftgate-e2e-events-'));
    const making = promisify(execFile)(venvPython, [fileURLToPath(new URL('./make-batches.py', import.meta.url)), dataDir], { encoding: 'utf8' });
    settings = settingsFromTemplate(synthDriftgate({ props: { eventBus: 'create' } }).template.toJSON() as Record<string, unknown>);
    await making;
    moto = await motoStarting;
    world = await provisionMoto(moto.endpoint, settings, { visibilityTimeoutSeconds: 1, retrainFilterPolicy: { modelId: [MODEL] } });
    eventBridge = new EventBridgeClient(awsTestClientConfig(moto.endpoint));
    await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
    const queue = async (name: string, pattern: unknown): Promise<string> => {
      const url = String((await world.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl);
      const arn = (await world.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      await eventBridge.send(new PutRuleCommand({ Name: name, EventBusName: BUS, EventPattern: JSON.stringify(pattern) }));
      await eventBridge.send(new PutTargetsCommand({ Rule: name, EventBusName: BUS, Targets: [{ Id: 'queue', Arn: arn }] }));
      return url;
    };
    everythingUrl = await queue('all-driftgate-events', { source: [EVENT_SOURCE] });
    pipelineUrl = await queue('start-pipeline', PIPELINE_PATTERN);
    const decide = makeDecideHandler({
      decisions: () => awsDecide(wiring('decide')),
      reports: (query, now) => awsReportReader({ env: readFunctionEnv('decide', envRecord), clients: wiring('decide').clients })(query, now),
      telemetry,
      clock: () => clock,
    });
    server = await startFunctionUrlServer(decide);
    envRecord = { ...functionEnvOf(world, server.url), [ENV.eventBusName]: BUS };
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    eventBridge?.destroy();
    for (const client of clients.values()) client.destroy();
    await moto?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts ReferenceAdopted when a reference is set, and ProposalOpened when a check finds drift', async () => {
    // Prepare
    clock = T0;
    const store = new S3Store(world.s3, world.bucket);
    await uploadModelConfig(store, { schemaVersion: 1, modelId: MODEL, batchPrefix: `${settings.batchPrefix}${MODEL}/`, cadence: { minCheckInterval: '1h', maxCheckInterval: '1d' } }, 'e2e config');
    await put(`reference-data/${MODEL}/train.parquet`, readFileSync(join(dataDir, 'reference.parquet')));

    // Act
    await awsAdopt(wiring('adopt')).port.setReference(MODEL, [`reference-data/${MODEL}/train.parquet`], T0, 'v1');
    const afterReference = await delivered();
    clock = at(1);
    await put(`batches/${MODEL}/2026-03-02.parquet`, readFileSync(join(dataDir, 'drift-1.parquet')));
    await put(`batches/${MODEL}/2026-03-03.parquet`, readFileSync(join(dataDir, 'drift-2.parquet')));
    await ingestAll();
    await check(25);
    const afterCheck = await delivered();

    // Assess
    expect(afterReference.map((e) => [e.source, e['detail-type'], e.detail.eventId])).toEqual([[EVENT_SOURCE, DETAIL_TYPE.ReferenceAdopted, `reference-adopted-${MODEL}-v1`]]);
    expect(afterReference[0].detail).toMatchObject({ origin: 'set-reference', version: 'v1', modelId: MODEL });
    expect(afterCheck.map((e) => e['detail-type'])).toEqual([DETAIL_TYPE.ProposalOpened]);
    expect(afterCheck[0].detail).toMatchObject({ modelId: MODEL, driftedFeatures: expect.arrayContaining([expect.objectContaining({ name: 'amount' })]) });
  });

  it('puts DecisionTaken and the one RetrainRequested after an approval; the README rule matches only the retrain', async () => {
    // Prepare: the gate sends the notice; its approve link is POSTed (twice: a replay publishes nothing).
    const store = new S3Store(world.s3, world.bucket);
    const proposalKeys = await store.list(`proposals/${MODEL}/`);
    await makeGateHandler({ gate: () => awsGate(wiring('gate')), telemetry, clock: () => clock })({
      Records: proposalKeys.map((key) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: world.bucket }, object: { key, size: 1 } } })),
    });
    const notices = await drain(world.sqs, world.noticesInboxUrl);
    const message = (JSON.parse(String(notices[0]?.Body)) as { Message: string }).Message;
    const token = [...message.matchAll(/\/decide\?token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === 'approve');
    clock = at(26);
    const post = (): Promise<number> =>
      fetch(`${server.url}/decide`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: String(token), action: 'approve' }).toString(),
      }).then(async (r) => (await r.text(), r.status));

    // Act
    const statuses = [await post(), await post()];
    const events = await delivered();
    const pipeline = (await drain(world.sqs, pipelineUrl)).map((m) => JSON.parse(String(m.Body)) as BusEvent);
    const topic = await drain(world.sqs, world.retrainInboxUrl);

    // Assess
    expect(statuses).toEqual([200, 409]);
    expect(events.map((e) => e['detail-type']).sort()).toEqual([DETAIL_TYPE.DecisionTaken, DETAIL_TYPE.RetrainRequested].sort());
    const decision = events.find((e) => e.detail.type === 'DecisionTaken')!;
    const retrain = events.find((e) => e.detail.type === 'RetrainRequested')!;
    const proposalId = String(retrain.detail.proposalId);
    expect(decision.detail).toMatchObject({ decision: 'approve', proposalId, eventId: `decision-${proposalId}-approve-${at(26).toISOString()}` });
    expect(retrain.detail).toMatchObject({ modelId: MODEL, reason: 'approved', eventId: `retrain-${proposalId}` });
    // The same event on the bus and on the retrain topic (one eventId to deduplicate on).
    expect(topic).toHaveLength(1);
    expect(JSON.parse((JSON.parse(String(topic[0].Body)) as { Message: string }).Message)).toEqual(retrain.detail);
    expect(pipeline.map((e) => e.id)).toEqual([retrain.id]);
  });

  it('puts ReferenceAdopted (origin adopt, naming the proposal) when the retrained model is reported', async () => {
    // Prepare
    clock = at(30);
    const proposalId = String(seen.find((e) => e.detail.type === 'RetrainRequested')?.detail.proposalId);
    await put(`training/${MODEL}/v2.parquet`, readFileSync(join(dataDir, 'drift-1.parquet')));

    // Act
    await awsAdopt(wiring('adopt')).port.adopt(MODEL, { version: 'v2', trainingData: [`training/${MODEL}/v2.parquet`] }, clock);
    const events = await delivered();

    // Assess
    expect(events.map((e) => e.detail)).toEqual([expect.objectContaining({ type: 'ReferenceAdopted', origin: 'adopt', version: 'v2', proposalId, eventId: `reference-adopted-${MODEL}-v2` })]);
  });

  it('puts DataQualityIncidentOpened when a column goes missing and DataQualityIncidentClosed when it is back', async () => {
    // Prepare
    clock = at(31);
    const store = new S3Store(world.s3, world.bucket);
    await uploadModelConfig(store, { schemaVersion: 1, modelId: QUALITY_MODEL, batchPrefix: `${settings.batchPrefix}${QUALITY_MODEL}/`, cadence: { minCheckInterval: '6h', maxCheckInterval: '1d' } }, 'quality config');
    await put(`training/${QUALITY_MODEL}/v1.arrow`, qualityBatch(1, false));
    await awsAdopt(wiring('adopt')).port.setReference(QUALITY_MODEL, [`training/${QUALITY_MODEL}/v1.arrow`], clock, 'v1');
    await delivered();

    // Act
    await put(`batches/${QUALITY_MODEL}/dropped.arrow`, qualityBatch(2, true));
    await ingestAll();
    await check(60);
    const opened = (await delivered()).filter((e) => e.detail.modelId === QUALITY_MODEL);
    await put(`batches/${QUALITY_MODEL}/clean.arrow`, qualityBatch(3, false));
    await ingestAll();
    await check(90);
    const closed = (await delivered()).filter((e) => e.detail.modelId === QUALITY_MODEL);

    // Assess
    expect(opened.map((e) => e['detail-type'])).toEqual([DETAIL_TYPE.DataQualityIncidentOpened]);
    expect(opened[0].detail).toMatchObject({ kinds: expect.arrayContaining(['missing-column']) });
    expect(closed.map((e) => e['detail-type'])).toEqual([DETAIL_TYPE.DataQualityIncidentClosed]);
    expect(closed[0].detail.incidentId).toBe(opened[0].detail.incidentId);
  });

  it('delivered every lifecycle event type, each valid against its zod schema and its committed (generated) JSON Schema', () => {
    // Prepare
    const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
    (addFormats as unknown as typeof addFormats.default)(ajv);
    const types = Object.keys(LIFECYCLE_SCHEMAS) as LifecycleEventType[];
    const validators = new Map(types.map((t) => [t, ajv.compile(JSON.parse(readFileSync(join(root, lifecycleSchemaFile(t)), 'utf8')) as object)]));

    // Act
    const invalid = seen.filter((e) => !LIFECYCLE_SCHEMAS[e.detail.type].safeParse(e.detail).success || !validators.get(e.detail.type)!(e.detail));

    // Assess
    expect(new Set(seen.map((e) => e.detail.type))).toEqual(new Set(types));
    for (const e of seen) expect(e['detail-type']).toBe(DETAIL_TYPE[e.detail.type]);
    expect(invalid).toEqual([]);
    for (const t of types) expect(readFileSync(join(root, lifecycleSchemaFile(t)), 'utf8')).toBe(schemaFileText(t));
    // One id per lifecycle fact: nothing was delivered twice.
    expect(new Set(seen.map((e) => e.detail.eventId)).size).toBe(seen.length);
  });

  it('had each function put only the detail-types its IAM grant allows (lib/events.ts EMITTED_EVENTS)', () => {
    // Act
    const putBy = Object.fromEntries([...putTypes].map(([role, types]) => [role, [...types].sort()]));
    const granted = Object.fromEntries(Object.entries(EMITTED_EVENTS).map(([role, types]) => [role, types.map((t) => DETAIL_TYPE[t]).sort()]));

    // Assess: nothing outside a grant (the ingest function never puts). The gate puts only on a veto
    // window, an expiry or a lapsed publish, none of which happens in this flow.
    expect(Object.keys(putBy).sort()).toEqual(['adopt', 'check', 'decide']);
    for (const [role, types] of Object.entries(putBy)) expect(granted[role], role).toEqual(expect.arrayContaining(types));
    expect(putBy.decide).toEqual([DETAIL_TYPE.DecisionTaken, DETAIL_TYPE.RetrainRequested].sort());
  });
});
