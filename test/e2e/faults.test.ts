/**
 * The end-to-end flows under injected faults: the handlers' S3, SNS and Secrets Manager clients (the
 * production ones, createAwsClients) talk to moto through a fault-injecting proxy (test/support/fault-proxy.ts);
 * the harness's setup and assert clients, and the SQS event source mapping stand-in, talk to moto directly.
 * A seed fixes every fault (DRIFTGATE_FAULT_SEED overrides it to explore others).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAwsClients, type AwsClients } from '../../functions/adapters/aws-clients.js';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { clearSecretCache } from '../../functions/adapters/secret.js';
import { peekToken } from '../../functions/core/lifecycle/token.js';
import type { ModelState, Proposal } from '../../functions/core/lifecycle/types.js';
import { parseSignature } from '../../functions/core/signature/index.js';
import { makeCheckHandler } from '../../functions/handlers/check.js';
import { makeDecideHandler } from '../../functions/handlers/decide.js';
import { makeGateHandler } from '../../functions/handlers/gate.js';
import { makeIngestHandler } from '../../functions/handlers/ingest.js';
import { awsAdopt, awsCheck, awsDecide, awsGate, awsIngest, readFunctionEnv, type FunctionRole } from '../../functions/handlers/runtime.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { createTelemetry } from '../../functions/service/logger.js';
import { synthDriftgate } from '../lib/synth.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { startMoto, venvPython, type MotoServer } from '../support/moto.js';
import {
  drain,
  functionEnvOf,
  pollOnce,
  provisionMoto,
  queueDepth,
  settingsFromTemplate,
  startFunctionUrlServer,
  type FunctionUrlServer,
  type MotoWorld,
  type StackSettings,
} from './harness.js';

const SEED = Number(process.env.DRIFTGATE_FAULT_SEED ?? 20260302);
/** Share of the handlers' requests that fail (5xx or a connection reset). */
const FAILURE_RATE = 0.1;
/** Share of the others that are delayed (20-150 ms). */
const LATENCY_RATE = 0.05;
const MODELS = ['churn-a', 'churn-b', 'churn-c', 'churn-d'] as const;
/** Each model gets these three drifted batches: 12 good uploads. */
const BATCH_FILES = ['drift-1.parquet', 'drift-2.parquet', 'drift-1.parquet'] as const;
const CORRUPT_KEY = `batches/${MODELS[0]}/broken.parquet`;
/** Lambda's asynchronous invocations (schedules, S3 notifications): the first try and two retries. */
const ASYNC_ATTEMPTS = 3;
/** How often a person clicks again after an error page. */
const CLICKS = 5;
const HOUR = 3600_000;
const MINUTE = 60_000;
const T0 = new Date('2026-03-02T08:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

/** The body of an SNS message delivered to an SQS subscriber. */
interface SnsEnvelope {
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}
const envelope = (m: Message): SnsEnvelope => JSON.parse(String(m.Body)) as SnsEnvelope;
const attribute = (m: Message, name: string): string | undefined => envelope(m).MessageAttributes?.[name]?.Value;

/** The object keys an S3 notification (an upload queue message) names. */
const keysIn = (m: Message): string[] => {
  const body = JSON.parse(String(m.Body)) as { Records?: { s3: { object: { key: string } } }[] };
  return (body.Records ?? []).map((r) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')));
};

/** The S3 notification S3 sends the gate function when proposals are written. */
const s3Notification = (bucket: string, keys: readonly string[]): unknown => ({
  Records: keys.map((key) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    eventTime: new Date().toISOString(),
    s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 1 } },
  })),
});

/** One asynchronous invocation of a handler, retried as Lambda does; dead-lettered with its last error when every try failed. */
interface Invocation {
  readonly name: string;
  readonly attempts: number;
  readonly errors: readonly string[];
  readonly outcome: 'succeeded' | 'dead-lettered';
  /** What the invocation did, per model (a check's status, a gate's actions). */
  readonly result?: string;
}

/** One line per model of what a check or gate run did. */
function summaryOf(result: unknown): string {
  const models = (result as { outcome?: { models?: unknown[] }; models?: unknown[] } | undefined)?.outcome?.models ?? (result as { models?: unknown[] } | undefined)?.models ?? [];
  return (models as { modelId: string; check?: { status: string; proposal?: { proposalId: string } | null }; proposals: { action: string }[] }[])
    .map((m) => `${m.modelId}: ${[m.check ? `${m.check.status}${m.check.proposal ? ' +proposal' : ''}` : '', ...m.proposals.map((p) => p.action)].filter((x) => x !== '').join(',') || '-'}`)
    .join('; ');
}

describe('Function: driftgate end to end under injected faults (moto behind a fault proxy)', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let world: MotoWorld;
  let settings: StackSettings;
  let server: FunctionUrlServer;
  let dataDir: string;
  let clock: Date;
  let envRecord: Record<string, string>;
  /** The handlers' clients: production construction, pointed at the proxy. */
  let faulty: AwsClients;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // The production clients resolve credentials the SDK's way; moto accepts any.
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const telemetry = createTelemetry('driftgate-faults', { logLevel: 'SILENT' });

  const wiring = (role: FunctionRole) => ({ env: readFunctionEnv(role, envRecord), clients: faulty, clock: () => clock });

  beforeAll(async () => {
    // Prepare: moto and pyarrow start while the stack is synthesized; then the proxy and the resources.
    const motoStarting = startMoto();
    dataDir = mkdtempSync(join(tmpdir(), 'driftgate-faults-'));
    const script = fileURLToPath(new URL('./make-batches.py', import.meta.url));
    const making = promisify(execFile)(venvPython, [script, dataDir], { encoding: 'utf8' });
    settings = settingsFromTemplate(synthDriftgate().template.toJSON() as Record<string, unknown>);
    await making;
    moto = await motoStarting;
    proxy = await startFaultProxy({ target: moto.endpoint, seed: SEED, failureRate: FAILURE_RATE, latencyRate: LATENCY_RATE, latencyMs: [20, 150] });
    proxy.setRandomFaults(false);
    faulty = createAwsClients({ endpoint: proxy.url, region: 'us-east-1' });
    world = await provisionMoto(moto.endpoint, settings, {
      visibilityTimeoutSeconds: 1,
      retrainFilterPolicy: { modelId: [...MODELS], reason: ['approved'] },
    });
    const decide = makeDecideHandler({
      // Each request reads the secret as a cold container would, so Secrets Manager faults reach it.
      decisions: async () => {
        clearSecretCache();
        return awsDecide(wiring('decide'));
      },
      telemetry,
      clock: () => clock,
    });
    server = await startFunctionUrlServer(decide);
    envRecord = functionEnvOf(world, server.url);
  });

  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await moto?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('injects faults the SDK retries, streams bodies and keeps client connections alive', async () => {
    // Prepare: one deterministic fault of each kind on its own request.
    const kinds = ['s3-internal-error', 's3-slow-down', 'reset-before', 'reset-after'] as const;
    for (const kind of kinds) proxy.addRule({ kind, match: (r) => r.service === 's3' && r.resource === `selftest/${kind}.bin` });
    proxy.addRule({ kind: 'sns-internal-error', match: (r) => r.operation === 'GetTopicAttributes' });
    proxy.addRule({ kind: 'secrets-internal-error', match: (r) => r.operation === 'GetSecretValue' });
    proxy.addRule({ kind: 'reset-after', match: (r) => r.operation === 'HeadObject' && r.resource === 'selftest/big.bin' });
    const big = Buffer.alloc(1024 * 1024, 7);
    big.write('the end', big.length - 7);

    // Act
    const puts = await Promise.all(
      kinds.map((kind) => faulty.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: `selftest/${kind}.bin`, Body: kind }))),
    );
    const topic = await faulty.sns.send(new GetTopicAttributesCommand({ TopicArn: world.noticesTopicArn }));
    const secret = await faulty.secrets.send(new GetSecretValueCommand({ SecretId: world.secretId }));
    await faulty.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: 'selftest/big.bin', Body: big }));
    const head = await faulty.s3.send(new HeadObjectCommand({ Bucket: world.bucket, Key: 'selftest/big.bin' }));
    const connectionsBefore = proxy.connections;
    const reads: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      const got = await faulty.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: 'selftest/big.bin' }));
      reads.push(Buffer.from(await got.Body!.transformToByteArray()));
    }
    const chunked = await chunkedPut(proxy.url, `/${world.bucket}/selftest/chunked.bin`, ['one,', 'two,', 'three']);
    const direct = await world.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: 'selftest/chunked.bin' }));

    // Assess: each fault cost one SDK retry; bodies arrive whole; five GETs reuse one connection.
    expect(puts.map((p) => p.$metadata.attempts)).toEqual([2, 2, 2, 2]);
    expect(topic.$metadata.attempts).toBe(2);
    expect(secret.$metadata.attempts).toBe(2);
    expect(head.$metadata.attempts).toBe(2);
    expect(head.ContentLength).toBe(big.length);
    expect(reads.every((r) => r.equals(big))).toBe(true);
    expect(proxy.connections - connectionsBefore).toBeLessThanOrEqual(1);
    expect(chunked).toBe(200);
    expect(await direct.Body!.transformToString()).toBe('one,two,three');
    expect(proxy.counts()).toMatchObject({ 's3-internal-error': 1, 's3-slow-down': 1, 'sns-internal-error': 1, 'secrets-internal-error': 1, 'reset-before': 1, 'reset-after': 2 });
    expect(proxy.upstreamErrors).toEqual([]);
  });

  it('under 10 % injected faults loses no signature, doubles no notice or event, and retries or dead-letters every failure', { timeout: 60_000 }, async () => {
    const started = Date.now();
    const before = proxy.injected.length;
    const directStore = new S3Store(world.s3, world.bucket);
    // Prepare (direct to moto): four models with a reference each, then 12 drifted batches and one corrupt file.
    clock = T0;
    for (const modelId of MODELS) {
      await uploadModelConfig(directStore, { schemaVersion: 1, modelId, batchPrefix: `${settings.batchPrefix}${modelId}/`, cadence: { minCheckInterval: '1h', maxCheckInterval: '1d' } }, 'faults config');
      await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: `reference-data/${modelId}/train.parquet`, Body: readFileSync(join(dataDir, 'reference.parquet')) }));
      await awsAdopt({ env: readFunctionEnv('adopt', envRecord), clients: { s3: world.s3 } }).port.setReference(modelId, [`reference-data/${modelId}/train.parquet`], T0, 'v1');
    }
    const goodKeys = MODELS.flatMap((modelId) => BATCH_FILES.map((file, i) => ({ modelId, key: `batches/${modelId}/2026-03-0${i + 2}.parquet`, file })));
    for (const { key, file } of goodKeys) {
      await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: readFileSync(join(dataDir, file)) }));
    }
    await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: CORRUPT_KEY, Body: readFileSync(join(dataDir, 'corrupt.parquet')) }));
    const errors = vi.spyOn(telemetry.logger, 'error');
    // The handlers send few SNS and Secrets Manager requests (a few dozen), so the 10 % draw may miss them:
    // one pinned fault of each such kind, on top of the draw, including the two ambiguous publishes.
    const publishTo = (topicArn: string, modelId: string) => (r: ProxiedRequest) =>
      r.operation === 'Publish' && r.resource === topicArn && r.attributes.modelId === modelId;
    proxy.addRule({ kind: 'sns-internal-error', match: publishTo(world.noticesTopicArn, MODELS[0]) });
    proxy.addRule({ kind: 'reset-after', match: publishTo(world.noticesTopicArn, MODELS[1]) });
    proxy.addRule({ kind: 'reset-before', match: publishTo(world.retrainTopicArn, MODELS[2]) });
    proxy.addRule({ kind: 'reset-after', match: publishTo(world.retrainTopicArn, MODELS[3]) });
    proxy.addRule({ kind: 'sns-internal-error', match: (r) => r.operation === 'ListSubscriptionsByTopic' });
    proxy.addRule({ kind: 'secrets-internal-error', times: 2, match: (r) => r.operation === 'GetSecretValue' });
    proxy.setRandomFaults(true);
    const invocations: Invocation[] = [];

    /** Invoke asynchronously: a try that throws is retried, up to Lambda's attempts; then the event is dead-lettered. */
    const invoke = async (name: string, run: () => Promise<unknown>): Promise<void> => {
      const failures: string[] = [];
      for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
        try {
          const result = await run();
          invocations.push({ name, attempts: attempt, errors: failures, outcome: 'succeeded', result: summaryOf(result) });
          return;
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
      invocations.push({ name, attempts: ASYNC_ATTEMPTS, errors: failures, outcome: 'dead-lettered' });
    };

    // Act 1: the event source mapping polls the upload queue until it is empty (failed records come back
    // after the 1 s visibility timeout; after maxReceiveCount receives SQS moves them to the DLQ).
    clock = at(HOUR);
    const ingestHandler = makeIngestHandler({ ingest: async () => awsIngest(wiring('ingest')), bucket: world.bucket, telemetry, clock: () => clock });
    let ingestThrows = 0;
    // An invocation that throws fails its whole batch: Lambda deletes nothing and every record comes back.
    const ingest = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      try {
        return await ingestHandler(event);
      } catch {
        ingestThrows += 1;
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      }
    };
    const deliveries: { keys: string[]; failed: boolean }[] = [];
    const ingestDeadline = Date.now() + 30_000;
    for (let i = 0; i < 40 && Date.now() < ingestDeadline && (await queueDepth(world, world.uploadQueueUrl)) > 0; i++) {
      const { received, response } = await pollOnce(world, ingest);
      const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      for (const m of received) deliveries.push({ keys: keysIn(m), failed: failed.has(String(m.MessageId)) });
    }
    const uploadQueueLeft = await queueDepth(world, world.uploadQueueUrl);
    const dead = await drain(world.sqs, world.uploadDlqUrl);
    const phases: Record<string, number> = { ingest: Date.now() - started };

    // Act 2: the schedule runs the check at hour 25 (and once more); S3 invokes the gate for each proposal
    // written; the gate's own schedule runs twice more, each past the claim lease (300 s) of the run before.
    clock = at(25 * HOUR);
    const check = makeCheckHandler({ checks: awsCheck(wiring('check')), telemetry, clock: () => clock });
    const gate = makeGateHandler({
      gate: async () => {
        clearSecretCache();
        return awsGate(wiring('gate'));
      },
      telemetry,
      clock: () => clock,
    });
    await invoke('check 25h', () => check({ ...settings.scheduleInput, scheduledTime: clock.toISOString(), executionId: 'faults-1' }));
    const proposalKeys = (await Promise.all(MODELS.map((m) => directStore.list(`proposals/${m}/`)))).flat();
    await invoke('gate on proposal writes', () => gate(s3Notification(world.bucket, proposalKeys)));
    for (const minutes of [6, 12]) {
      clock = at(25 * HOUR + minutes * MINUTE);
      if (minutes === 6) await invoke(`check 25h+${minutes}m`, () => check({ ...settings.scheduleInput, scheduledTime: clock.toISOString() }));
      await invoke(`gate 25h+${minutes}m`, () => gate({ source: 'driftgate.gate', scheduledTime: clock.toISOString() }));
    }
    const notices = await drain(world.sqs, world.noticesInboxUrl);
    phases.checksAndGates = Date.now() - started - phases.ingest;

    // Act 3: a person approves each proposal from its notice (the first one), clicking again on an error page.
    clock = at(26 * HOUR);
    const clicks: { proposalId: string; statuses: number[] }[] = [];
    const seen = new Set<string>();
    for (const notice of notices) {
      const proposalId = String(attribute(notice, 'proposalId'));
      if (seen.has(proposalId)) continue;
      seen.add(proposalId);
      const token = [...envelope(notice).Message.matchAll(/\/decide\?token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === 'approve');
      const statuses: number[] = [];
      for (let click = 0; click < CLICKS && (statuses.length === 0 || statuses[statuses.length - 1] >= 500); click++) {
        const response = await fetch(`${server.url}/decide`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: String(token), action: 'approve' }).toString(),
        });
        await response.text();
        statuses.push(response.status);
      }
      clicks.push({ proposalId, statuses });
    }
    // ...and the gate's schedule completes any retrain publish whose claim lapsed.
    for (const minutes of [6, 12]) {
      clock = at(26 * HOUR + minutes * MINUTE);
      await invoke(`gate 26h+${minutes}m`, () => gate({ source: 'driftgate.gate', scheduledTime: clock.toISOString() }));
    }
    const retrains = await drain(world.sqs, world.retrainInboxUrl);
    phases.approvals = Date.now() - started - phases.ingest - phases.checksAndGates;
    proxy.setRandomFaults(false);

    // What happened, for the record.
    const injected = proxy.injected.slice(before);
    const signatures = (await Promise.all(MODELS.map(async (m) => Promise.all((await directStore.list(`signatures/${m}/`)).map(async (k) => ({ modelId: m, key: k, sources: parseSignature(Buffer.from((await directStore.get(k))!.body).toString('utf8'), k).sources })))))).flat();
    const proposals = (await Promise.all(readProposals(directStore))).flat();
    const states = await Promise.all(MODELS.map(async (m) => JSON.parse(Buffer.from((await directStore.get(`state/${m}.json`))!.body).toString('utf8')) as ModelState));
    const decisionLogs = await Promise.all(MODELS.map(async (m) => Buffer.from((await directStore.get(`decisions/${m}.jsonl`))?.body ?? new Uint8Array()).toString('utf8').split('\n').filter((l) => l !== '')));
    const doubledLogLines = decisionLogs.flatMap((lines) => lines.filter((line, i) => lines.indexOf(line) !== i));
    const noticesOf = (id: string) => notices.filter((n) => attribute(n, 'proposalId') === id);
    const retrainEvents = retrains.map((m) => JSON.parse(envelope(m).Message) as { eventId: string; proposalId: string; modelId: string });
    const eventIds = new Set(retrainEvents.map((e) => e.eventId));
    const approved = proposals.filter((p) => p.status === 'approved');
    /** Publishes moto accepted whose answer the client never saw (then retried by the SDK: a second copy). */
    const ambiguousPublishes = injected.filter((f) => f.kind === 'reset-after' && f.operation === 'Publish' && f.upstreamStatus === 200);
    const ingestErrorsByKey = new Map<string, string[]>();
    for (const call of errors.mock.calls) {
      const detail = call[1] as { key?: string; errorName?: string } | undefined;
      if (detail?.key !== undefined) ingestErrorsByKey.set(detail.key, [...(ingestErrorsByKey.get(detail.key) ?? []), `${detail.errorName}: ${String(call[0])}`]);
    }
    errors.mockRestore();
    const requests = [...proxy.requests.values()].reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify(
        {
          seed: SEED,
          seconds: Math.round((Date.now() - started) / 1000),
          phaseSeconds: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v / 100) / 10])),
          proxiedRequests: requests,
          injected: countBy(injected, (f) => f.kind),
          injectedByOperation: countBy(injected.filter((f) => f.kind !== 'latency'), (f) => `${f.kind} ${f.service} ${f.operation}${f.condition ? ` (${f.condition})` : ''}`),
          ambiguousPublishes: ambiguousPublishes.map((f) => ({ topic: f.resource.split(':').pop(), ...f.attributes })),
          ambiguousWrites: injected.filter((f) => f.kind === 'reset-after' && f.operation === 'PutObject').map((f) => `${f.resource}${f.condition ? ` (${f.condition})` : ''}: moto answered ${f.upstreamStatus}`),
          ingest: {
            deliveries: deliveries.length,
            failedDeliveries: countBy(deliveries.filter((d) => d.failed), (d) => (d.keys.includes(CORRUPT_KEY) ? 'corrupt' : 'good')),
            invocationsThatThrew: ingestThrows,
            signatures: signatures.length,
            deadLettered: dead.flatMap(keysIn),
            uploadQueueLeft,
          },
          invocations: invocations.map((i) => `${i.name}: ${i.outcome} after ${i.attempts}${i.result ? ` [${i.result}]` : ''}${i.errors.length ? ` (${i.errors.map((e) => e.slice(0, 400)).join(' | ')})` : ''}`),
          proposals: proposals.map((p) => ({ modelId: p.modelId, proposalId: p.proposalId, status: p.status, notices: noticesOf(p.proposalId).length, retrainMessageId: p.retrainEvent?.messageId ?? null })),
          states: states.map((s) => ({ modelId: s.modelId, activeProposalId: s.activeProposalId, consumed: s.consumed.length })),
          clicks: clicks.map((c) => `${c.proposalId}: ${c.statuses.join(' -> ')}`),
          notices: notices.length,
          decisionLog: { actions: decisionLogs.map((lines) => lines.map((l) => (JSON.parse(l) as { action: string }).action).join(',')), doubled: doubledLogLines.map((l) => { const e = JSON.parse(l) as { modelId: string; action: string }; return `${e.modelId} ${e.action}`; }) },
          retrainRequested: { raw: retrains.length, distinctEventIds: eventIds.size, approvals: approved.length },
          upstreamErrors: proxy.upstreamErrors,
        },
        null,
        2,
      ),
    );

    // Assess (soft: every broken promise is reported, not only the first): faults were injected at all.
    expect(injected.filter((f) => f.kind !== 'latency').length).toBeGreaterThan(20);
    expect(proxy.upstreamErrors).toEqual([]);

    // Assess: no signature lost, none doubled: every good upload is the source of exactly one signature.
    expect.soft(uploadQueueLeft).toBe(0);
    const sourcesOf = (key: string) => signatures.filter((s) => s.sources.includes(`s3://${world.bucket}/${key}`));
    expect.soft(goodKeys.filter(({ key }) => sourcesOf(key).length !== 1).map(({ key }) => `${key}: ${sourcesOf(key).length} signatures`)).toEqual([]);
    expect.soft(signatures).toHaveLength(goodKeys.length);
    // The corrupt file is in the DLQ (and only it), failed for its content, not for a fault.
    expect.soft(dead.flatMap(keysIn)).toEqual([CORRUPT_KEY]);
    expect.soft(ingestErrorsByKey.get(CORRUPT_KEY)?.some((e) => e.startsWith('InvalidInputError'))).toBe(true);
    // Every upload that failed was retried to a signature or dead-lettered, with its reason logged.
    const failedKeys = new Set(deliveries.filter((d) => d.failed).flatMap((d) => d.keys));
    expect.soft([...failedKeys].filter((key) => sourcesOf(key).length !== 1 && !dead.some((m) => keysIn(m).includes(key)))).toEqual([]);
    expect.soft([...failedKeys].filter((key) => (ingestErrorsByKey.get(key)?.length ?? 0) === 0)).toEqual([]);

    // Assess: every scheduled or S3-triggered invocation succeeded, at the latest on Lambda's last retry
    // (a dead-lettered one would carry its errors; none is expected at this rate).
    expect.soft(invocations.filter((i) => i.outcome !== 'succeeded').map((i) => `${i.name}: ${i.errors.join(' | ')}`)).toEqual([]);

    // Assess: one proposal per model (each model's three drifted batches), the one its state names.
    expect.soft(MODELS.map((m) => `${m}: ${proposals.filter((p) => p.modelId === m).length} proposals`)).toEqual(MODELS.map((m) => `${m}: 1 proposals`));
    expect.soft(states.map((s) => s.activeProposalId)).toEqual(MODELS.map((m) => proposals.find((p) => p.modelId === m)?.proposalId ?? 'a proposal'));

    // Assess: one notice per proposal. The only extra copy allowed is SNS's own: a Publish that moto accepted
    // but whose answer was lost (reset-after), which the SDK retried; that copy is the same request, so
    // its text (and its links) is identical and it names the same proposal.
    const copiesExplained = (id: string) => 1 + ambiguousPublishes.filter((f) => f.attributes.proposalId === id).length;
    expect.soft(proposals.map((p) => `${p.proposalId}: ${noticesOf(p.proposalId).length} notices`)).toEqual(proposals.map((p) => `${p.proposalId}: ${copiesExplained(p.proposalId)} notices`));
    expect.soft(proposals.filter((p) => new Set(noticesOf(p.proposalId).map((n) => envelope(n).Message)).size > 1).map((p) => p.proposalId)).toEqual([]);
    expect.soft(notices.filter((n) => !proposals.some((p) => p.proposalId === attribute(n, 'proposalId'))).length).toBe(0);

    // Assess: no decision-log line written twice (an append whose answer was lost must not append again).
    expect.soft(doubledLogLines).toEqual([]);

    // Assess: each approval is in its model's decision log once, with the person's request (the audit trail).
    const logged = (p: Proposal, action: string) => decisionLogs.flat().filter((l) => { const e = JSON.parse(l) as { proposalId?: string; action: string }; return e.proposalId === p.proposalId && e.action === action; }).length;
    expect.soft(proposals.map((p) => `${p.proposalId}: approve logged ${logged(p, 'approve')}x`)).toEqual(proposals.map((p) => `${p.proposalId}: approve logged 1x`));

    // Assess: every proposal approved (each person's last click 200, or 409 when an earlier write landed
    // unseen), exactly one RetrainRequested per approval by eventId (copies share it), each recorded as published.
    expect.soft(clicks.filter((c) => ![200, 409].includes(c.statuses[c.statuses.length - 1])).map((c) => `${c.proposalId}: ${c.statuses.join(' -> ')}`)).toEqual([]);
    expect.soft(approved.map((p) => p.proposalId)).toEqual(proposals.map((p) => p.proposalId));
    expect.soft(eventIds.size).toBe(approved.length);
    expect.soft([...eventIds].sort()).toEqual(approved.map((p) => `retrain-${p.proposalId}`).sort());
    expect.soft(retrains.length).toBeGreaterThanOrEqual(eventIds.size);
    expect.soft(retrains.filter((m) => attribute(m, 'eventId') !== (JSON.parse(envelope(m).Message) as { eventId: string }).eventId)).toEqual([]);
    expect.soft(approved.filter((p) => p.retrainEvent?.messageId === null || p.retrainEvent?.messageId === undefined).map((p) => p.proposalId)).toEqual([]);
  });

  describe('targeted: one deterministic fault where a write is ambiguous or fails after a commit', () => {
    beforeAll(() => {
      proxy.setRandomFaults(false);
    });

    /** A model with a reference and one drifted batch signed, set up directly (no faults). */
    const prepareModel = async (modelId: string, batchPrefix = `${settings.batchPrefix}${modelId}/`): Promise<S3Store> => {
      const store = new S3Store(world.s3, world.bucket);
      clock = T0;
      await uploadModelConfig(store, { schemaVersion: 1, modelId, batchPrefix, cadence: { minCheckInterval: '1h', maxCheckInterval: '1d' } }, 'targeted config');
      await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: `reference-data/${modelId}/train.parquet`, Body: readFileSync(join(dataDir, 'reference.parquet')) }));
      await awsAdopt({ env: readFunctionEnv('adopt', envRecord), clients: { s3: world.s3 } }).port.setReference(modelId, [`reference-data/${modelId}/train.parquet`], T0, 'v1');
      return store;
    };
    const signDirectly = async (key: string): Promise<void> => {
      await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: readFileSync(join(dataDir, 'drift-1.parquet')) }));
      await awsIngest({ env: readFunctionEnv('ingest', envRecord), clients: { s3: world.s3, sns: world.sns, secrets: world.secrets } }).ingest(key, at(HOUR));
    };
    /** A manual check of one model on the faulty clients, retried as Lambda retries an asynchronous invocation. */
    const checkWithRetries = async (modelId: string): Promise<{ outcomes: string[]; errors: string[] }> => {
      clock = at(25 * HOUR);
      const check = makeCheckHandler({ checks: awsCheck(wiring('check')), telemetry, clock: () => clock });
      const outcomes: string[] = [];
      const errors: string[] = [];
      for (let attempt = 0; attempt < ASYNC_ATTEMPTS; attempt++) {
        try {
          const run = await check({ modelId });
          outcomes.push(run.kind === 'single' ? run.outcome.status : run.kind);
          break;
        } catch (error) {
          errors.push(error instanceof Error ? error.message : String(error));
        }
      }
      return { outcomes, errors };
    };
    const proposalsOf = async (store: S3Store, modelId: string) => store.list(`proposals/${modelId}/`);
    const stateOf = async (store: S3Store, modelId: string) => JSON.parse(Buffer.from((await store.get(`state/${modelId}.json`))!.body).toString('utf8')) as ModelState;

    it('a check whose state commit landed but whose answer was lost still opens the proposal', async () => {
      // Prepare: the check's conditional state write reaches moto, the client sees a reset (the SDK retries it: 412).
      const modelId = 'ambiguous-commit';
      const store = await prepareModel(modelId);
      await signDirectly(`batches/${modelId}/2026-03-02.parquet`);
      proxy.addRule({ kind: 'reset-after', match: (r) => r.operation === 'PutObject' && r.resource === `state/${modelId}.json` && r.condition === 'if-match' });

      // Act
      const { outcomes } = await checkWithRetries(modelId);

      // Assess: the drifted batch was judged once, and that judgement opened its proposal.
      const state = await stateOf(store, modelId);
      const proposals = await proposalsOf(store, modelId);
      expect.soft(outcomes).toEqual(['checked']);
      expect.soft(proposals).toHaveLength(1);
      expect.soft(state.activeProposalId === null ? [] : [`proposals/${modelId}/${state.activeProposalId}.json`]).toEqual(proposals);
      expect.soft(await store.list(`reports/${modelId}/`)).toHaveLength(2);
    });

    it('a check whose report write fails after the state commit is retried to its proposal', async () => {
      // Prepare: every SDK attempt of the first report write fails, so the invocation throws. (The report is
      // staged before the state commit, so the first try commits nothing and the retry checks the same batch.)
      const modelId = 'failed-after-commit';
      const store = await prepareModel(modelId);
      await signDirectly(`batches/${modelId}/2026-03-02.parquet`);
      proxy.addRule({ kind: 's3-internal-error', times: 3, match: (r) => r.operation === 'PutObject' && r.resource.startsWith(`reports/${modelId}/`) });

      // Act: Lambda retries the failed invocation.
      const { outcomes, errors } = await checkWithRetries(modelId);

      // Assess: the retry finishes what the first try committed to.
      const state = await stateOf(store, modelId);
      const proposals = await proposalsOf(store, modelId);
      expect.soft(errors).toHaveLength(1);
      expect.soft(outcomes).toEqual(['checked']);
      expect.soft(proposals).toHaveLength(1);
      expect.soft(state.activeProposalId === null ? [] : [`proposals/${modelId}/${state.activeProposalId}.json`]).toEqual(proposals);
      expect.soft(await store.list(`reports/${modelId}/`)).toHaveLength(2);
    });

    it('a check whose proposal write fails after the state commit is retried to its proposal, logged once', async () => {
      // Prepare: the state commit lands, then every SDK attempt of the proposal's creation fails.
      const modelId = 'proposal-after-commit';
      const store = await prepareModel(modelId);
      await signDirectly(`batches/${modelId}/2026-03-02.parquet`);
      proxy.addRule({ kind: 's3-internal-error', times: 3, match: (r) => r.operation === 'PutObject' && r.resource.startsWith(`proposals/${modelId}/`) });

      // Act: Lambda retries the failed invocation.
      const { outcomes, errors } = await checkWithRetries(modelId);

      // Assess: the retry made the committed check's proposal (its batch was judged once: no new check),
      // every decision-log line of that check is there once, and nothing is left unfinished.
      const state = await stateOf(store, modelId);
      const proposals = await proposalsOf(store, modelId);
      const log = Buffer.from((await store.get(`decisions/${modelId}.jsonl`))!.body).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { action: string; entryId: string });
      expect.soft(errors).toHaveLength(1);
      expect.soft(outcomes).toEqual(['no-data']);
      expect.soft(proposals).toHaveLength(1);
      expect.soft(state.activeProposalId === null ? [] : [`proposals/${modelId}/${state.activeProposalId}.json`]).toEqual(proposals);
      expect.soft(state.pendingCheck).toBeUndefined();
      expect.soft(state.history).toHaveLength(1);
      expect.soft(log.filter((l) => l.action === 'propose')).toHaveLength(1);
      expect.soft(log.filter((l) => l.action === 'check' && l.entryId.startsWith(state.history[0].checkId))).toHaveLength(1);
      expect.soft(await store.list(`reports/${modelId}/`)).toHaveLength(2);
    });

    it('a decision-log append whose answer was lost is written once', async () => {
      // Prepare: the check's log append (a conditional write of decisions/<model>.jsonl) lands unseen.
      const modelId = 'ambiguous-log';
      const store = await prepareModel(modelId);
      await signDirectly(`batches/${modelId}/2026-03-02.parquet`);
      proxy.addRule({ kind: 'reset-after', match: (r) => r.operation === 'PutObject' && r.resource === `decisions/${modelId}.jsonl` });

      // Act
      await checkWithRetries(modelId);

      // Assess
      const lines = Buffer.from((await store.get(`decisions/${modelId}.jsonl`))!.body).toString('utf8').split('\n').filter((l) => l !== '');
      expect(lines.filter((line, i) => lines.indexOf(line) !== i)).toEqual([]);
    });

    it('an upload whose model config cannot be read for a while is retried, not acknowledged as nobody\'s', async () => {
      // Prepare: a model whose batchPrefix is not batches/<modelId>/, and an S3 outage on its config long
      // enough for both reads of one ingest (each with the SDK's three attempts).
      const modelId = 'fraud-v7';
      const store = await prepareModel(modelId, `${settings.batchPrefix}fraud/`);
      const key = `batches/fraud/2026-03-02.parquet`;
      // The earlier tests' uploads were signed directly; their notifications are not this test's.
      await drain(world.sqs, world.uploadQueueUrl);
      proxy.addRule({ kind: 's3-internal-error', times: 6, match: (r) => r.operation === 'GetObject' && r.resource === `config/${modelId}.json` });
      await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: readFileSync(join(dataDir, 'drift-1.parquet')) }));
      clock = at(HOUR);
      const handler = makeIngestHandler({ ingest: async () => awsIngest(wiring('ingest')), bucket: world.bucket, telemetry, clock: () => clock });

      // Act: the event source mapping polls until the queue is empty.
      const outcomes: string[] = [];
      const deadline = Date.now() + 10_000;
      for (let i = 0; i < 10 && Date.now() < deadline && (await queueDepth(world, world.uploadQueueUrl)) > 0; i++) {
        const { received, response } = await pollOnce(world, handler);
        if (received.length > 0) outcomes.push(response?.batchItemFailures.length ? 'failed (redelivered)' : 'acknowledged');
      }

      // Assess: the upload was signed once (after a redelivery), never dropped.
      const signatures = await store.list(`signatures/${modelId}/`);
      expect.soft(outcomes[0]).toBe('failed (redelivered)');
      expect.soft(signatures).toHaveLength(1);
      expect.soft(await drain(world.sqs, world.uploadDlqUrl)).toEqual([]);
    });
  });
});

/** Every proposal of every model, read directly from moto. */
function readProposals(store: S3Store): Promise<Proposal[]>[] {
  return MODELS.map(async (m) =>
    Promise.all((await store.list(`proposals/${m}/`)).map(async (k) => JSON.parse(Buffer.from((await store.get(k))!.body).toString('utf8')) as Proposal)),
  );
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** PUT a body in chunks (Transfer-Encoding: chunked) through the proxy, unsigned (moto accepts it). */
async function chunkedPut(base: string, path: string, chunks: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
