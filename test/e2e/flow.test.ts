import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { peekToken } from '../../functions/core/lifecycle/token.js';
import { makeCheckHandler } from '../../functions/handlers/check.js';
import { makeGateHandler } from '../../functions/handlers/gate.js';
import { makeDecideHandler } from '../../functions/handlers/decide.js';
import { makeIngestHandler } from '../../functions/handlers/ingest.js';
import { awsAdopt, awsCheck, awsDecide, awsGate, awsIngest, awsReportReader, readFunctionEnv, type FunctionRole } from '../../functions/handlers/runtime.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { createTelemetry } from '../../functions/service/logger.js';
import { RETRAIN_FILTER_POLICY_EXAMPLE } from '../../lib/driftgate.js';
import { synthDriftgate } from '../lib/synth.js';
import { startMoto, venvPython, type MotoServer } from '../support/moto.js';
import {
  drain,
  functionEnvOf,
  pollOnce,
  queueDepth,
  provisionMoto,
  settingsFromTemplate,
  sqsEventOf,
  startFunctionUrlServer,
  type FunctionUrlServer,
  type MotoWorld,
  type StackSettings,
} from './harness.js';

const MODEL = 'churn-v3';
/** A second model for the race test (the retraining system's filter policy admits both). */
const RACING_MODEL = 'fraud-race';
const HOUR = 3600_000;
const T0 = new Date('2026-03-02T08:00:00.000Z');
const at = (hours: number): Date => new Date(T0.getTime() + hours * HOUR);

/** The body of an SNS message delivered to an SQS subscriber (the SNS envelope). */
interface SnsEnvelope {
  readonly Message: string;
  readonly Subject?: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}
const envelope = (m: Message): SnsEnvelope => JSON.parse(String(m.Body)) as SnsEnvelope;

/** The S3 notification S3 sends the gate function when proposals are written (the shape S3 delivers). */
const s3Notification = (keys: readonly string[]): unknown => ({
  Records: keys.map((key) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    eventName: 'ObjectCreated:Put',
    eventTime: new Date().toISOString(),
    s3: { bucket: { name: 'driftgate-data' }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 1 } },
  })),
});

/** The object keys an S3 notification names (S3 URL-encodes them; moto also encodes '/'). */
const keysIn = (m: Message): string[] => {
  const body = JSON.parse(String(m.Body)) as { Records?: { s3: { object: { key: string } } }[] };
  return (body.Records ?? []).map((r) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')));
};

describe('Function: driftgate end to end on moto server', () => {
  let moto: MotoServer;
  let world: MotoWorld;
  let settings: StackSettings;
  let server: FunctionUrlServer;
  let dataDir: string;
  let clock: Date;
  let envRecord: Record<string, string>;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const telemetry = createTelemetry('driftgate-e2e', { logLevel: 'ERROR' });

  const wiring = (role: FunctionRole) => ({
    env: readFunctionEnv(role, envRecord),
    clients: { s3: world.s3, sns: world.sns, secrets: world.secrets },
    clock: () => clock,
  });
  const ingest = () =>
    makeIngestHandler({ ingest: async () => awsIngest(wiring('ingest')), bucket: world.bucket, telemetry, clock: () => clock });

  beforeAll(async () => {
    // Prepare: the stack's settings, moto, the Parquet files (pyarrow), the local function URL.
    // moto boots in its own process while this one synthesizes the stack.
    // So does pyarrow, writing the batches.
    const motoStarting = startMoto();
    dataDir = mkdtempSync(join(tmpdir(), 'driftgate-e2e-'));
    const script = fileURLToPath(new URL('./make-batches.py', import.meta.url));
    const making = promisify(execFile)(venvPython, [script, dataDir], { encoding: 'utf8' });
    settings = settingsFromTemplate(synthDriftgate().template.toJSON() as Record<string, unknown>);
    await making;
    moto = await motoStarting;
    world = await provisionMoto(moto.endpoint, settings, {
      visibilityTimeoutSeconds: 1,
      retrainFilterPolicy: { modelId: [MODEL, RACING_MODEL], reason: [RETRAIN_FILTER_POLICY_EXAMPLE.reason[0]] },
    });
    const decide = makeDecideHandler({
      decisions: () => awsDecide(wiring('decide')),
      reports: (query, now) =>
        awsReportReader({ env: readFunctionEnv('decide', envRecord), clients: { s3: world.s3, sns: world.sns, secrets: world.secrets } })(query, now),
      telemetry,
      clock: () => clock,
    });
    server = await startFunctionUrlServer(decide);
    envRecord = functionEnvOf(world, server.url);
  });

  afterAll(async () => {
    await server?.close();
    await moto?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = async (key: string, file: string): Promise<void> => {
    await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: readFileSync(join(dataDir, file)) }));
  };

  it('reads its settings from the synthesized stack', () => {
    // Assess
    expect(settings.maxReceiveCount).toBe(3);
    expect(settings.batchPrefix).toBe('batches/');
    expect(settings.notificationEvents).toEqual(['s3:ObjectCreated:*']);
    expect(settings.scheduleInput.source).toBe('driftgate.schedule');
  });

  it('ingests uploads delivered by S3 through SQS, stores one signature per upload, dead-letters a corrupt file', async () => {
    // Prepare
    clock = T0;
    const store = new S3Store(world.s3, world.bucket);
    await uploadModelConfig(
      store,
      {
        schemaVersion: 1,
        modelId: MODEL,
        batchPrefix: `${settings.batchPrefix}${MODEL}/`,
        cadence: { minCheckInterval: '1h', maxCheckInterval: '1d' },
      },
      'e2e config',
    );
    await upload(`reference-data/${MODEL}/train.parquet`, 'reference.parquet');
    await awsAdopt(wiring('adopt')).port.setReference(MODEL, [`reference-data/${MODEL}/train.parquet`], T0, 'v1');
    clock = at(1);
    await upload(`batches/${MODEL}/2026-03-02.parquet`, 'drift-1.parquet');
    await upload(`batches/${MODEL}/2026-03-03.parquet`, 'drift-2.parquet');
    await upload(`batches/${MODEL}/broken.parquet`, 'corrupt.parquet');
    await upload(`elsewhere/not-a-batch.parquet`, 'drift-1.parquet');
    const handler = ingest();
    const errors = vi.spyOn(telemetry.logger, 'error');
    const batchReads: { key: string; range?: string }[] = [];
    world.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string; Range?: string };
        if (context.commandName === 'GetObjectCommand' && input.Key?.startsWith('batches/')) batchReads.push({ key: input.Key, range: input.Range });
        return next(args);
      },
      { step: 'initialize', name: 'recordBatchReads' },
    );

    // Act: poll like the event source mapping until the upload queue is empty.
    const deliveries: { received: Message[]; failed: string[] }[] = [];
    for (let i = 0; i < 30 && (await queueDepth(world, world.uploadQueueUrl)) > 0; i++) {
      const { received, response } = await pollOnce(world, handler);
      if (received.length > 0) deliveries.push({ received, failed: (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier) });
    }
    const signatures = await store.list(`signatures/${MODEL}/`);
    const dead = await drain(world.sqs, world.uploadDlqUrl);

    // Assess
    expect(signatures).toHaveLength(2);
    expect(dead).toHaveLength(1);
    expect(keysIn(dead[0])).toEqual([`batches/${MODEL}/broken.parquet`]);
    const failed = deliveries.flatMap((d) => d.received.filter((m) => d.failed.includes(String(m.MessageId))).flatMap(keysIn));
    expect(failed).toEqual(Array(settings.maxReceiveCount).fill(`batches/${MODEL}/broken.parquet`));
    const delivered = new Set(deliveries.flatMap((d) => d.received.flatMap(keysIn)));
    expect([...delivered].sort()).toEqual([`batches/${MODEL}/2026-03-02.parquet`, `batches/${MODEL}/2026-03-03.parquet`, `batches/${MODEL}/broken.parquet`]);
    const logged = errors.mock.calls.map((c) => String(c[0]));
    expect(logged.filter((line) => line.includes(`s3://${world.bucket}/batches/${MODEL}/broken.parquet`))).toHaveLength(settings.maxReceiveCount);
    // Batches are read through ranged GETs only (footer, then column chunks), never downloaded whole.
    expect(batchReads.length).toBeGreaterThan(0);
    expect(batchReads.filter((r) => r.range === undefined)).toEqual([]);
    world.s3.middlewareStack.remove('recordBatchReads');
    errors.mockRestore();
  });

  it('stores a re-delivered upload once', async () => {
    // Prepare
    const store = new S3Store(world.s3, world.bucket);
    await upload(`batches/${MODEL}/2026-03-04.parquet`, 'drift-1.parquet');
    const Messages = await drain(world.sqs, world.uploadQueueUrl);
    const handler = ingest();
    const event = sqsEventOf(Messages, world.uploadQueueArn);

    // Act: the same notification delivered twice (SQS is at-least-once), in two invocations.
    const first = await handler(event);
    const second = await handler({ Records: event.Records.map((r) => ({ ...r, messageId: `${r.messageId}-again` })) });

    // Assess
    expect(Messages).toHaveLength(1);
    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(await store.list(`signatures/${MODEL}/`)).toHaveLength(3);
  });

  it('checks on schedule, notifies with signed links, shows evidence on GET, refuses a forgery, retrains once on approval', async () => {
    // Prepare
    clock = at(25);
    const check = makeCheckHandler({ checks: awsCheck(wiring('check')), telemetry, clock: () => clock });
    const scheduleEvent = { ...settings.scheduleInput, scheduledTime: clock.toISOString(), executionId: 'e2e-1' };

    // Act: the scheduled check, then the gate (S3 invokes it when the proposal is written) sends the notice.
    const run = await check(scheduleEvent);
    const proposalKeys = await new S3Store(world.s3, world.bucket).list(`proposals/${MODEL}/`);
    const gate = makeGateHandler({ gate: () => awsGate(wiring('gate')), telemetry, clock: () => clock });
    const gated = await gate(s3Notification(proposalKeys));
    const notices = await drain(world.sqs, world.noticesInboxUrl);

    // Assess: a drift verdict, a proposal, one notice with the links.
    expect(run.kind).toBe('due');
    const model = run.kind === 'due' ? run.outcome.models.find((m) => m.modelId === MODEL) : undefined;
    expect(model?.check?.status).toBe('checked');
    const checked = model?.check?.status === 'checked' ? model.check : undefined;
    expect(checked?.verdict).toBe('drift');
    // The check function holds no signing key: it opens the proposal, the gate sends its one notice.
    expect(checked?.proposal?.noticeMessageId).toBeNull();
    expect(gated.models.flatMap((m) => m.proposals)).toMatchObject([{ action: 'notice', noticeMessageId: expect.any(String) }]);
    expect(notices).toHaveLength(1);
    const notice = envelope(notices[0]);
    expect(notice.MessageAttributes?.modelId?.Value).toBe(MODEL);
    const links = [...notice.Message.matchAll(/(https?:\/\/\S+\/decide\?token=([A-Za-z0-9_.-]+))/g)];
    const approve = links.find((l) => peekToken(l[2])?.action === 'approve');
    expect(approve?.[1].startsWith(`${server.url}/decide?token=`)).toBe(true);
    const token = String(approve?.[2]);
    const reportLink = /Report: (\S+)/.exec(notice.Message)?.[1];
    expect(reportLink?.startsWith(`${server.url}/report?`)).toBe(true);

    // Act: the report link in the notice (the bucket stays private; the decision function serves it).
    const reportPage = await fetch(String(reportLink));
    const reportHtml = await reportPage.text();

    // Assess
    expect(reportPage.status).toBe(200);
    expect(reportHtml).toContain(MODEL);
    expect(reportHtml).toContain('amount');

    // Act: a human opens the link (GET).
    clock = at(26);
    const page = await fetch(`${server.url}/decide?token=${token}`);
    const html = await page.text();

    // Assess: the evidence and a form; nothing decided, nothing published.
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(html).toContain(MODEL);
    expect(html).toContain('amount');
    expect(html).toContain('<form method="post">');
    expect(await drain(world.sqs, world.retrainInboxUrl)).toEqual([]);
    const store = new S3Store(world.s3, world.bucket);
    const proposalId = String(checked?.proposal?.proposalId);
    const open = JSON.parse(Buffer.from((await store.get(`proposals/${MODEL}/${proposalId}.json`))!.body).toString()) as { status: string };
    expect(open.status).toBe('open');

    // Act: a forged approval (payload kept, signature altered), by GET and by POST.
    const [payload, signature] = token.split('.');
    const forged = `${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const forgedGet = await fetch(`${server.url}/decide?token=${forged}`);
    const forgedPost = await fetch(`${server.url}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: forged, action: 'approve' }).toString(),
    });
    const forgedHtml = await forgedPost.text();

    // Assess: refused without details, nothing published.
    expect(forgedGet.status).toBe(403);
    expect(forgedPost.status).toBe(403);
    expect(forgedHtml).toContain('This link cannot be used');
    expect(forgedHtml.toLowerCase()).not.toContain('signature');
    expect(await drain(world.sqs, world.retrainInboxUrl)).toEqual([]);

    // Act: the approval (POST of the confirmation form), then the same form posted again.
    const approved = await fetch(`${server.url}/decide?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'approve' }).toString(),
    });
    const approvedHtml = await approved.text();
    const replay = await fetch(`${server.url}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'approve' }).toString(),
    });
    const retrains = await drain(world.sqs, world.retrainInboxUrl);

    // Assess: exactly one RetrainRequested, with filterable attributes; the replay changed nothing.
    expect(approved.status).toBe(200);
    expect(approvedHtml).toContain('Done');
    expect(replay.status).toBe(409);
    expect(retrains).toHaveLength(1);
    const retrain = envelope(retrains[0]);
    expect(retrain.MessageAttributes?.modelId?.Value).toBe(MODEL);
    expect(retrain.MessageAttributes?.reason?.Value).toBe('approved');
    const event = JSON.parse(retrain.Message) as { type: string; modelId: string; proposalId: string; evidence: { driftedFeatures: { name: string }[] } };
    expect(event).toMatchObject({ type: 'RetrainRequested', modelId: MODEL, proposalId });
    expect(event.evidence.driftedFeatures.map((f) => f.name)).toContain('amount');
  });
  it('races over SNS, SQS and HTTP: 20 overlapping checks and 20 overlapping gate runs send one notice; 50 concurrent approval POSTs publish one retrain', async () => {
    // Prepare: a second model with a reference and one drifted batch, due at hour 30.
    const racing = RACING_MODEL;
    const store = new S3Store(world.s3, world.bucket);
    clock = at(28);
    await uploadModelConfig(store, { schemaVersion: 1, modelId: racing, batchPrefix: `${settings.batchPrefix}${racing}/`, cadence: { minCheckInterval: '1h', maxCheckInterval: '1d' } }, 'race config');
    await upload(`reference-data/${racing}/train.parquet`, 'reference.parquet');
    await awsAdopt(wiring('adopt')).port.setReference(racing, [`reference-data/${racing}/train.parquet`], at(28), 'v1');
    await upload(`batches/${racing}/2026-03-03.parquet`, 'drift-1.parquet');
    for (let i = 0; i < 30 && (await queueDepth(world, world.uploadQueueUrl)) > 0; i++) await pollOnce(world, ingest());
    await drain(world.sqs, world.noticesInboxUrl);
    await drain(world.sqs, world.retrainInboxUrl);
    const base = at(30).getTime();

    // Act: 20 scheduled invocations overlapping, each with its own clock, up to 4.75 s apart.
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const now = new Date(base + i * 250);
        const check = makeCheckHandler({ checks: awsCheck(wiring('check')), telemetry, clock: () => now });
        return check({ ...settings.scheduleInput, scheduledTime: now.toISOString(), executionId: `race-${i}` });
      }),
    );
    // ...and 20 overlapping gate invocations: S3's notifications of the proposal writes and the gate's own schedule.
    const written = await store.list(`proposals/${racing}/`);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const now = new Date(base + 1000 + i * 250);
        const gate = makeGateHandler({ gate: () => awsGate(wiring('gate')), telemetry, clock: () => now });
        return gate(i % 2 === 0 ? s3Notification(written) : { source: 'driftgate.gate', scheduledTime: now.toISOString() });
      }),
    );
    const notices = (await drain(world.sqs, world.noticesInboxUrl)).filter((m) => envelope(m).MessageAttributes?.modelId?.Value === racing);

    // Assess: one proposal, open and active, one notice.
    expect(runs.every((r) => r.kind === 'due')).toBe(true);
    const proposals = await store.list(`proposals/${racing}/`);
    expect(proposals).toHaveLength(1);
    const state = JSON.parse(Buffer.from((await store.get(`state/${racing}.json`))!.body).toString()) as { activeProposalId: string };
    expect(proposals[0]).toBe(`proposals/${racing}/${state.activeProposalId}.json`);
    expect(notices).toHaveLength(1);
    expect(await store.list(`reports/${racing}/`)).toHaveLength(2);

    // Act: 50 concurrent POSTs of the notice's approve link.
    const token = [...envelope(notices[0]).Message.matchAll(/\/decide\?token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === 'approve');
    clock = at(31);
    const statuses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${server.url}/decide`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: String(token), action: 'approve' }).toString(),
        }).then(async (r) => (await r.text(), r.status)),
      ),
    );
    const retrains = await drain(world.sqs, world.retrainInboxUrl);

    // Assess: one 200, the others refused or told it is decided; exactly one RetrainRequested with its eventId.
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(retrains).toHaveLength(1);
    const retrain = envelope(retrains[0]);
    const event = JSON.parse(retrain.Message) as { eventId: string; proposalId: string };
    expect(event.proposalId).toBe(state.activeProposalId);
    expect(retrain.MessageAttributes?.eventId?.Value).toBe(event.eventId);
    expect(event.eventId).toBe(`retrain-${state.activeProposalId}`);
  });
});
