import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import type { ModelConfigInput } from '../../functions/core/lifecycle/config.js';
import { reportKey, sampleKey } from '../../functions/core/lifecycle/keys.js';
import { DecisionTokenError, peekToken, signToken } from '../../functions/core/lifecycle/token.js';
import type { Notice, ObjectStore } from '../../functions/core/ports.js';
import { REVIEW_LINKS_MARKER } from '../../functions/core/report/review-notice.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import { keepBatchSample, loadReview } from '../../functions/service/review.js';
import { decodeSample } from '../../functions/core/signature/sample.js';
import { type ConformanceStore, batchColumns, config, eventsFileIn, flowDeps } from './lifecycle-conformance.js';

const SECRET = 'review-test-secret';
const T0 = Date.parse('2026-04-06T00:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number): Date => new Date(T0 + hours * HOUR);

/** A batch with an identifier column (`email`, excluded from review) beside `batch`'s columns. */
export function reviewBatch(seed: number, shift = 0, rows = 1500): Uint8Array {
  const email = Array.from({ length: rows }, (_, i) => `person-${seed}-${i}@example.com`);
  return tableToIPC(tableFromArrays({ ...batchColumns(seed, shift, rows), email }), 'file');
}

/** Every review link (token) in a notice. */
export function reviewTokenOf(notice: Notice): string {
  const token = [...notice.text.matchAll(/[?&]token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === 'review');
  if (!token) throw new Error(`no review link in the notice:\n${notice.text}`);
  return token;
}

/**
 * A review round over any ObjectStore: the sample kept at ingest (bounded, no excluded column, once per
 * re-delivery), the request with its one link, the verdicts taken once, the human-review proposal through
 * the same gate, the report's review section; reminders bounded, the round expired and replaced.
 */
export function reviewFlows(label: string, open: (scratchDir: string) => Promise<ConformanceStore>): void {
  let dir: string;
  let store: ObjectStore;
  let cleanup: (() => Promise<void>) | undefined;
  let sent: Notice[];
  let lifecycle: Lifecycle;
  let eventsFile: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-review-'));
    ({ store, cleanup } = await open(dir));
    sent = [];
    eventsFile = eventsFileIn(dir);
    lifecycle = new Lifecycle(flowDeps(store, dir, sent, { secret: SECRET, decideBaseUrl: 'https://decide.test' }));
  });
  afterEach(async () => {
    await cleanup?.();
    await rm(dir, { recursive: true, force: true });
  });

  async function setUp(extra: Partial<ModelConfigInput> = {}): Promise<void> {
    await lifecycle.putConfig(config({ review: { every: '1d', rows: 10, exclude: ['email'], reminders: 2, wrongShare: 0.3 }, ...extra }));
    await store.put('training/fraud/v1.arrow', reviewBatch(1));
    await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
  }

  async function ingest(name: string, seed: number, shift: number, hours: number): Promise<void> {
    const key = `batches/fraud/${name}.arrow`;
    await store.put(key, reviewBatch(seed, shift));
    await lifecycle.ingest(key, at(hours));
  }

  /** A drifted batch and a check whose proposal is rejected, so the active slot is free again. */
  async function checkedAndRejected(hours: number): Promise<void> {
    await ingest(`b-${hours}`, hours + 10, 1.5, hours - 1);
    const outcome = await lifecycle.check('fraud', at(hours));
    if (outcome.status !== 'checked' || !outcome.proposal) throw new Error(`expected a proposal, got ${JSON.stringify(outcome)}`);
    const notice = sent.find((n) => n.proposalId === outcome.proposal?.proposalId) as Notice;
    const reject = [...notice.text.matchAll(/token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === 'reject') as string;
    await lifecycle.decide(reject, 'reject', at(hours + 0.5), { reasonKind: 'not-material' });
  }

  const reviewNotices = (): Notice[] => sent.filter((n) => n.text.includes(REVIEW_LINKS_MARKER));

  describe(`Promise: a review round runs end to end (${label})`, () => {
    it('keeps a bounded sample without the excluded column at ingest, once per re-delivery', async () => {
      // Prepare
      await setUp();

      // Act
      await ingest('b-1', 11, 1.5, 1);
      const key = sampleKey('fraud', '2026-04-06');
      const first = await store.get(key);
      await lifecycle.ingest('batches/fraud/b-1.arrow', at(2)); // a re-delivered event
      const sample = decodeSample(JSON.parse(Buffer.from((first as { body: Uint8Array }).body).toString('utf8')), key);
      const again = await keepBatchSample(lifecycle.repo, 'fraud', sample, at(1));
      const after = await store.get(key);

      // Assess
      expect(sample.columns).toEqual(['amount', 'country']);
      expect(sample.rows).toHaveLength(100);
      expect(sample.rows.every((r) => r.source === 'batches/fraud/b-1.arrow' && !('email' in r.values))).toBe(true);
      expect(Buffer.from((first as { body: Uint8Array }).body).toString('utf8')).not.toContain('@example.com');
      expect(again).toBe(false);
      expect(after?.etag).toBe(first?.etag);
    });

    it('sends the request with one signed link, takes the verdicts once, opens a human-review proposal the gate notifies, and the next report shows them', async () => {
      // Prepare
      await setUp();
      await checkedAndRejected(2);

      // Act: the scheduled run opens the round (after its checks) and, on one machine, sends the request.
      await lifecycle.checkDue(at(3));
      const [request] = reviewNotices();
      const token = reviewTokenOf(request);
      const shown = await lifecycle.review.describe(token, at(4));
      const marks = shown.rows.map((r, i) => ({ index: r.index, verdict: i < 5 ? ('wrong' as const) : i < 8 ? ('right' as const) : ('unsure' as const), ...(i === 0 ? { comment: 'amount <script>x</script> is impossible' } : {}) }));
      const outcome = await lifecycle.review.submit(token, marks, at(4), { actor: 'reviewer' });
      const replay = await lifecycle.review.submit(token, marks, at(4.5)).catch((e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)));
      const state = await lifecycle.state('fraud');
      const proposalId = outcome.status === 'recorded' ? outcome.proposalId : null;
      const proposal = proposalId ? await lifecycle.proposal('fraud', proposalId) : undefined;
      await lifecycle.checkDue(at(5)); // the gate's turn: the proposal's one notice
      await ingest('b-6', 40, 1.5, 6);
      const next = await lifecycle.check('fraud', at(7));
      const html = next.status === 'checked' ? Buffer.from((await store.get(next.reportKeys.html))?.body ?? new Uint8Array()).toString('utf8') : '';
      const log = await lifecycle.decisionLog('fraud');

      // Assess: the request
      expect(reviewNotices()).toHaveLength(1);
      const afterMarker = request.text.slice(request.text.indexOf(REVIEW_LINKS_MARKER));
      expect([...request.text.matchAll(/https?:\/\//g)]).toHaveLength(1);
      expect(afterMarker).toContain('https://decide.test/decide?token=');
      expect(request.subject).toMatch(/^\[driftgate\] fraud: review 10 rows/);
      expect(shown.rows).toHaveLength(10);
      expect(shown.columns).toEqual(['amount', 'country']);
      expect(shown.rows.filter((r) => r.pick === 'typical')).toHaveLength(2);
      expect(shown.rows.filter((r) => r.pick === 'shifted').every((r) => /: \S+ of current rows, \S+ of the reference$/.test(r.why))).toBe(true);
      // The verdicts, once
      expect(outcome).toMatchObject({ status: 'recorded', tally: { wrong: 5, right: 3, unsure: 2, wrongShare: 5 / 8 } });
      expect(replay).toBe('replayed');
      // The proposal, through the same machinery: the active slot, the gate's notice, no retrain without a decision
      expect(proposal?.reasons.triggers[0]).toMatch(/^human-review: reviewers marked 5 of 8 rows "looks wrong"/);
      expect(proposal?.mode).toBe('manual');
      expect(state?.activeProposalId).toBe(proposalId);
      expect(sent.filter((n) => n.proposalId === proposalId)).toHaveLength(1);
      const humanNotice = sent.find((n) => n.proposalId === proposalId);
      expect(humanNotice?.subject).toMatch(/^\[driftgate\] fraud: reviewers: rows look wrong - decide by /);
      expect(humanNotice?.text.split('\n')[0]).toBe('Retrain asked for by people: reviewers marked 5 of 8 rows "looks wrong" (63%, above 30%).');
      expect(await readEventFile(eventsFile)).toEqual([]);
      // The decision log and the next report
      expect(log.map((e) => e.action)).toEqual(expect.arrayContaining(['review-request', 'review-notice', 'review-verdicts', 'propose']));
      expect(log.find((e) => e.action === 'propose' && e.proposalId === proposalId)?.evidence).toMatchObject({ reason: 'human-review' });
      expect(log.find((e) => e.action === 'review-verdicts')?.evidence).toMatchObject({ tally: { wrong: 5 }, rows: expect.arrayContaining([expect.objectContaining({ comment: 'amount <script>x</script> is impossible' })]) });
      expect(html).toContain('What reviewers said');
      expect(html).toContain('amount &lt;script&gt;x&lt;/script&gt; is impossible');
      expect(html).not.toContain('<script>x');
    });

    it.each([
      { name: 'a snooze holds', decision: 'snooze' as const, blocked: /^snoozed until / },
      { name: 'another proposal is active', decision: null, blocked: /^proposal \S+ is active$/ },
    ])('records the verdicts but opens no human-review proposal while $name (the blocked reason is logged)', async ({ decision, blocked }) => {
      // Prepare: a drifted check's proposal, snoozed for a week or left open
      await setUp();
      await ingest('b-2', 12, 1.5, 1);
      const checked = await lifecycle.check('fraud', at(2));
      if (checked.status !== 'checked' || !checked.proposal) throw new Error(`expected a proposal, got ${JSON.stringify(checked)}`);
      const notice = sent.find((n) => n.proposalId === checked.proposal?.proposalId) as Notice;
      if (decision !== null) {
        const link = [...notice.text.matchAll(/token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === decision) as string;
        await lifecycle.decide(link, decision, at(2.5), { snoozeSeconds: 7 * 86_400 });
      }
      await lifecycle.checkDue(at(3));
      const token = reviewTokenOf(reviewNotices()[0]);
      const shown = await lifecycle.review.describe(token, at(4));

      // Act: every row "looks wrong", far above wrongShare
      const outcome = await lifecycle.review.submit(token, shown.rows.map((r) => ({ index: r.index, verdict: 'wrong' as const })), at(4));
      const state = await lifecycle.state('fraud');
      const log = await lifecycle.decisionLog('fraud');

      // Assess
      expect(outcome).toMatchObject({ status: 'recorded', proposalId: null, blocked: expect.stringMatching(blocked) });
      expect(state?.activeProposalId ?? null).toBe(decision === null ? checked.proposal.proposalId : null);
      expect(log.filter((e) => e.action === 'propose').map((e) => e.proposalId)).toEqual([checked.proposal.proposalId]);
      expect(log.find((e) => e.entryId?.endsWith('/blocked'))?.evidence).toMatchObject({ proposal: 'not opened', reason: expect.stringMatching(blocked) });
      expect(await readEventFile(eventsFile)).toEqual([]);
    });

    it('takes two racing POSTs of one link once: one is recorded, the other is refused and its verdicts are not reported as recorded', async () => {
      // Prepare
      await setUp();
      await checkedAndRejected(2);
      await lifecycle.checkDue(at(3));
      const token = reviewTokenOf(reviewNotices()[0]);
      const shown = await lifecycle.review.describe(token, at(4));
      const allWrong = shown.rows.map((r) => ({ index: r.index, verdict: 'wrong' as const }));
      const allRight = shown.rows.map((r) => ({ index: r.index, verdict: 'right' as const }));

      // Act: the same link posted twice at once (a double click, two tabs) with different answers
      const outcomes = await Promise.all(
        [allWrong, allRight].map((marks) => lifecycle.review.submit(token, marks, at(4)).catch((e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)))),
      );
      const doc = await loadReview(lifecycle.repo, 'fraud');
      const log = await lifecycle.decisionLog('fraud');

      // Assess: exactly one recorded, and it is the one stored
      const recorded = outcomes.filter((o) => typeof o === 'object' && o.status === 'recorded');
      expect(recorded).toHaveLength(1);
      const other = outcomes.find((o) => !(typeof o === 'object' && o.status === 'recorded'));
      expect(typeof other === 'object' ? other.status === 'refused' && other.refusal : other).toMatch(/^(answered|replayed)$/);
      const won = recorded[0] as Extract<(typeof outcomes)[number], { status: 'recorded' }>;
      expect(doc.round?.verdicts?.tally).toEqual(won.tally);
      expect(log.filter((e) => e.action === 'review-verdicts')).toHaveLength(1);
    });

    it('sends at most `reminders` reminders, expires the unanswered round (logged), replaces its rows, and refuses the old link with the reason', async () => {
      // Prepare
      await setUp();
      await checkedAndRejected(2);

      // Act: a run every 4 hours for 30 hours; the round opens at 3 h and ends at 27 h.
      for (let h = 3; h <= 31; h += 4) await lifecycle.checkDue(at(h));
      const notices = reviewNotices();
      const oldToken = reviewTokenOf(notices[0]);
      const doc = await loadReview(lifecycle.repo, 'fraud');
      const late = await lifecycle.review.submit(oldToken, [{ index: 0, verdict: 'wrong' }], at(32));
      const shownLate = await lifecycle.review.describe(oldToken, at(32));
      const forged = `${oldToken.slice(0, -2)}xx`;
      const forgedProblem = await lifecycle.review.submit(forged, [{ index: 0, verdict: 'wrong' }], at(32)).catch((e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)));
      const expiredProblem = await lifecycle.review.submit(oldToken, [{ index: 0, verdict: 'wrong' }], at(3 + 49)).catch((e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)));
      const otherModel = signToken({ proposalId: doc.round?.reviewId ?? '', modelId: 'fraud', action: 'approve', exp: Math.floor(at(40).getTime() / 1000), nonce: 'nonce-review-1' }, SECRET);
      const wrongAction = await lifecycle.review.describe(otherModel, at(32)).catch((e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)));
      const log = await lifecycle.decisionLog('fraud');

      // Assess: round 1 got its request and two reminders, no more; then round 2's request.
      const first = notices.filter((n) => n.proposalId === notices[0].proposalId);
      expect(first.map((n) => (n.text.startsWith('Reminder') ? 'reminder' : 'request'))).toEqual(['request', 'reminder', 'reminder']);
      expect(first[2].text).toContain('This is the last reminder.');
      expect(log.filter((e) => e.action === 'review-expired').map((e) => e.evidence.reviewId)).toEqual([notices[0].proposalId]);
      expect(doc.round?.reviewId).not.toBe(notices[0].proposalId);
      expect(doc.past.map((p) => p.status)).toEqual(['expired']);
      expect(late).toMatchObject({ status: 'refused', refusal: 'replaced' });
      expect(late.status === 'refused' ? late.message : '').toContain('replaced by a newer review');
      expect(shownLate.closed).toContain('replaced');
      expect(forgedProblem).toBe('forged');
      expect(expiredProblem).toBe('expired');
      expect(wrongAction).toBe('wrong-action');
      // The model kept working: every scheduled check ran.
      expect(log.filter((e) => e.action === 'check-failed')).toEqual([]);
      expect((await lifecycle.state('fraud'))?.lastCheckAt).not.toBeNull();
      expect(await store.get(reportKey('fraud', (await lifecycle.state('fraud'))?.history.at(-1)?.checkId ?? '', 'json'))).toBeDefined();
    });
  });
}
