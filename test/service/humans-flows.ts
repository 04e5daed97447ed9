import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import type { ModelConfigInput } from '../../functions/core/lifecycle/config.js';
import { configVersionKey, reportKey } from '../../functions/core/lifecycle/keys.js';
import { DecisionTokenError, peekToken } from '../../functions/core/lifecycle/token.js';
import type { Notice, ObjectStore } from '../../functions/core/ports.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import { type ConformanceStore, batch, config, eventsFileIn, flowDeps } from './lifecycle-conformance.js';

const SECRET = 'humans-test-secret';
const T0 = Date.parse('2026-04-06T00:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number): Date => new Date(T0 + hours * HOUR);

/** Every token of a given action in a notice's text. */
function linkOf(notice: Notice, action: string): string {
  const token = [...notice.text.matchAll(/[?&]token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === action);
  if (!token) throw new Error(`no ${action} link in the notice:\n${notice.text}`);
  return token;
}

/** A batch whose `country` column is gone: a data-quality finding, not drift. */
function brokenBatch(rows = 1500): Uint8Array {
  const amount = Float64Array.from({ length: rows }, (_, i) => 100 + (i % 30));
  return tableToIPC(tableFromArrays({ amount }), 'file');
}

/** A batch where only `amount` moves (by `shift` σ); `country` keeps the reference's mix. */
function amountOnlyBatch(shift: number, rows = 1500): Uint8Array {
  const amount = Float64Array.from({ length: rows }, (_, i) => 100 + 15 * (shift + Math.sqrt(2) * inverseErf((2 * (i + 0.5)) / rows - 1)));
  const country = Array.from({ length: rows }, (_, i) => (i % 10 < 6 ? 'US' : i % 2 === 0 ? 'DE' : 'IN'));
  return tableToIPC(tableFromArrays({ amount, country }), 'file');
}

/** The inverse error function (Giles' approximation, ~1e-9): normal quantiles for a deterministic sample. */
function inverseErf(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
  }
  return p * x;
}

/**
 * Humans in the loop beyond the gate, over any ObjectStore (LocalStore and S3 on moto): every autonomy
 * level change both ways (offer, accept, promotion; demotion on a rejection, a failed retrain, an
 * incident; lowering by the owner), and verdicts that teach (K rejections -> a suggested threshold ->
 * accepted as a new config version; a "data bug" rejection -> an incident).
 */
export function humansFlows(label: string, open: (scratchDir: string) => Promise<ConformanceStore>): void {
  let dir: string;
  let store: ObjectStore;
  let cleanup: (() => Promise<void>) | undefined;
  let sent: Notice[];
  let eventsFile: string;
  let lifecycle: Lifecycle;
  let seed: number;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-humans-'));
    ({ store, cleanup } = await open(dir));
    sent = [];
    seed = 10;
    eventsFile = eventsFileIn(dir);
    lifecycle = new Lifecycle(flowDeps(store, dir, sent, { secret: SECRET, decideBaseUrl: 'https://decide.test' }));
  });
  afterEach(async () => {
    await cleanup?.();
    await rm(dir, { recursive: true, force: true });
  });

  async function setUp(extra: Partial<ModelConfigInput> = {}): Promise<void> {
    await lifecycle.putConfig(config({ approval: { promoteAfter: 2, suggestAfter: 3 }, ...extra }));
    await store.put('training/fraud/v1.arrow', batch(1));
    await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
  }

  /** Upload a drifted batch and check at `hours`: the proposal it opens. */
  async function propose(hours: number, shift = 1.5): Promise<string> {
    const key = `batches/fraud/b-${hours}.arrow`;
    await store.put(key, batch(seed++, shift));
    await lifecycle.ingest(key, at(hours - 1));
    const outcome = await lifecycle.check('fraud', at(hours));
    if (outcome.status !== 'checked' || !outcome.proposal) throw new Error(`expected a proposal at ${hours}h, got ${JSON.stringify(outcome)}`);
    return outcome.proposal.proposalId;
  }

  const noticeOf = (proposalId: string): Notice => {
    const n = sent.find((s) => s.proposalId === proposalId);
    if (!n) throw new Error(`no notice for ${proposalId}`);
    return n;
  };
  const level = async (): Promise<string> => {
    const s = await lifecycle.state('fraud');
    return s?.autonomy.level ?? 'as configured';
  };

  /** Open and approve a proposal at `hours` (80 h apart: an approval blocks new proposals for the 72 h TTL). */
  async function approveAt(hours: number): Promise<string> {
    const id = await propose(hours);
    await lifecycle.decide(linkOf(noticeOf(id), 'approve'), 'approve', at(hours + 1), { actor: 'owner' });
    return id;
  }

  /** Earn and accept the next level: two approvals, the gate's offer notice, the owner's signed accept. */
  async function earn(start: number): Promise<Notice> {
    await approveAt(start);
    await approveAt(start + 80);
    await lifecycle.checkDue(at(start + 82));
    const offer = sent.filter((n) => n.subject.includes('offer: move up')).at(-1);
    if (!offer) throw new Error('no offer notice');
    const outcome = await lifecycle.owner.act(linkOf(offer, 'accept-level'), at(start + 83), { actor: 'owner' });
    expect(outcome.status).toBe('done');
    return offer;
  }

  describe(`Promise: autonomy is earned, and lost at once (${label})`, () => {
    it('offers veto after N approvals, moves only on the signed accept, then offers auto; an auto proposal is retrained by the gate, then notified', async () => {
      // Prepare
      await setUp();

      // Act
      const beforeOffer = await level();
      const offer = await earn(10);
      const atVeto = await level();
      const vetoProposal = await propose(180);
      const replay = await lifecycle.owner.act(linkOf(offer, 'accept-level'), at(181)).catch((e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)));
      await lifecycle.decide(linkOf(noticeOf(vetoProposal), 'approve'), 'approve', at(181));
      await approveAt(260);
      await lifecycle.checkDue(at(262));
      const autoOffer = sent.filter((n) => n.subject.includes('offer: move up to auto')).at(-1);
      await lifecycle.owner.act(linkOf(autoOffer as Notice, 'accept-level'), at(263));
      const autoProposal = await propose(340);
      const beforeGate = sent.filter((n) => n.proposalId === autoProposal).length;
      await lifecycle.checkDue(at(341));

      // Assess
      expect(beforeOffer).toBe('as configured');
      expect(offer.text).toContain('earned an offer to move up from manual to veto');
      expect(atVeto).toBe('veto');
      expect(replay).toBe('replayed');
      expect((await lifecycle.proposal('fraud', vetoProposal))?.mode).toBe('veto');
      expect(await level()).toBe('auto');
      expect(beforeGate).toBe(0);
      const events = await readEventFile(eventsFile);
      expect(events.at(-1)?.event).toMatchObject({ proposalId: autoProposal, reason: 'auto', decidedBy: 'driftgate' });
      const autoNotice = noticeOf(autoProposal);
      expect(autoNotice.subject).toContain('retrained automatically');
      expect(autoNotice.text).toContain('Retrained automatically');
      expect(autoNotice.text).not.toMatch(/Approve retraining:/);
      expect(linkOf(autoNotice, 'lower')).toBeTruthy();
      const log = await lifecycle.decisionLog('fraud');
      const changes = log.filter((e) => e.action === 'autonomy').map((e) => `${String(e.evidence.kind)} ${String(e.evidence.from)}->${String(e.evidence.to)}`);
      expect(changes).toEqual(['offer manual->veto', 'level manual->veto', 'offer veto->auto', 'level veto->auto']);
      expect(log.map((e) => e.action)).toContain('auto-approve');
    });

    it('drops to manual at once on a rejection, and says so in a notice', async () => {
      // Prepare
      await setUp({ approval: { mode: 'veto', vetoWindow: '24h', promoteAfter: 2 } });
      const id = await propose(10);

      // Act
      const missing = await lifecycle.decide(linkOf(noticeOf(id), 'reject'), 'reject', at(11), { reasonKind: 'other', reason: 'we retrain next week anyway' });
      await lifecycle.checkDue(at(12));

      // Assess
      expect(missing.status).toBe('decided');
      expect(await level()).toBe('manual');
      const notice = sent.find((n) => n.subject.includes('autonomy now manual'));
      expect(notice?.text).toContain('veto -> manual');
      expect(notice?.text).toContain('was rejected (other)');
      const log = await lifecycle.decisionLog('fraud');
      expect(log.find((e) => e.action === 'reject')?.evidence).toMatchObject({ reasonKind: 'other', reason: 'we retrain next week anyway' });
      expect(log.find((e) => e.action === 'autonomy')?.evidence).toMatchObject({ kind: 'level', from: 'veto', to: 'manual' });
      expect(log.some((e) => e.action === 'owner-notice')).toBe(true);
    });

    it('drops to manual on a failed or rolled-back retrain, and on a data-quality incident', async () => {
      // Prepare
      await setUp({ approval: { mode: 'veto', vetoWindow: '24h', promoteAfter: 2 } });

      // Act
      const failed = await lifecycle.owner.reportRetrainOutcome('fraud', { proposalId: 'p-x', status: 'failed' }, at(5));
      await earn(10); // manual -> veto again
      const beforeIncident = await level();
      await store.put('batches/fraud/broken.arrow', brokenBatch());
      await lifecycle.ingest('batches/fraud/broken.arrow', at(200));
      const checked = await lifecycle.check('fraud', at(201));
      const afterIncident = await level();
      await earn(290);
      const rolledBack = await lifecycle.owner.reportRetrainOutcome('fraud', { proposalId: 'p-y', status: 'rolled-back' }, at(400));

      // Assess
      expect(failed).toEqual({ changed: true, level: 'manual' });
      expect(beforeIncident).toBe('veto');
      expect(checked.status === 'checked' && checked.incident?.opened).toBe(true);
      expect(afterIncident).toBe('manual');
      expect(rolledBack).toEqual({ changed: true, level: 'manual' });
      const why = (await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'autonomy' && e.evidence.to === 'manual').map((e) => String(e.evidence.why));
      expect(why).toHaveLength(3);
      expect(why[0]).toMatch(/retrain of proposal p-x was reported failed/);
      expect(why[1]).toMatch(/Data-quality incident dq-.* opened/);
      expect(why[2]).toMatch(/reported rolled-back/);
    });

    it('lets the owner lower the level with any valid link of the model, never raise it', async () => {
      // Prepare
      await setUp({ approval: { mode: 'veto', vetoWindow: '24h', promoteAfter: 2 } });
      const id = await propose(10);
      const approveLink = linkOf(noticeOf(id), 'approve');

      // Act
      const raise = await lifecycle.owner.lower(approveLink, 'auto', at(11));
      const lowered = await lifecycle.owner.lower(approveLink, 'manual', at(11));
      const described = await lifecycle.describeToken(approveLink, at(12));

      // Assess
      expect(raise.status).toBe('nothing-to-do');
      expect(lowered).toMatchObject({ status: 'done', level: 'manual' });
      expect(described.autonomy).toMatchObject({ level: 'manual', record: '0 approved, 0 rejected, 0 expired' });
      expect((await lifecycle.decisionLog('fraud')).find((e) => e.action === 'autonomy')?.evidence).toMatchObject({ from: 'veto', to: 'manual', why: 'The owner lowered the level.' });
    });
  });

  describe(`Promise: verdicts teach (${label})`, () => {
    it('after K "not material"/"expected" rejections driven by one feature, suggests a higher threshold; accepting it writes a new config version', async () => {
      // Prepare
      await setUp();
      const ids: string[] = [];

      // Act: each rejected proposal is stronger than the last (the same evidence would not re-notify).
      for (const [i, shift] of [1.5, 2.5, 4].entries()) {
        const id = await propose(10 + i * 10, shift);
        ids.push(id);
        await lifecycle.decide(linkOf(noticeOf(id), 'reject'), 'reject', at(11 + i * 10), { reasonKind: i === 1 ? 'expected' : 'not-material' });
      }
      await lifecycle.checkDue(at(45));
      const notice = sent.find((n) => n.subject.includes('suggested config change'));
      const before = await lifecycle.repo.config('fraud');
      const accepted = await lifecycle.owner.act(linkOf(notice as Notice, 'accept-config'), at(46), { actor: 'owner' });
      const twice = await lifecycle.owner.act(linkOf(notice as Notice, 'accept-config'), at(46)).catch((e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)));
      const after = await lifecycle.repo.config('fraud');
      const suggestion = (await lifecycle.state('fraud'))?.autonomy.suggestion;

      // Assess
      expect(notice?.text).toContain('Evidence: rejected proposals');
      for (const id of ids) expect(notice?.text).toContain(id);
      expect(before.features.overrides).toEqual({});
      expect(accepted).toMatchObject({ status: 'done', version: 2, previousVersionKey: configVersionKey('fraud', 1) });
      expect(twice).toBe('replayed');
      const feature = suggestion?.feature as string;
      expect(after.features.overrides[feature]).toEqual({ test: suggestion?.test, threshold: suggestion?.to });
      expect(suggestion?.to).toBeGreaterThan(suggestion?.from as number);
      const old = await store.get(configVersionKey('fraud', 1));
      expect(JSON.parse(Buffer.from(old?.body ?? []).toString('utf8')).features).toBeUndefined();
      expect(await store.get(configVersionKey('fraud', 2))).toBeDefined();
      const log = await lifecycle.decisionLog('fraud');
      expect(log.find((e) => e.action === 'config-suggested')?.evidence).toMatchObject({ verdicts: ids, reasons: ['not-material', 'expected'] });
      expect(log.find((e) => e.action === 'config-change')?.evidence).toMatchObject({ version: 2, verdicts: ids, previousVersionKey: configVersionKey('fraud', 1) });
      expect((await lifecycle.repo.configs()).configs.map((c) => c.modelId)).toEqual(['fraud']);
    });

    it('after K "expected or seasonal" rejections whose proposals recur at one UTC hour, suggests an exemption window; accepted, the feature drives no proposal in that window', async () => {
      // Prepare: three proposals at 10:00 UTC on Mon 6, Tue 7 and Wed 8 April (same hour, three dates; weekday and month do not recur).
      await setUp();
      const ids: string[] = [];

      // Act
      for (const [i, shift] of [1.5, 2.5, 4].entries()) {
        const id = await propose(10 + i * 24, shift);
        ids.push(id);
        await lifecycle.decide(linkOf(noticeOf(id), 'reject'), 'reject', at(11 + i * 24), { reasonKind: 'expected', reason: 'the 10:00 batch job' });
      }
      await lifecycle.checkDue(at(59));
      const notice = sent.find((n) => n.subject.includes('suggested config change'));
      const suggestion = (await lifecycle.state('fraud'))?.autonomy.suggestion;
      const accepted = await lifecycle.owner.act(linkOf(notice as Notice, 'accept-config'), at(60), { actor: 'owner' });
      const after = await lifecycle.repo.config('fraud');
      // The next check inside the window (Thu 9 April, 10:00 UTC), on an even stronger shift.
      const key = 'batches/fraud/in-window.arrow';
      await store.put(key, amountOnlyBatch(6));
      await lifecycle.ingest(key, at(81));
      const inWindow = await lifecycle.check('fraud', at(82));
      const inWindowLine = (await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'check').at(-1);
      // The same shift outside the window (13:00 UTC) is not exempt.
      await store.put('batches/fraud/outside.arrow', amountOnlyBatch(6));
      await lifecycle.ingest('batches/fraud/outside.arrow', at(84));
      const outside = await lifecycle.check('fraud', at(85));
      const outsideLine = (await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'check').at(-1);

      // Assess
      expect(suggestion).toMatchObject({ kind: 'window', feature: 'amount', window: { hour: 10 }, verdicts: ids, reasons: ['expected'] });
      expect(notice?.text).toContain(`Change: exempt 'amount' 10:00–10:59 UTC: its drift there is still reported but drives no retrain proposal.`);
      expect(accepted).toMatchObject({ status: 'done', version: 2 });
      expect(after.features.overrides.amount).toEqual({ exemptWindows: [{ hour: 10 }] });
      const log = await lifecycle.decisionLog('fraud');
      expect(log.find((e) => e.action === 'config-change')?.evidence).toMatchObject({ version: 2, verdicts: ids, change: { feature: 'amount', exemptWindow: { hour: 10 } } });
      if (inWindow.status !== 'checked') throw new Error(`expected a check, got ${inWindow.status}`);
      const report = await store.get(reportKey('fraud', inWindow.checkId, 'json'));
      const amount = (JSON.parse(Buffer.from(report?.body ?? []).toString('utf8')) as { result: { features: { name: string; drift: boolean; explanation: string }[] } }).result.features.find((f) => f.name === 'amount');
      expect(amount?.drift).toBe(true);
      expect(amount?.explanation).toContain('Exempt: recurring window 10:00–10:59 UTC, so it drives no retrain proposal.');
      const proposal = inWindow.proposal ? await lifecycle.proposal('fraud', inWindow.proposal.proposalId) : undefined;
      expect(proposal?.reasons.driftedFeatures[0]?.name).not.toBe('amount');
      expect(inWindow.proposal).toBeNull();
      expect(inWindowLine?.evidence).toMatchObject({ verdict: 'drift', suppressed: 'drift only in features inside an exempt recurring window (amount)' });
      if (outside.status !== 'checked') throw new Error(`expected a check, got ${outside.status}`);
      expect(outside.verdict).toBe('drift');
      expect(String((outsideLine?.evidence as { suppressed?: unknown }).suppressed ?? '')).not.toContain('exempt');
    });

    it('a "data bug" rejection opens a data-quality incident instead (notified; no proposal while open)', async () => {
      // Prepare
      await setUp();
      const id = await propose(10);

      // Act
      await lifecycle.decide(linkOf(noticeOf(id), 'reject'), 'reject', at(11), { reasonKind: 'data-bug', reason: 'the amount feed doubled' });
      const state = await lifecycle.state('fraud');
      await lifecycle.checkDue(at(12));

      // Assess
      expect(state?.incident).toMatchObject({ incidentId: `dq-human-${id}`, kinds: ['human-data-bug'] });
      expect(state?.incident?.reason).toContain('the amount feed doubled');
      expect(sent.some((n) => n.proposalId === `dq-human-${id}` && n.subject.includes('data-quality incident'))).toBe(true);
      const log = await lifecycle.decisionLog('fraud');
      expect(log.find((e) => e.action === 'incident-opened')?.evidence).toMatchObject({ incidentId: `dq-human-${id}` });
      expect((await lifecycle.state('fraud'))?.autonomy.rejections).toMatchObject([{ proposalId: id, reason: 'data-bug', detail: 'the amount feed doubled' }]);
    });
  });
}
