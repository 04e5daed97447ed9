import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { parseAdoptionManifest } from '../../functions/core/lifecycle/adoption.js';
import type { Notice } from '../../functions/core/ports.js';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import { batch, config, flowDeps, tokenFor } from './lifecycle-conformance.js';

const T0 = Date.parse('2026-02-02T00:00:00Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

let dir: string;
let lifecycle: Lifecycle;
let store: LocalStore;
let sent: Notice[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-outcomes-'));
  store = new LocalStore(path.join(dir, 'store'));
  sent = [];
  lifecycle = new Lifecycle(flowDeps(store, dir, sent, { secret: 'outcomes-test-secret', decideBaseUrl: 'https://decide.test/prod/' }));
  await lifecycle.putConfig(config());
  await store.put('training/fraud/v1.arrow', batch(1));
  await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
  await store.put('batches/fraud/drift.arrow', batch(106, 1.5));
  await lifecycle.ingest('batches/fraud/drift.arrow', at(5));
  const check = await lifecycle.check('fraud', at(6));
  if (check.status !== 'checked' || !check.proposal) throw new Error('expected a proposal');
  await lifecycle.decide(tokenFor(sent[0], 'approve'), 'approve', at(7));
  await store.put('training/fraud/v2.arrow', batch(77, 1.5));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function manifest(extra: Record<string, unknown>) {
  return parseAdoptionManifest({ schemaVersion: 1, modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2.arrow'], ...extra }, 'adoptions/fraud/v2.json');
}

describe('Function: Lifecycle.adopt with a manifest (retrain outcomes)', () => {
  it('records what drifted, what was decided and what the retrain gained, and the next report shows it', async () => {
    // Prepare
    const m = manifest({ validationScore: 0.91, previousScore: 0.87, metric: { name: 'auc', direction: 'higher-is-better' } });

    // Act
    const adopted = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest: m }, at(30));
    await store.put('batches/fraud/after.arrow', batch(78, 1.5));
    await lifecycle.ingest('batches/fraud/after.arrow', at(40));
    const check = await lifecycle.check('fraud', at(41));

    // Assess
    expect(adopted.status).toBe('adopted');
    const history = await lifecycle.repo.outcomes('fraud');
    expect(history?.outcomes).toHaveLength(1);
    expect(history?.outcomes[0]).toMatchObject({ version: 'v2', status: 'adopted', drifted: expect.arrayContaining(['amount']), decision: { action: 'approve' } });
    expect(history?.outcomes[0].gain).toBeCloseTo(0.04, 12);
    if (check.status !== 'checked') throw new Error('expected a check');
    const html = Buffer.from((await store.get(check.reportKeys.html))?.body ?? new Uint8Array()).toString('utf8');
    expect(html).toContain('id="outcomes"');
    expect(html).toContain('auc');
  });

  it('a failed retrain installs nothing and is a lesson in the decision log, once', async () => {
    // Prepare
    const m = manifest({ status: 'failed', validationScore: 0.8, previousScore: 0.87, metric: { name: 'auc', direction: 'higher-is-better' } });

    // Act
    const first = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest: m }, at(30));
    const again = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest: m }, at(31));

    // Assess
    expect(first.status).toBe('not-adopted');
    expect(again.status).toBe('not-adopted');
    expect((await lifecycle.state('fraud'))?.reference.version).toBe('v1');
    const lessons = (await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'lesson');
    expect(lessons).toHaveLength(1);
    expect(lessons[0].evidence).toMatchObject({ version: 'v2', status: 'failed', drifted: expect.arrayContaining(['amount']) });
    expect(lessons[0].evidence.gain).toBeCloseTo(-0.07, 12);
  });

  it('the next RetrainRequested carries the recommended rows and the training window since the onset, the same as the proposal stored', async () => {
    // Prepare: v2 reports a learning curve (plateau 0.9); then 4 stable checks and a drifted one.
    const curve = [500, 1000, 2000, 4000, 8000, 16000, 32000, 64000].map((rows) => ({ rows, score: 0.9 - 2 * rows ** -0.5 }));
    await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest: manifest({ learningCurve: curve, metric: { name: 'auc', direction: 'higher-is-better' } }) }, at(30));
    for (let i = 0; i < 4; i++) {
      await store.put(`batches/fraud/stable-${i}.arrow`, batch(200 + i, 1.5));
      await lifecycle.ingest(`batches/fraud/stable-${i}.arrow`, at(40 + 10 * i));
      await lifecycle.check('fraud', at(41 + 10 * i));
    }
    await store.put('batches/fraud/drift-a.arrow', batch(300, 4));
    await store.put('batches/fraud/drift-b.arrow', batch(301, 4));
    await lifecycle.ingest('batches/fraud/drift-a.arrow', at(90));
    await lifecycle.ingest('batches/fraud/drift-b.arrow', at(90));
    const check = await lifecycle.check('fraud', at(91));
    if (check.status !== 'checked' || !check.proposal) throw new Error(`expected a proposal, got ${JSON.stringify(check)}`);

    // Act
    await lifecycle.decide(tokenFor(sent[sent.length - 1], 'approve'), 'approve', at(92));

    // Assess
    const events = (await readEventFile(path.join(dir, 'events.jsonl'))).map((e) => e.event);
    const event = events.find((e) => e.proposalId === check.proposal?.proposalId);
    expect(event?.recommendedTrainingRows).toMatchObject({ status: 'recommended', fromVersion: 'v2', metric: 'auc' });
    const rec = event?.recommendedTrainingRows;
    if (rec?.status === 'recommended') {
      // The law's n* for epsilon 0.002: (2 * (1 - 2^-0.5) / 0.002)^2 = 85786.
      expect(rec.interval[0]).toBeLessThanOrEqual(85_787);
      expect(rec.interval[1]).toBeGreaterThanOrEqual(85_786);
    }
    const window = event?.trainingWindow;
    expect(window?.onset?.checkId).toBe(check.checkId);
    expect(window?.batches.map((b) => b.key).sort()).toEqual(['batches/fraud/drift-a.arrow', 'batches/fraud/drift-b.arrow']);
    expect(window?.rows).toBe(3000);
    // 85786 rows recommended: every stable batch since the reference is blended in, newest first, and still short.
    expect(window?.blend.map((b) => b.key)).toEqual([3, 2, 1, 0].map((i) => `batches/fraud/stable-${i}.arrow`));
    expect(window?.shortBy).toBeGreaterThan(0);
    expect((await lifecycle.proposal('fraud', check.proposal.proposalId))?.hint?.trainingWindow).toEqual(window);
  });
});
