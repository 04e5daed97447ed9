import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../functions/adapters/console-notifier.js';
import { FileEventSink, readEventFile } from '../../functions/adapters/file-event-sink.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import type { ModelConfigInput } from '../../functions/core/lifecycle/config.js';
import { DecisionTokenError, peekToken, signToken } from '../../functions/core/lifecycle/token.js';
import type { DecisionAction } from '../../functions/core/lifecycle/types.js';
import type { EventSink, Notice, Notifier, ObjectStore } from '../../functions/core/ports.js';
import { Lifecycle, type LifecycleDeps } from '../../functions/service/lifecycle.js';
import { signSources } from '../../functions/adapters/sign-sources.js';

const SECRET = 'lifecycle-test-secret';
const T0 = Date.parse('2026-02-02T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (hours: number): Date => new Date(T0 + hours * HOUR);

let dir: string;
let store: ObjectStore;
let another: () => ObjectStore;
let cleanup: (() => Promise<void>) | undefined;
let sent: (Notice & { messageId: string })[];
let eventsFile: string;

function deps(overrides: Partial<LifecycleDeps> = {}): LifecycleDeps {
  return flowDeps(store, dir, sent, { secret: SECRET, decideBaseUrl: 'https://decide.test/prod/', ...overrides });
}

/**
 * A flow suite's Lifecycle over `store`: notices written under `<dir>/outbox` and collected in `sent`,
 * lifecycle events in `<dir>/events.jsonl` (eventsFileIn), real signing; the secret and decide URL as given.
 */
export function flowDeps(store: ObjectStore, dir: string, sent: Notice[], overrides: Partial<LifecycleDeps> & Pick<LifecycleDeps, 'secret' | 'decideBaseUrl'>): LifecycleDeps {
  return {
    store,
    notifier: new ConsoleNotifier(path.join(dir, 'outbox'), (n) => sent.push(n)),
    events: new FileEventSink(eventsFileIn(dir)),
    sign: signSources,
    ...overrides,
  };
}

/** The file a flowDeps Lifecycle writes its events to. */
export const eventsFileIn = (dir: string): string => path.join(dir, 'events.jsonl');

export function config(extra: Partial<ModelConfigInput> = {}): ModelConfigInput {
  return {
    schemaVersion: 1,
    modelId: 'fraud',
    batchPrefix: 'batches/fraud/',
    cadence: { minCheckInterval: '6h', maxCheckInterval: '4d', minRetrainInterval: '1d', maxRetrainInterval: '60d' },
    proposalTtl: '72h',
    ...extra,
  };
}

/** Deterministic batch as Arrow IPC: `shift` moves the amount mean (in sds) and the country mix. */
export function batch(seed: number, shift = 0, rows = 1500): Uint8Array {
  return tableToIPC(tableFromArrays(batchColumns(seed, shift, rows)), 'file');
}

/** The columns of `batch(seed, shift, rows)`, for a batch that adds its own. */
export function batchColumns(seed: number, shift = 0, rows = 1500): { amount: Float64Array; country: string[] } {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s + 0.5) / 4_294_967_296;
  };
  const amount = new Float64Array(rows);
  const country: string[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    amount[i] = 100 + 15 * (z + shift);
    country.push(rand() < 0.6 - 0.4 * Math.min(shift, 1) ? 'US' : rand() < 0.5 ? 'DE' : 'IN');
  }
  return { amount, country };
}

async function setUpModel(lifecycle: Lifecycle, extra: Partial<ModelConfigInput> = {}): Promise<void> {
  await lifecycle.putConfig(config(extra));
  await store.put('training/fraud/v1.arrow', batch(1));
  await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
}

async function upload(lifecycle: Lifecycle, name: string, seed: number, shift: number, when: Date): Promise<void> {
  const key = `batches/fraud/${name}.arrow`;
  await store.put(key, batch(seed, shift));
  await lifecycle.ingest(key, when);
}

export function tokenFor(notice: Notice, action: DecisionAction): string {
  const token = [...notice.text.matchAll(/[?&]token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === action);
  if (!token) throw new Error(`no ${action} link in the notice`);
  return token;
}

async function refused(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return err instanceof DecisionTokenError ? err.problem : `other: ${String(err)}`;
  }
  return undefined;
}

/** A drifted batch checked at `hours`: opens a proposal and returns its id. */
async function proposeAt(lifecycle: Lifecycle, hours: number): Promise<string> {
  await upload(lifecycle, `drift-${hours}`, 100 + hours, 1.5, at(hours - 1));
  const outcome = await lifecycle.check('fraud', at(hours));
  if (outcome.status !== 'checked' || !outcome.proposal) throw new Error(`expected a proposal, got ${JSON.stringify(outcome)}`);
  return outcome.proposal.proposalId;
}

/** A store under test: a fresh empty one, a second client over the same data (for races), and its cleanup. */
export interface ConformanceStore {
  readonly store: ObjectStore;
  readonly another: () => ObjectStore;
  readonly cleanup?: () => Promise<void>;
}

/**
 * The lifecycle's behaviour over any ObjectStore: run it over the local folder store and over S3 (moto).
 * Notices and events go to local files (their own ports are tested elsewhere).
 */
export function lifecycleConformance(label: string, open: (scratchDir: string) => Promise<ConformanceStore>): void {
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-lifecycle-'));
  const opened = await open(dir);
  store = opened.store;
  another = opened.another;
  cleanup = opened.cleanup;
  sent = [];
  eventsFile = eventsFileIn(dir);
});
afterEach(async () => {
  await cleanup?.();
  await rm(dir, { recursive: true, force: true });
});

describe(`Function: Lifecycle.ingest (${label})`, () => {
  it('stores one signature for the same upload delivered twice, and ignores keys of no model', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await store.put('batches/fraud/a.arrow', batch(2));

    // Act
    const first = await lifecycle.ingest('batches/fraud/a.arrow', at(1));
    const again = await lifecycle.ingest('batches/fraud/a.arrow', at(2));
    const racing = await Promise.all([1, 2, 3].map(() => new Lifecycle(deps()).ingest('batches/fraud/a.arrow', at(3))));
    const other = await lifecycle.ingest('uploads/elsewhere/x.arrow', at(1));
    const marker = await lifecycle.ingest('batches/fraud/_SUCCESS', at(1));

    // Assess
    expect(first.status).toBe('stored');
    expect(again.status).toBe('duplicate');
    expect(racing.every((r) => r.status === 'duplicate')).toBe(true);
    expect(await store.list('signatures/fraud/')).toHaveLength(1);
    expect(other.status).toBe('ignored');
    expect(marker.status).toBe('ignored');
  });

  it('refuses a bad file with an InvalidInputError naming its key; other batches are unaffected', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await store.put('batches/fraud/bad.arrow', 'this is not a columnar file at all');
    await store.put('batches/fraud/good.arrow', batch(3));

    // Act
    let error: unknown;
    try {
      await lifecycle.ingest('batches/fraud/bad.arrow', at(1));
    } catch (err) {
      error = err;
    }
    const good = await lifecycle.ingest('batches/fraud/good.arrow', at(1));

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).file).toBe('batches/fraud/bad.arrow');
    expect(good.status).toBe('stored');
  });
});

describe(`Function: Lifecycle.check (${label})`, () => {
  it('returns no-reference before a reference and no-data without new batches', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await lifecycle.putConfig(config());

    // Act
    const before = await lifecycle.check('fraud', at(1));
    await store.put('training/fraud/v1.arrow', batch(1));
    await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(2), 'v1');
    const empty = await lifecycle.check('fraud', at(3));

    // Assess
    expect(before.status).toBe('no-reference');
    expect(empty).toMatchObject({ status: 'no-data', checkIntervalSeconds: 6 * 3600 });
  });

  it('checks stable data without a proposal, writes the reports and relaxes the cadence', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await upload(lifecycle, 'same', 7, 0, at(5));

    // Act
    const outcome = await lifecycle.check('fraud', at(6));

    // Assess
    expect(outcome.status).toBe('checked');
    if (outcome.status !== 'checked') return;
    expect(outcome.verdict).toBe('no-drift');
    expect(outcome.proposal).toBeNull();
    expect(outcome.cadenceChange).toMatchObject({ previousIntervalSeconds: 6 * 3600, checkIntervalSeconds: 12 * 3600 });
    expect((await store.get(outcome.reportKeys.html))?.body.length).toBeGreaterThan(100);
    expect(JSON.parse(Buffer.from((await store.get(outcome.reportKeys.json))?.body ?? []).toString()).result.verdict).toBe('no-drift');
    const state = await lifecycle.state('fraud');
    expect(state?.consumed).toHaveLength(1);
    expect(state?.history).toHaveLength(1);
    expect((await lifecycle.decisionLog('fraud')).map((e) => e.action)).toEqual(['set-reference', 'check', 'cadence']);
  });

  it('two checks racing on one model open exactly one proposal and send one notice', async () => {
    // Prepare
    const a = new Lifecycle(deps());
    await setUpModel(a);
    await upload(a, 'drifted', 9, 1.5, at(5));
    const b = new Lifecycle({ ...deps(), store: another() });

    // Act
    const outcomes = await Promise.all([a.check('fraud', at(6)), b.check('fraud', at(6))]);

    // Assess
    expect(await store.list('proposals/fraud/')).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(sent[0].subject).toMatch(/^\[driftgate\] fraud: drift/);
    const withProposal = outcomes.filter((o) => o.status === 'checked' && o.proposal);
    expect(withProposal).toHaveLength(1);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['checked', 'no-data']);
  });
});

describe(`Function: Lifecycle.decide (${label})`, () => {
  it('an approval emits exactly one retrain event, however often it is approved', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    const proposalId = await proposeAt(lifecycle, 6);
    const token = tokenFor(sent[0], 'approve');
    const second = signToken({ proposalId, modelId: 'fraud', action: 'approve', exp: T0 / 1000 + 10 * 86_400, nonce: 'another-nonce' }, SECRET);

    // Act
    const first = await lifecycle.decide(token, 'approve', at(7), { actor: 'alice' });
    const replay = await refused(lifecycle.decide(token, 'approve', at(7)));
    const concurrent = await Promise.all(
      [1, 2].map(() => lifecycle.decide(second, 'approve', at(8)).then((o) => (o.status === 'already-decided' ? o.proposalStatus : o.status), (e: unknown) => (e instanceof DecisionTokenError ? e.problem : String(e)))),
    );

    // Assess
    expect(first).toMatchObject({ status: 'decided', action: 'approve', proposalId });
    expect(replay).toBe('replayed');
    expect(concurrent.sort()).toEqual(['approved', 'replayed']);
    const events = await readEventFile(eventsFile);
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({ type: 'RetrainRequested', modelId: 'fraud', proposalId, reason: 'approved', decidedBy: 'alice' });
    expect(events[0].event.evidence.driftedFeatures.length).toBeGreaterThan(0);
    const proposal = await lifecycle.proposal('fraud', proposalId);
    expect(proposal?.retrainEvent?.messageId).toBe(events[0].messageId);
    expect(first.status === 'decided' && first.retrainMessageId).toBe(events[0].messageId);
  });

  it('an approval whose event could not be published is published once by a later checkDue', async () => {
    // Prepare: the event bus fails on the first publish (an outage no emulator produces on demand)
    const file = new FileEventSink(eventsFile);
    let calls = 0;
    const flaky: EventSink = { publish: (e) => (++calls === 1 ? Promise.reject(new Error('bus down')) : file.publish(e)) };
    const lifecycle = new Lifecycle(deps({ events: flaky }));
    await setUpModel(lifecycle);
    const proposalId = await proposeAt(lifecycle, 6);

    // Act
    const failed = await lifecycle.decide(tokenFor(sent[0], 'approve'), 'approve', at(7));
    await lifecycle.checkDue(at(7));
    const eventsRightAfter = (await readEventFile(eventsFile)).length;
    await lifecycle.checkDue(at(8));
    await lifecycle.checkDue(at(9));

    // Assess
    // The approval is recorded: the outcome says so, with the event pending (it used to throw 'bus down',
    // which told the approver nothing was decided while the proposal was already approved).
    expect(failed).toMatchObject({ status: 'decided', action: 'approve', proposalId, retrainPending: { error: expect.stringMatching(/bus down/) } });
    expect((await lifecycle.proposal('fraud', proposalId))?.status).toBe('approved');
    expect(eventsRightAfter).toBe(0);
    const events = await readEventFile(eventsFile);
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({ proposalId, reason: 'approved' });
    expect((await lifecycle.proposal('fraud', proposalId))?.retrainEvent?.messageId).toBe(events[0].messageId);
  });

  it('refuses forged, expired, wrong-action and replayed tokens; describeToken does not consume', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    const proposalId = await proposeAt(lifecycle, 6);
    const reject = tokenFor(sent[0], 'reject');
    const forged = signToken({ proposalId, modelId: 'fraud', action: 'approve', exp: T0 / 1000 + 86_400, nonce: 'forged-nonce' }, 'not-the-secret');

    // Act
    const described = await lifecycle.describeToken(reject, at(7));
    const problems = [
      await refused(lifecycle.decide(forged, 'approve', at(7))),
      await refused(lifecycle.decide(reject, 'approve', at(7))),
      await refused(lifecycle.decide(tokenFor(sent[0], 'approve'), 'approve', at(6 + 72))),
    ];
    const rejected = await lifecycle.decide(reject, 'reject', at(8), { reason: 'seasonal' });
    const replayed = await refused(lifecycle.decide(reject, 'reject', at(8)));

    // Assess
    expect(described).toMatchObject({ proposalId, action: 'reject', consumed: false });
    expect(described.proposal.status).toBe('open');
    expect(problems).toEqual(['forged', 'wrong-action', 'expired']);
    expect(rejected).toMatchObject({ status: 'decided', action: 'reject' });
    expect(replayed).toBe('replayed');
    expect(await readEventFile(eventsFile)).toHaveLength(0);
  });

  it('a rejection is not re-notified for the same evidence', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await proposeAt(lifecycle, 6);
    await lifecycle.decide(tokenFor(sent[0], 'reject'), 'reject', at(7));

    // Act
    await upload(lifecycle, 'drift-again', 55, 1.5, at(10));
    const afterReject = await lifecycle.check('fraud', at(12));

    // Assess
    expect(afterReject.status === 'checked' && afterReject.proposal).toBeNull();
    expect(afterReject.status === 'checked' && afterReject.suppressed).toMatch(/rejected/);
    expect(sent).toHaveLength(1);
    const log = (await lifecycle.decisionLog('fraud')).map((e) => e.action);
    expect(log).toContain('reject');
  });

  it('a snooze holds back new proposals until it ends', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await proposeAt(lifecycle, 6);
    const snoozed = await lifecycle.decide(tokenFor(sent[0], 'snooze'), 'snooze', at(7), { snoozeSeconds: 2 * 86_400 });

    // Act
    await upload(lifecycle, 'during', 61, 1.5, at(20));
    const during = await lifecycle.check('fraud', at(24));
    await upload(lifecycle, 'after', 62, 1.5, at(60));
    const after = await lifecycle.check('fraud', at(7 + 48 + 1));

    // Assess
    expect(snoozed).toMatchObject({ status: 'decided', action: 'snooze', snoozedUntil: at(7 + 48).toISOString() });
    expect(during.status === 'checked' && during.suppressed).toMatch(/snoozed/);
    expect(after.status === 'checked' && after.proposal?.proposalId).toBeTruthy();
    expect(sent).toHaveLength(2);
  });
});

describe(`Function: Lifecycle.checkDue (${label})`, () => {
  it('a manual proposal left alone expires and nothing retrains', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    const proposalId = await proposeAt(lifecycle, 6);

    // Act
    const before = await lifecycle.checkDue(at(6 + 71));
    const expiry = await lifecycle.checkDue(at(6 + 72));
    const later = await lifecycle.checkDue(at(6 + 24 * 30));

    // Assess
    expect(before.models[0].proposals).toEqual([]);
    expect(expiry.models[0].proposals).toEqual([{ proposalId, action: 'expire' }]);
    expect(later.models[0].proposals).toEqual([]);
    expect((await lifecycle.proposal('fraud', proposalId))?.status).toBe('expired');
    expect(await readEventFile(eventsFile)).toHaveLength(0);
    expect((await lifecycle.decisionLog('fraud')).filter((e) => e.action === 'expire')).toHaveLength(1);
  });

  it('veto mode retrains after the window once the notice was delivered, never before', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle, { approval: { mode: 'veto', vetoWindow: '24h' } });
    const proposalId = await proposeAt(lifecycle, 6);

    // Act
    const early = await lifecycle.checkDue(at(6 + 23));
    const elapsed = await lifecycle.checkDue(at(6 + 24));

    // Assess
    expect(early.models[0].proposals).toEqual([]);
    expect(elapsed.models[0].proposals).toMatchObject([{ proposalId, action: 'veto-window-elapsed' }]);
    const events = await readEventFile(eventsFile);
    expect(events).toHaveLength(1);
    expect(events[0].event.reason).toBe('veto-window-elapsed');
  });

  it('veto mode never retrains when the notice could not be delivered, however long one waits', async () => {
    // Prepare: a notifier that always fails (an outage no emulator reproduces on demand)
    const failing: Notifier = { send: () => Promise.reject(new Error('SNS unavailable')) };
    const lifecycle = new Lifecycle(deps({ notifier: failing }));
    await setUpModel(lifecycle, { approval: { mode: 'veto', vetoWindow: '24h' } });
    const proposalId = await proposeAt(lifecycle, 6);

    // Act
    const actions: string[] = [];
    for (let h = 12; h <= 24 * 10; h += 24) {
      const due = await lifecycle.checkDue(at(6 + h));
      actions.push(...due.models.flatMap((m) => m.proposals.map((p) => p.action)));
    }

    // Assess
    expect(await readEventFile(eventsFile)).toHaveLength(0);
    expect(actions).not.toContain('veto-window-elapsed');
    expect(actions).toContain('notice-failed');
    const proposal = await lifecycle.proposal('fraud', proposalId);
    expect(proposal?.notice).toBeNull();
    expect(proposal?.status).toBe('expired');
  });

  it('isolates a failing model: the others are still checked', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await lifecycle.putConfig(config({ modelId: 'churn', batchPrefix: 'batches/churn/' }));
    await store.put('training/churn/v1.arrow', batch(4));
    await lifecycle.setReference('churn', ['training/churn/v1.arrow'], at(0), 'v1');
    await upload(lifecycle, 'x', 8, 0, at(5));
    await store.put('batches/churn/y.arrow', batch(9));
    await lifecycle.ingest('batches/churn/y.arrow', at(5));
    await store.put('references/churn/v1.json', '{"broken": true}');

    // Act
    const due = await lifecycle.checkDue(at(7));

    // Assess
    const churn = due.models.find((m) => m.modelId === 'churn');
    const fraud = due.models.find((m) => m.modelId === 'fraud');
    expect(churn?.error).toMatch(/references\/churn\/v1\.json/);
    expect(fraud?.check?.status).toBe('checked');
    const recorded = (await lifecycle.decisionLog('churn')).filter((e) => e.action === 'check-failed');
    expect(recorded).toHaveLength(1);
    expect(String(recorded[0].evidence.error)).toMatch(/references\/churn\/v1\.json/);
  });
});

describe(`Function: Lifecycle.adopt (${label})`, () => {
  it('adopts the retrained version: new reference, proposal closed, cadence restarted at the minimum', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    const proposalId = await proposeAt(lifecycle, 6);
    await lifecycle.decide(tokenFor(sent[0], 'approve'), 'approve', at(7));
    await store.put('training/fraud/v2.arrow', batch(77, 1.5));

    // Act
    const adopted = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'] }, at(30));
    const again = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'] }, at(31));
    await upload(lifecycle, 'new-normal', 78, 1.5, at(40));
    const check = await lifecycle.check('fraud', at(41));

    // Assess
    expect(adopted).toMatchObject({ status: 'adopted', version: 'v2', proposalId, nextCheckAt: at(36).toISOString() });
    expect(again.status).toBe('already-adopted');
    expect((await lifecycle.proposal('fraud', proposalId))?.status).toBe('adopted');
    const state = await lifecycle.state('fraud');
    expect(state?.reference.version).toBe('v2');
    expect(check.status === 'checked' && check.verdict).toBe('no-drift');
    expect((await lifecycle.decisionLog('fraud')).map((e) => e.action)).toEqual(
      expect.arrayContaining(['set-reference', 'check', 'propose', 'notice', 'approve', 'retrain', 'adopt']),
    );
  });
});

describe(`Function: Lifecycle (reviewer regressions, ${label})`, () => {
  /** The store, except that the next conditional write of a proposal fails once (a transient outage no emulator produces on demand). */
  function failingOnce(): { store: ObjectStore; arm: () => void } {
    let armed = false;
    const wrapped: ObjectStore = Object.create(store) as ObjectStore;
    wrapped.putIfMatch = async (key, body, etag) => {
      if (armed && key.startsWith('proposals/')) {
        armed = false;
        throw new Error('transient S3 500');
      }
      return store.putIfMatch(key, body, etag);
    };
    return { store: wrapped, arm: () => (armed = true) };
  }

  it('a transient failure of the proposal write does not burn the link: its retry decides', async () => {
    // Prepare
    const failing = failingOnce();
    const lifecycle = new Lifecycle(deps({ store: failing.store }));
    await setUpModel(lifecycle);
    const proposalId = await proposeAt(lifecycle, 6);
    const reject = tokenFor(sent[0], 'reject');

    // Act
    failing.arm();
    const first = await refused(lifecycle.decide(reject, 'reject', at(7)));
    const describedBetween = await lifecycle.describeToken(reject, at(7));
    const retry = await lifecycle.decide(reject, 'reject', at(7));
    const again = await refused(lifecycle.decide(reject, 'reject', at(8)));

    // Assess
    expect(first).toMatch(/transient S3 500/);
    expect(describedBetween.consumed).toBe(false);
    expect(retry).toMatchObject({ status: 'decided', action: 'reject', proposalId });
    expect((await lifecycle.proposal('fraud', proposalId))?.status).toBe('rejected');
    expect((await lifecycle.state('fraud'))?.activeProposalId).toBeNull();
    expect(again).toBe('replayed');
  });

  it('a store that gives up on the link marker (409 after retries -> false) is not reported as a replay', async () => {
    // Prepare: putIfAbsent on tokens/ answers false without writing (S3Store's answer after repeated 409s, which moto does not produce).
    const wrapped: ObjectStore = Object.create(store) as ObjectStore;
    wrapped.putIfAbsent = async (key, body) => (key.startsWith('tokens/') ? false : store.putIfAbsent(key, body));
    const lifecycle = new Lifecycle(deps({ store: wrapped }));
    await setUpModel(lifecycle);
    const proposalId = await proposeAt(lifecycle, 6);
    const other = signToken({ proposalId, modelId: 'fraud', action: 'reject', exp: T0 / 1000 + 10 * 86_400, nonce: 'other-nonce' }, SECRET);

    // Act
    const approved = await lifecycle.decide(tokenFor(sent[0], 'approve'), 'approve', at(7));
    const late = await lifecycle.decide(other, 'reject', at(8));

    // Assess
    expect(approved).toMatchObject({ status: 'decided', action: 'approve', proposalId });
    expect(late).toMatchObject({ status: 'already-decided', proposalStatus: 'approved' });
    expect(await readEventFile(eventsFile)).toHaveLength(1);
  });

  it('refuses another spelling of a valid link (base64url spare bits) and keeps single use per decision', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await proposeAt(lifecycle, 6);
    const approve = tokenFor(sent[0], 'approve');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const variant = approve.slice(0, -1) + alphabet[alphabet.indexOf(approve.slice(-1)) ^ 1];

    // Act
    const spelled = await refused(lifecycle.decide(variant, 'approve', at(7)));
    const decided = await lifecycle.decide(approve, 'approve', at(7));

    // Assess
    expect(spelled).toBe('malformed');
    expect(decided).toMatchObject({ status: 'decided', action: 'approve' });
  });

  it('a batch holding Number.MAX_VALUE is checked with a finite drift index and does not brick the model', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    const rows = 1500;
    const amount = Float64Array.from({ length: rows }, (_, i) => (i % 10 === 0 ? Number.MAX_VALUE : 100 + (i % 30)));
    const country = Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 'DE' : 'US'));
    await store.put('batches/fraud/sentinel.arrow', tableToIPC(tableFromArrays({ amount, country }), 'file'));
    await lifecycle.ingest('batches/fraud/sentinel.arrow', at(7));

    // Act
    const first = await lifecycle.check('fraud', at(7));
    await upload(lifecycle, 'after', 3, 0, at(13));
    const second = await lifecycle.check('fraud', at(14));

    // Assess
    expect(first).toMatchObject({ status: 'checked', verdict: 'drift' });
    expect(first.status === 'checked' && Number.isFinite(first.driftIndex)).toBe(true);
    expect(second).toMatchObject({ status: 'checked' });
    expect((await lifecycle.state('fraud'))?.history.every((h) => Number.isFinite(h.driftIndex))).toBe(true);
  });

  it('one broken config fails only the uploads under its prefix, naming it', async () => {
    // Prepare
    const lifecycle = new Lifecycle(deps());
    await setUpModel(lifecycle);
    await store.put('config/other.json', JSON.stringify({ schemaVersion: 1, modelId: 'other', batchPrefix: 'batches/other/', cadence: { minCheckInterval: 'soon' } }));
    await store.put('batches/fraud/ok.arrow', batch(2));
    await store.put('batches/other/b.arrow', batch(2));
    await store.put('uploads/stray.arrow', batch(2));

    // Act
    const own = await lifecycle.ingest('batches/fraud/ok.arrow', at(1));
    const stray = await lifecycle.ingest('uploads/stray.arrow', at(1));
    const broken = await lifecycle.ingest('batches/other/b.arrow', at(1)).then(
      () => 'ok',
      (e: unknown) => String(e),
    );

    // Assess
    expect(own.status).toBe('stored');
    expect(stray.status).toBe('ignored');
    expect(broken).toMatch(/config\/other\.json/);
    expect(broken).toMatch(/minCheckInterval/);
  });
});
}
