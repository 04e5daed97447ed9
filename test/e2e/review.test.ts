import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { GATE_SCHEDULE_SOURCE, SCHEDULE_SOURCE } from '../../functions/core/constants.js';
import { sampleKey } from '../../functions/core/lifecycle/keys.js';
import { peekToken } from '../../functions/core/lifecycle/token.js';
import type { Proposal } from '../../functions/core/lifecycle/types.js';
import { REVIEW_LINKS_MARKER } from '../../functions/core/report/review-notice.js';
import { makeCheckHandler } from '../../functions/handlers/check.js';
import { makeDecideHandler } from '../../functions/handlers/decide.js';
import { makeGateHandler } from '../../functions/handlers/gate.js';
import { makeIngestHandler } from '../../functions/handlers/ingest.js';
import { type FunctionRole, awsAdopt, awsCheck, awsDecide, awsGate, awsIngest, readFunctionEnv } from '../../functions/handlers/runtime.js';
import { uploadModelConfig } from '../../functions/service/config-upload.js';
import { createTelemetry } from '../../functions/service/logger.js';
import { loadReview } from '../../functions/service/review.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { type MotoServer, startMoto, venvPython } from '../support/moto.js';
import { type FunctionUrlServer, type MotoWorld, type StackSettings, drain, functionEnvOf, pollOnce, provisionMoto, queueDepth, startFunctionUrlServer } from './harness.js';

const MODEL = 'churn-review';
const HOUR = 3600_000;
const T0 = new Date('2026-03-02T08:00:00.000Z');
const at = (hours: number): Date => new Date(T0.getTime() + hours * HOUR);

/**
 * The stack's upload wiring, written out: flow.test.ts reads the same values from the synthesized
 * template (and asserts them); this file tests review rounds, not the stack, and skips the synth.
 */
const SETTINGS: StackSettings = {
  maxReceiveCount: 3,
  notificationEvents: ['s3:ObjectCreated:*'],
  notificationFilter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'batches/' }] } },
  batchPrefix: 'batches/',
  scheduleInput: { source: SCHEDULE_SOURCE },
};

const envelope = (m: Message): { Message: string; Subject?: string } => JSON.parse(String(m.Body)) as { Message: string; Subject?: string };
const tokenIn = (text: string, action: string): string => {
  const token = [...text.matchAll(/[?&]token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === action);
  if (!token) throw new Error(`no ${action} link in:\n${text}`);
  return token;
};

describe('Function: a review round end to end on moto server (real handlers, SNS -> SQS, HTTP on 127.0.0.1)', () => {
  let moto: MotoServer;
  let world: MotoWorld;
  let server: FunctionUrlServer;
  let dataDir: string;
  let clock: Date;
  let envRecord: Record<string, string>;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const telemetry = createTelemetry('driftgate-e2e-review', { logLevel: 'SILENT' });

  const wiring = (role: FunctionRole) => ({ env: readFunctionEnv(role, envRecord), clients: { s3: world.s3, sns: world.sns, secrets: world.secrets }, clock: () => clock });
  const store = (): S3Store => new S3Store(world.s3, world.bucket);
  const upload = async (key: string, file: string): Promise<void> => {
    await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: readFileSync(join(dataDir, file)) }));
  };
  const ingestAll = async (): Promise<void> => {
    const handler = makeIngestHandler({ ingest: async () => awsIngest(wiring('ingest')), bucket: world.bucket, telemetry, clock: () => clock });
    for (let i = 0; i < 20 && (await queueDepth(world, world.uploadQueueUrl)) > 0; i++) await pollOnce(world, handler);
  };
  const scheduledCheck = (id: string) => makeCheckHandler({ checks: awsCheck(wiring('check')), telemetry, clock: () => clock })({ ...SETTINGS.scheduleInput, scheduledTime: clock.toISOString(), executionId: id });
  const gate = () => makeGateHandler({ gate: () => awsGate(wiring('gate')), telemetry, clock: () => clock })({ source: GATE_SCHEDULE_SOURCE, scheduledTime: clock.toISOString() });
  const post = (fields: Record<string, string>): Promise<Response> =>
    fetch(`${server.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  beforeAll(async () => {
    const motoStarting = startMoto();
    dataDir = mkdtempSync(join(tmpdir(), 'driftgate-e2e-review-'));
    const script = fileURLToPath(new URL('./make-batches.py', import.meta.url));
    await promisify(execFile)(venvPython, [script, dataDir], { encoding: 'utf8' });
    moto = await motoStarting;
    world = await provisionMoto(moto.endpoint, SETTINGS, { visibilityTimeoutSeconds: 1, retrainFilterPolicy: { modelId: [MODEL] } });
    server = await startFunctionUrlServer(makeDecideHandler({ decisions: () => awsDecide(wiring('decide')), telemetry, clock: () => clock }));
    envRecord = functionEnvOf(world, server.url);
  });
  afterAll(async () => {
    await server?.close();
    await moto?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the sample at ingest, sends the request via SNS, takes the POSTed verdicts, and opens a human-review proposal the gate notifies', async () => {
    // Prepare: a model with reviews (age excluded), its reference, one drifted batch delivered by S3 -> SQS.
    clock = T0;
    await uploadModelConfig(
      store(),
      { schemaVersion: 1, modelId: MODEL, batchPrefix: `batches/${MODEL}/`, cadence: { minCheckInterval: '1h', maxCheckInterval: '1d' }, review: { every: '1d', rows: 8, exclude: ['age'], wrongShare: 0.3 } },
      'e2e review config',
    );
    await upload(`reference-data/${MODEL}/train.parquet`, 'reference.parquet');
    await awsAdopt(wiring('adopt')).port.setReference(MODEL, [`reference-data/${MODEL}/train.parquet`], T0, 'v1');
    clock = at(1);
    await upload(`batches/${MODEL}/2026-03-02.parquet`, 'drift-1.parquet');

    // Act: ingest; the scheduled check (it opens the round); the gate (it sends the notices).
    await ingestAll();
    const sampleDoc = await store().get(sampleKey(MODEL, '2026-03-02'));
    clock = at(2);
    await scheduledCheck('review-1');
    await gate();
    const notices = (await drain(world.sqs, world.noticesInboxUrl)).map(envelope);
    const request = notices.find((n) => n.Message.includes(REVIEW_LINKS_MARKER));
    const proposalNotice = notices.find((n) => n !== request);
    // The drift proposal is rejected (not material), so the active slot is free for what reviewers find.
    const rejected = await post({ token: tokenIn(String(proposalNotice?.Message), 'reject'), action: 'reject', reasonKind: 'not-material' });
    clock = at(3);
    const reviewToken = tokenIn(String(request?.Message), 'review');
    const page = await fetch(`${server.url}/decide?token=${reviewToken}`);
    const html = await page.text();
    const rows = [...html.matchAll(/name="v(\d+)" value="wrong"/g)].map((m) => Number(m[1]));
    const verdicts = Object.fromEntries(rows.flatMap((i) => [[`v${i}`, i < 5 ? 'wrong' : 'right'], ...(i === 0 ? [[`c${i}`, 'amounts this high never happen']] : [])]));
    const answered = await post({ token: reviewToken, action: 'review', ...verdicts });
    const answeredText = await answered.text();
    const replay = await post({ token: reviewToken, action: 'review', ...verdicts });
    const forged = await fetch(`${server.url}/decide?token=${reviewToken.slice(0, -3)}abc`);
    await gate(); // the human-review proposal's notice
    const after = (await drain(world.sqs, world.noticesInboxUrl)).map(envelope);
    const repo = new ModelRepository(store());
    const proposals = await repo.proposals(MODEL);
    const human = proposals.find((p: Proposal) => p.reasons.triggers[0]?.startsWith('human-review'));
    const log = await repo.decisionLog(MODEL);
    const retrains = await drain(world.sqs, world.retrainInboxUrl);

    // Assess: the sample, without the excluded column
    const stored = JSON.parse(Buffer.from(sampleDoc?.body ?? new Uint8Array()).toString('utf8')) as { columns: string[]; rows: unknown[] };
    expect(stored.columns).toEqual(['amount', 'country']);
    expect(stored.rows).toHaveLength(100);
    // The request, via SNS -> SQS, one link in the fixed block
    expect(notices).toHaveLength(2);
    expect(request?.Subject).toMatch(/review 8 rows/);
    expect(request?.Message.slice(request.Message.indexOf(REVIEW_LINKS_MARKER))).toContain(`${server.url}/decide?token=`);
    expect(rejected.status).toBe(200);
    // The page (GET shows) and the verdicts (POST acts, once)
    expect(page.status).toBe(200);
    expect(rows).toHaveLength(8);
    expect(html).not.toContain('name="vage"');
    expect(html).not.toMatch(/<th scope="col">age<\/th>/);
    expect(answered.status).toBe(200);
    expect(answeredText).toContain('Recorded: 3 looks right, 5 looks wrong, 0 not sure.');
    expect(replay.status).toBe(409);
    expect(forged.status).toBe(403);
    // The proposal, through the same gate: notified, no retrain without a decision
    expect(human?.status).toBe('open');
    expect(human?.mode).toBe('manual');
    expect(after.map((n) => n.Message).filter((m) => m.includes(String(human?.proposalId)))).toHaveLength(1);
    expect(retrains).toEqual([]);
    expect(log.filter((e) => e.action === 'review-verdicts')).toHaveLength(1);
    expect(log.find((e) => e.action === 'propose' && e.proposalId === human?.proposalId)?.evidence).toMatchObject({ reason: 'human-review' });
  });

  it('refuses a verdict for rows already replaced (409 and why) and an expired link (410); the model keeps working', async () => {
    // Prepare: the next round opens a day later, goes unanswered, and is replaced by the one after.
    clock = at(27);
    await scheduledCheck('review-2');
    await gate();
    const second = (await drain(world.sqs, world.noticesInboxUrl)).map(envelope).find((n) => n.Message.includes(REVIEW_LINKS_MARKER) && !n.Message.startsWith('Reminder'));
    const secondToken = tokenIn(String(second?.Message), 'review');
    const secondId = peekToken(secondToken)?.proposalId;
    clock = at(51);
    await upload(`batches/${MODEL}/2026-03-04.parquet`, 'drift-2.parquet');
    await ingestAll();
    clock = at(52);
    const run = await scheduledCheck('review-3');

    // Act
    const replaced = await post({ token: secondToken, action: 'review', v0: 'wrong' });
    const replacedText = await replaced.text();
    clock = new Date((Number(peekToken(secondToken)?.exp) + 1) * 1000); // past the link's own expiry
    const expired = await fetch(`${server.url}/decide?token=${secondToken}`);
    const doc = await loadReview(new ModelRepository(store()), MODEL);
    const log = await new ModelRepository(store()).decisionLog(MODEL);

    // Assess
    expect(secondId).toBeDefined();
    expect(doc.round?.reviewId).not.toBe(secondId);
    expect(doc.past.find((p) => p.reviewId === secondId)?.status).toBe('expired');
    expect(log.filter((e) => e.action === 'review-expired').map((e) => e.evidence.reviewId)).toEqual([secondId]);
    expect(replaced.status).toBe(409);
    expect(replacedText).toContain('These rows were replaced by a newer review');
    expect(expired.status).toBe(410);
    expect(run.kind).toBe('due');
    expect(log.filter((e) => e.action === 'check-failed')).toEqual([]);
  });
});
