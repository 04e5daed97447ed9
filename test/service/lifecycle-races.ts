import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../functions/adapters/console-notifier.js';
import { FileEventSink, readEventFile } from '../../functions/adapters/file-event-sink.js';
import type { ModelConfigInput } from '../../functions/core/lifecycle/config.js';
import { DecisionTokenError } from '../../functions/core/lifecycle/token.js';
import type { EventSink, Notice, ObjectStore } from '../../functions/core/ports.js';
import { Lifecycle, type LifecycleDeps } from '../../functions/service/lifecycle.js';
import { type ConformanceStore, batch, config, tokenFor } from './lifecycle-conformance.js';
import { signSources } from '../../functions/adapters/sign-sources.js';

const SECRET = 'race-test-secret';
const T0 = Date.parse('2026-02-02T00:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number, ms = 0): Date => new Date(T0 + hours * HOUR + ms);

/**
 * The gate's promises under concurrency, over any ObjectStore: many lifecycles (each with its own store
 * client, as concurrent Lambdas have) race on one model. Run over the local folder store and over S3 (moto).
 */
export function lifecycleRaces(label: string, open: (scratchDir: string) => Promise<ConformanceStore>): void {
  let dir: string;
  let store: ObjectStore;
  let another: () => ObjectStore;
  let cleanup: (() => Promise<void>) | undefined;
  let sent: Notice[];
  let eventsFile: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-races-'));
    const opened = await open(dir);
    ({ store, another, cleanup } = opened);
    sent = [];
    eventsFile = path.join(dir, 'events.jsonl');
  });
  afterEach(async () => {
    await cleanup?.();
    await rm(dir, { recursive: true, force: true });
  });

  /** A lifecycle with its own store client over the same data. */
  function racer(overrides: Partial<LifecycleDeps> = {}): Lifecycle {
    return new Lifecycle({
      store: another(),
      notifier: new ConsoleNotifier(path.join(dir, 'outbox'), (n) => sent.push(n)),
      events: new FileEventSink(eventsFile),
      sign: signSources,
      secret: SECRET,
      decideBaseUrl: 'https://decide.test',
      ...overrides,
    });
  }

  /** A model with a reference and a drifted batch stored, due at hour 6; with `propose`, checked into an open proposal. */
  async function model(extra: Partial<ModelConfigInput> = {}, propose = true): Promise<{ lifecycle: Lifecycle; proposalId?: string }> {
    const lifecycle = racer();
    await lifecycle.putConfig(config(extra));
    await store.put('training/fraud/v1.arrow', batch(1));
    await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
    await store.put('batches/fraud/drifted.arrow', batch(9, 1.5));
    await lifecycle.ingest('batches/fraud/drifted.arrow', at(5));
    if (!propose) return { lifecycle };
    const outcome = await lifecycle.check('fraud', at(6));
    if (outcome.status !== 'checked' || !outcome.proposal) throw new Error(`expected a proposal, got ${JSON.stringify(outcome)}`);
    return { lifecycle, proposalId: outcome.proposal.proposalId };
  }

  const problemOf = (e: unknown): string => (e instanceof DecisionTokenError ? e.problem : `error: ${String(e)}`);

  describe(`Promise: one retrain per approval, one notice per proposal (${label})`, () => {
    it('50 concurrent approvals of one link publish exactly one RetrainRequested', async () => {
      // Prepare
      const { lifecycle, proposalId } = await model();
      const token = tokenFor(sent[0], 'approve');

      // Act
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) => racer().decide(token, 'approve', at(7), { actor: `click-${i}` }).then((o) => o.status, problemOf)),
      );

      // Assess
      const events = await readEventFile(eventsFile);
      expect(events).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'decided')).toHaveLength(1);
      expect(outcomes.every((o) => o === 'decided' || o === 'already-decided' || o === 'replayed')).toBe(true);
      const proposal = await lifecycle.proposal('fraud', proposalId ?? '');
      expect(proposal?.status).toBe('approved');
      expect(proposal?.retrainEvent).toMatchObject({ eventId: events[0].event.eventId, messageId: events[0].messageId });
      expect((await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'approve' || e.action === 'retrain')).toHaveLength(2);
    });

    it('approve racing reject: exactly one decision stands, and it is the one that acted', async () => {
      // Prepare
      const { lifecycle, proposalId } = await model();
      const approve = tokenFor(sent[0], 'approve');
      const reject = tokenFor(sent[0], 'reject');

      // Act
      const [a, r] = await Promise.all([
        racer().decide(approve, 'approve', at(7)).then((o) => o.status, problemOf),
        racer().decide(reject, 'reject', at(7)).then((o) => o.status, problemOf),
      ]);

      // Assess
      expect([a, r].sort()).toEqual(['already-decided', 'decided']);
      const status = (await lifecycle.proposal('fraud', proposalId ?? ''))?.status;
      expect(status).toBe(a === 'decided' ? 'approved' : 'rejected');
      expect(await readEventFile(eventsFile)).toHaveLength(a === 'decided' ? 1 : 0);
      const state = await lifecycle.state('fraud');
      if (status === 'rejected') expect(state).toMatchObject({ activeProposalId: null, rejected: { fingerprint: expect.any(String) } });
      else expect(state?.activeProposalId).toBe(proposalId);
    });

    it('approve racing expiry: the proposal ends one way, and an expired proposal never retrains', async () => {
      // Prepare: the approval is clicked a moment before the expiry, the scheduled run comes a moment after.
      const { lifecycle, proposalId } = await model();
      const approve = tokenFor(sent[0], 'approve');
      const expiresAt = Date.parse((await lifecycle.proposal('fraud', proposalId ?? ''))?.expiresAt ?? '');

      // Act
      const [decided] = await Promise.all([
        racer().decide(approve, 'approve', new Date(expiresAt - 1)).then((o) => o.status, problemOf),
        racer().checkDue(new Date(expiresAt)),
      ]);
      await racer().checkDue(new Date(expiresAt + 2 * HOUR));

      // Assess
      const proposal = await lifecycle.proposal('fraud', proposalId ?? '');
      expect(['approved', 'expired']).toContain(proposal?.status);
      expect(decided).toBe(proposal?.status === 'approved' ? 'decided' : 'already-decided');
      expect(await readEventFile(eventsFile)).toHaveLength(proposal?.status === 'approved' ? 1 : 0);
      const ends = (await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'approve' || e.action === 'expire');
      expect(ends).toHaveLength(1);
    });

    it('20 overlapping scheduled runs with clocks up to 5 s apart open one proposal, send one notice, leave no orphan', async () => {
      // Prepare
      const { lifecycle } = await model({}, false);

      // Act
      const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => racer().checkDue(at(6, i * 250))));

      // Assess
      const proposals = await lifecycle.repo.proposals('fraud');
      const state = await lifecycle.state('fraud');
      expect(proposals).toHaveLength(1);
      expect(proposals[0].proposalId).toBe(state?.activeProposalId);
      expect(proposals.filter((p) => p.status === 'open' && p.proposalId !== state?.activeProposalId)).toEqual([]);
      expect(sent).toHaveLength(1);
      expect(proposals[0].notice).not.toBeNull();
      expect(await store.list('reports/fraud/')).toHaveLength(2);
      expect(runs.every((r) => r.models.every((m) => m.error === undefined))).toBe(true);
      expect(runs.filter((r) => r.models[0].check?.status === 'checked')).toHaveLength(1);
    });

    it('a publish that fails after the claim is completed exactly once by a later run, with the same eventId', async () => {
      // Prepare: the retrain topic refuses the first publish (an outage no emulator produces on demand).
      const file = new FileEventSink(eventsFile);
      let calls = 0;
      const flaky: EventSink = { publish: (e) => (++calls === 1 ? Promise.reject(new Error('topic down')) : file.publish(e)) };
      const { lifecycle, proposalId } = await model();

      // Act
      const first = await racer({ events: flaky }).decide(tokenFor(sent[0], 'approve'), 'approve', at(7));
      const laterRuns = await Promise.all(Array.from({ length: 5 }, () => racer({ events: flaky }).checkDue(at(8))));
      await racer({ events: flaky }).checkDue(at(9));

      // Assess
      expect(first).toMatchObject({ status: 'decided', retrainPending: { error: expect.stringMatching(/topic down/) } });
      const eventId = first.status === 'decided' ? first.eventId : undefined;
      expect(eventId).toBe(`retrain-${proposalId}`);
      const events = await readEventFile(eventsFile);
      expect(events).toHaveLength(1);
      expect(events[0].event.eventId).toBe(eventId);
      expect(laterRuns.flatMap((r) => r.models.flatMap((m) => m.proposals)).filter((p) => p.action === 'retrain')).toHaveLength(1);
      expect((await lifecycle.proposal('fraud', proposalId ?? ''))?.retrainEvent).toMatchObject({ eventId, messageId: events[0].messageId });
    });
  });

  describe(`Promise: a committed check is never lost (${label})`, () => {
    /**
     * The store, except that creating a proposal fails `times` times (the write fails past the client's
     * retries). Wrapped in the test: neither a folder nor moto fails one prefix's writes on demand.
     */
    const failingProposals = (inner: ObjectStore, times: number): ObjectStore => {
      let left = times;
      return {
        get: (k) => inner.get(k),
        putIfMatch: (k, b, e) => inner.putIfMatch(k, b, e),
        put: (k, b, c) => inner.put(k, b, c),
        list: (p) => inner.list(p),
        open: (k, pin) => inner.open(k, pin),
        putIfAbsent: (k, b) => (k.startsWith('proposals/') && left-- > 0 ? Promise.reject(new Error(`injected: ${k} not written`)) : inner.putIfAbsent(k, b)),
      };
    };

    it('a check whose proposal write fails after its commit is finished by the overlapping runs that follow: one proposal, one notice, each line once', async () => {
      // Prepare: the check commits its state, then cannot create its proposal.
      const { lifecycle } = await model({}, false);
      await expect(racer({ store: failingProposals(another(), 1) }).check('fraud', at(6))).rejects.toThrow(/injected/);
      const committed = await lifecycle.state('fraud');

      // Act: five overlapping scheduled runs (the model is not due again: its check committed).
      const runs = await Promise.all(Array.from({ length: 5 }, (_, i) => racer().checkDue(at(6.5, i * 100))));
      await racer().checkDue(at(7));

      // Assess
      const state = await lifecycle.state('fraud');
      const proposals = await lifecycle.repo.proposals('fraud');
      const log = await lifecycle.decisionLog('fraud');
      expect(committed?.pendingCheck?.proposal?.proposalId).toBe(committed?.activeProposalId);
      expect(proposals.map((p) => p.proposalId)).toEqual([committed?.activeProposalId]);
      expect(state?.pendingCheck).toBeUndefined();
      expect(sent).toHaveLength(1);
      expect(log.filter((e) => e.action === 'check')).toHaveLength(1);
      expect(log.filter((e) => e.action === 'propose')).toHaveLength(1);
      expect(runs.every((r) => r.models.every((m) => m.error === undefined && m.check === undefined))).toBe(true);
      expect(await store.list('reports/fraud/')).toHaveLength(2);
    });

    it('the next check finishes an unfinished one before committing its own, and never overwrites it', async () => {
      // Prepare: a committed check whose proposal is missing, then a new batch.
      const { lifecycle } = await model({}, false);
      await expect(racer({ store: failingProposals(another(), 1) }).check('fraud', at(6))).rejects.toThrow(/injected/);
      const first = (await lifecycle.state('fraud'))?.pendingCheck;
      await store.put('batches/fraud/drifted-2.arrow', batch(10, 1.5));
      await lifecycle.ingest('batches/fraud/drifted-2.arrow', at(7));

      // Act: a manual check (no gate in between).
      const outcome = await racer().check('fraud', at(8));

      // Assess: the first check's proposal exists and blocked a second one; both checks are logged once.
      const state = await lifecycle.state('fraud');
      const proposals = await lifecycle.repo.proposals('fraud');
      const checks = (await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'check');
      expect(outcome).toMatchObject({ status: 'checked', signatures: 1, proposal: null });
      expect(proposals.map((p) => p.proposalId)).toEqual([first?.proposal?.proposalId]);
      expect(state).toMatchObject({ activeProposalId: first?.proposal?.proposalId });
      expect(state?.pendingCheck).toBeUndefined();
      expect(checks.map((e) => e.evidence.checkId)).toEqual([first?.checkId, outcome.status === 'checked' ? outcome.checkId : '']);
    });
  });
}
