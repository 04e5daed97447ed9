import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { ConsoleNotifier } from '../adapters/console-notifier.js';
import { FileEventSink } from '../adapters/file-event-sink.js';
import { LocalStore } from '../adapters/local-store.js';
import { signSources } from '../adapters/sign-sources.js';
import { autonomyView, rulesFromApproval } from '../core/lifecycle/autonomy.js';
import { peekToken } from '../core/lifecycle/token.js';
import { REVIEW_LINKS_MARKER } from '../core/report/review-notice.js';
import { plainText } from '../core/text/plain.js';
import { formatNumber } from '../core/format.js';
import type { Notice } from '../core/ports.js';
import { mulberry32 } from '../core/random.js';
import { Lifecycle } from '../service/lifecycle.js';

/**
 * The demo's humans-in-the-loop chapter: one model earns more autonomy, then people review its data.
 * Two drifted weeks, each proposal approved through its notice's signed link and adopted; then the gate's
 * run sends the owner an offer to move from manual to veto, and the owner accepts it through the offer's
 * own signed link. The same run opened a review round (the model has `review`): the request names the
 * sampled rows, the reviewer marks them through the review link, and a high "looks wrong" share opens a
 * `human-review` proposal, which the gate notifies like any other.
 */

/** A line of the chapter (`--json`: one object a line, with `type`, `modelId` and `at`). */
export type HumansLine = { type: 'proposal' | 'decision' | 'adopt' | 'autonomy' | 'review'; modelId: string; at: string } & Record<string, unknown>;

const MODEL = 'pricing';
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Rows of amount (normal, shifted by `shift` sds) and country, as Arrow IPC. */
function batchBytes(rand: () => number, shift: number, rows = 1500): Uint8Array {
  const amount = new Float64Array(rows);
  const country: string[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    amount[i] = 50 + 10 * (z + shift);
    country.push(rand() < 0.7 ? 'US' : 'DE');
  }
  return tableToIPC(tableFromArrays({ amount, country }), 'file');
}

function tokenIn(notice: Notice, action: string): string {
  const token = [...notice.text.matchAll(/[?&]token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === action);
  if (!token) throw new Error(`demo: the notice "${notice.subject}" has no ${action} link`);
  return token;
}

/**
 * Run the chapter in its own folder (`<dir>`), from `startMs`; every step is emitted as a line.
 * @example
 * await runHumansChapter({ dir: path.join(dir, 'humans'), startMs, seed: 7, emit: (line, text) => console.log(text) });
 */
export async function runHumansChapter(opts: { readonly dir: string; readonly startMs: number; readonly seed: number; readonly emit: (line: HumansLine, text: string) => void }): Promise<{ readonly level: string; readonly approvals: number }> {
  await fs.mkdir(opts.dir, { recursive: true });
  const store = new LocalStore(opts.dir);
  const sent: Notice[] = [];
  const lifecycle = new Lifecycle({
    store,
    sign: signSources,
    notifier: new ConsoleNotifier(path.join(opts.dir, 'outbox'), (n) => sent.push(n)),
    events: new FileEventSink(path.join(opts.dir, 'events.jsonl')),
    secret: randomBytes(32),
    decideBaseUrl: 'http://127.0.0.1:8787',
  });
  const rand = mulberry32(opts.seed);
  const at = (days: number, hours: number): Date => new Date(opts.startMs + days * DAY + hours * HOUR);
  const stamp = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');
  const say = (line: HumansLine, text: string): void => opts.emit(line, `${stamp(new Date(line.at))}  ${MODEL.padEnd(6)} ${text}`);

  const config = await lifecycle.putConfig({ schemaVersion: 1, modelId: MODEL, batchPrefix: `batches/${MODEL}/`, approval: { promoteAfter: 2 }, review: { every: '7d', rows: 6 } });
  await store.put(`training/${MODEL}/v1.arrow`, batchBytes(rand, 0));
  await lifecycle.setReference(MODEL, [`training/${MODEL}/v1.arrow`], at(0, 6), 'v1');
  say({ type: 'adopt', modelId: MODEL, at: at(0, 6).toISOString(), version: 'v1', initial: true }, 'humans in the loop: reference v1; autonomy level manual (only an approval retrains), an offer of veto after 2 approvals in a row');

  let approvals = 0;
  for (let round = 1; round <= 2; round++) {
    const day = round * 7;
    const key = `batches/${MODEL}/week-${round}.arrow`;
    await store.put(key, batchBytes(rand, 1.5 * round));
    await lifecycle.ingest(key, at(day, 2));
    const check = await lifecycle.check(MODEL, at(day, 8));
    if (check.status !== 'checked' || check.proposal === null) throw new Error(`demo: expected a proposal for ${MODEL} in week ${round}`);
    const { proposalId } = check.proposal;
    say({ type: 'proposal', modelId: MODEL, at: at(day, 8).toISOString(), proposalId }, `retrain proposal ${proposalId} (drift index ${check.driftIndex.toFixed(2)}); notice sent`);
    const notice = sent.find((n) => n.proposalId === proposalId);
    if (!notice) throw new Error(`demo: no notice for ${proposalId}`);
    await lifecycle.decide(tokenIn(notice, 'approve'), 'approve', at(day, 10), { actor: 'owner@example.com' });
    approvals++;
    const view = autonomyView((await lifecycle.state(MODEL))!.autonomy, rulesFromApproval(config.approval));
    say({ type: 'decision', modelId: MODEL, at: at(day, 10).toISOString(), proposalId, action: 'approve', record: view.record }, `owner@example.com approved ${proposalId}; track record: ${view.record}`);
    await lifecycle.adopt(MODEL, { version: `v${round + 1}`, trainingData: [key] }, at(day + 1, 4));
    say({ type: 'adopt', modelId: MODEL, at: at(day + 1, 4).toISOString(), version: `v${round + 1}` }, `adopted v${round + 1}`);
  }

  // The gate's scheduled run sends the owner the offer the second approval earned.
  await lifecycle.checkDue(at(16, 8));
  const offer = sent.find((n) => n.subject.includes('offer: move up'));
  if (!offer) throw new Error('demo: no offer notice');
  say({ type: 'autonomy', modelId: MODEL, at: at(16, 8).toISOString(), kind: 'offer', from: 'manual', to: 'veto', subject: offer.subject }, `offer sent to the owner: "${offer.subject}"`);
  const accepted = await lifecycle.owner.act(tokenIn(offer, 'accept-level'), at(16, 9), { actor: 'owner@example.com' });
  const view = autonomyView((await lifecycle.state(MODEL))!.autonomy, rulesFromApproval(config.approval));
  say(
    { type: 'autonomy', modelId: MODEL, at: at(16, 9).toISOString(), kind: 'level', from: 'manual', to: view.level, status: accepted.status },
    `owner@example.com accepted through the signed link: level manual -> ${view.level}. Next: ${view.nextStep}`,
  );

  // A review round: a new week's batch is sampled at ingest; the next scheduled run checks it, then opens
  // the round (stratified by that check) and sends the request.
  await store.put(`batches/${MODEL}/week-3.arrow`, batchBytes(rand, 3));
  await lifecycle.ingest(`batches/${MODEL}/week-3.arrow`, at(17, 2));
  const run = await lifecycle.checkDue(at(17, 8));
  const week3 = run.models.find((m) => m.modelId === MODEL)?.check;
  const request = sent.find((n) => n.text.includes(REVIEW_LINKS_MARKER));
  if (!request) throw new Error('demo: no review request');
  say(
    { type: 'review', modelId: MODEL, at: at(17, 8).toISOString(), kind: 'request', subject: request.subject, verdict: week3?.status === 'checked' ? week3.verdict : null },
    `week 3 checked (${week3?.status === 'checked' ? week3.verdict : 'no check'}); review request sent: "${request.subject}"`,
  );
  const reviewToken = tokenIn(request, 'review');
  const shown = await lifecycle.review.describe(reviewToken, at(17, 10));
  for (const row of shown.rows) {
    const show = (v: string | number | null | undefined): string => (typeof v === 'number' ? formatNumber(v, 4) : plainText(v ?? '(empty)', 24));
    const values = shown.columns.map((c) => `${plainText(c, 24)}=${show(row.values[c])}`).join(', ');
    say({ type: 'review', modelId: MODEL, at: at(17, 10).toISOString(), kind: 'row', index: row.index, pick: row.pick, why: row.why }, `  row ${row.index + 1} (${values}): ${plainText(row.why, 160)}`);
  }
  // The reviewer finds the shifted rows implausible and the typical ones fine.
  const marks = shown.rows.map((r) => ({ index: r.index, verdict: r.pick === 'shifted' ? ('wrong' as const) : ('right' as const) }));
  const reviewed = await lifecycle.review.submit(reviewToken, marks, at(17, 10), { actor: 'reviewer@example.com' });
  if (reviewed.status !== 'recorded') throw new Error(`demo: the review was refused: ${reviewed.message}`);
  const t = reviewed.tally;
  say(
    { type: 'review', modelId: MODEL, at: at(17, 10).toISOString(), kind: 'verdicts', tally: t, proposalId: reviewed.proposalId },
    `reviewer@example.com: ${t.right} looks right, ${t.wrong} looks wrong, ${t.unsure} not sure` +
      (reviewed.proposalId ? `; above the ${Math.round((config.review?.wrongShare ?? 0) * 100)}% level, so proposal ${reviewed.proposalId} opened (reason human-review, decided by a person)` : ''),
  );
  await lifecycle.checkDue(at(17, 12));
  const humanNotice = reviewed.proposalId ? sent.find((n) => n.proposalId === reviewed.proposalId) : undefined;
  if (reviewed.proposalId && humanNotice) {
    say({ type: 'proposal', modelId: MODEL, at: at(17, 12).toISOString(), proposalId: reviewed.proposalId, reason: 'human-review' }, `the gate sent its notice: "${humanNotice.subject}"`);
  }
  return { level: view.level, approvals };
}
