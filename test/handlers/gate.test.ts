import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { ConfigError } from '../../functions/core/errors.js';
import { GATE_SCHEDULE_SOURCE } from '../../functions/handlers/env.js';
import { GateRunError, makeGateHandler } from '../../functions/handlers/gate.js';
import { checkModel } from '../../functions/service/check-model.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { hmacLinks, incidentNoticeSender, noticeSender } from '../../functions/service/notify.js';
import { tendProposals } from '../../functions/service/run-due-checks.js';
import { installReference } from '../../functions/service/install-reference.js';
import { ingestBatch } from '../../functions/service/ingest-batch.js';
import { localWorld, quietTelemetry, type LocalWorld } from './support.js';

const T0 = Date.parse('2026-02-02T00:00:00Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

/** A deterministic Arrow batch (apache-arrow): `amount` ~ N(100 + 15 * shift, 15). */
function batch(seed: number, shift: number, rows = 1500): Uint8Array {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s + 0.5) / 4_294_967_296;
  };
  const amount = Float64Array.from({ length: rows }, () => 100 + 15 * (Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand()) + shift));
  return tableToIPC(tableFromArrays({ amount }), 'file');
}

/** An S3 notification as S3 delivers it to the gate function when objects are written. */
function notification(keys: readonly string[], eventName = 'ObjectCreated:Put'): unknown {
  return { Records: keys.map((key) => ({ eventVersion: '2.1', eventSource: 'aws:s3', eventName, s3: { bucket: { name: 'data' }, object: { key, size: 1 } } })) };
}

describe('Function: makeGateHandler', () => {
  let world: LocalWorld;
  let repo: ModelRepository;

  beforeEach(() => {
    world = localWorld();
    repo = new ModelRepository(world.store);
  });
  afterEach(() => world.cleanup());

  /** The AWS split: a check without the signing key opens the proposal; the gate (with it) notifies. */
  async function openProposalWithoutNotice(): Promise<string> {
    await repo.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/', cadence: { minCheckInterval: '6h' } });
    await world.store.put('training/fraud/v1.arrow', batch(1, 0));
    await installReference({ repo, sign: signSources }).setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
    await world.store.put('batches/fraud/b.arrow', batch(2, 1.5));
    await ingestBatch({ repo, sign: signSources })('batches/fraud/b.arrow', at(5));
    const outcome = await checkModel({ repo })('fraud', at(6));
    if (outcome.status !== 'checked' || !outcome.proposal) throw new Error('expected a proposal');
    return outcome.proposal.proposalId;
  }

  function gate(now: Date) {
    const sendNotice = noticeSender({ repo, notifier: { send: async (n) => ({ messageId: `n-${world.notices.push(n)}` }) }, links: hmacLinks({ secret: world.secret, baseUrl: 'https://decide.example' }) });
    const sendIncidentNotice = incidentNoticeSender({ repo, notifier: { send: async (n) => ({ messageId: `n-${world.notices.push(n)}` }) }, links: hmacLinks({ secret: world.secret, baseUrl: 'https://decide.example' }) });
    const tend = tendProposals({ repo, sendNotice, sendIncidentNotice, events: { publish: async (e) => ({ messageId: `e-${world.events.push(e)}` }) } });
    return makeGateHandler({ gate: { tend }, telemetry: quietTelemetry('gate-test'), clock: () => now });
  }

  it('sends the notice of a proposal the check opened, once, however many notifications and schedules overlap', async () => {
    // Prepare
    const proposalId = await openProposalWithoutNotice();
    const key = `proposals/fraud/${proposalId}.json`;

    // Act
    const runs = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => gate(new Date(at(6).getTime() + i * 1000))(notification([key]))),
      ...Array.from({ length: 5 }, (_, i) => gate(new Date(at(6).getTime() + i * 1000))({ source: GATE_SCHEDULE_SOURCE })),
    ]);

    // Assess
    expect(world.notices).toHaveLength(1);
    expect(world.notices[0].text).toContain('https://decide.example/decide?token=');
    expect(runs.flatMap((r) => r.models.flatMap((m) => m.proposals)).filter((a) => a.action === 'notice')).toHaveLength(1);
    expect((await repo.proposal('fraud', proposalId))?.notice).toMatchObject({ messageId: 'n-1' });
  });

  it('tends only the models a notification names, and ignores removals, other prefixes and the S3 test event', async () => {
    // Prepare
    const proposalId = await openProposalWithoutNotice();

    // Act
    const other = await gate(at(6))(notification(['proposals/churn/p.json']));
    const removed = await gate(at(6))(notification([`proposals/fraud/${proposalId}.json`], 'ObjectRemoved:Delete'));
    const elsewhere = await gate(at(6))(notification(['reports/fraud/x.html']));
    const test = await gate(at(6))({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-02-02T00:00:00Z', Bucket: 'data' });

    // Assess
    expect(other.models).toEqual([]);
    expect([removed.models, elsewhere.models, test.models]).toEqual([[], [], []]);
    expect(world.notices).toHaveLength(0);
  });

  it('refuses an event it does not know, naming it, and fails the run after the others when a model fails', async () => {
    // Prepare
    await openProposalWithoutNotice();
    await world.store.put('config/broken.json', '{"schemaVersion": 1, "modelId": "broken", "batchPrefix": "nope"}');

    // Act
    const unknown = gate(at(6))({ detail: {} });
    const failing = gate(at(6))({ source: GATE_SCHEDULE_SOURCE });

    // Assess
    await expect(unknown).rejects.toThrow(ConfigError);
    await expect(unknown).rejects.toThrow(/gate event/);
    await expect(failing).rejects.toThrow(GateRunError);
    await expect(failing).rejects.toThrow(/config\/broken\.json/);
    expect(world.notices).toHaveLength(1);
  });
});
