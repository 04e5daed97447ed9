/**
 * Review samples, the use cases: keep each batch's sample at ingest, open a review round on the model's
 * schedule (`runDueReviews`, beside `runDueChecks`), send its request and bounded reminders, show the rows
 * and take the verdicts from a signed link (the decision path), and open a `human-review` proposal when
 * the "looks wrong" share is high. The pure rules are in core/lifecycle/review.ts.
 *
 * Who does what in AWS (no new grant): the check function opens rounds (it reads signatures and reports
 * and writes `state/`), the gate sends the notices (it holds the signing key and the notices topic), the
 * decision function takes the verdicts and opens the proposal (`proposals/`, `state/`); the gate then tends
 * that proposal like any other, so the retrain topic is reached only by an approval, as before.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConfigError, DriftgateError, NotFoundError } from '../core/errors.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { compactTime, reportKey, reviewKey, rollupPeriodOf, sampleKey } from '../core/lifecycle/keys.js';
import { AUTOMATIC_ACTOR, CLAIM_LEASE_SECONDS, blocksNewProposal, openProposal } from '../core/lifecycle/proposal.js';
import { rulesFromApproval } from '../core/lifecycle/autonomy.js';
import {
  HUMAN_REVIEW_TRIGGER,
  type ReviewDoc,
  type ReviewRound,
  type ReviewRow,
  type RowVerdict,
  VERDICT_REFUSAL_TEXT,
  type VerdictRefusal,
  type VerdictTally,
  asksForRetrain,
  claimReviewNotice,
  emptyReviewDoc,
  expireRound,
  humanReviewTrigger,
  noticeOwed,
  pickReviewRows,
  recordVerdicts,
  replaceRound,
  reviewDocSchema,
  reviewDue,
  reviewNoticeSent,
  withReviewProposal,
} from '../core/lifecycle/review.js';
import { DecisionTokenError, REVIEW_ACTION, tokenUseId, verifyToken } from '../core/lifecycle/token.js';
import type { Log, Notifier } from '../core/ports.js';
import { parseReportJson } from '../core/report/report-json.js';
import { renderReviewNotice } from '../core/report/review-notice.js';
import type { ReviewReport } from '../core/report/review-section.js';
import { parseWith } from '../core/schema-parse.js';
import { type RowSample, decodeSample, encodeSample, mergeSamples } from '../core/signature/sample.js';
import type { ModelRepository } from './model-repository.js';
import type { LinkSigner, NoticeAttempt } from './notify.js';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}

function parseJson(body: Uint8Array, key: string, what: string): unknown {
  try {
    return JSON.parse(text(body));
  } catch (error) {
    throw new ConfigError(key, `not JSON (${what}): ${message(error)}`, { cause: error });
  }
}

const reviewCodec = {
  decode: (body: Uint8Array, key: string): ReviewDoc => parseWith(reviewDocSchema, parseJson(body, key, 'review round'), key),
  encode: (value: ReviewDoc, key: string): string => `${JSON.stringify({ ...parseWith(reviewDocSchema, value, `${key} (refused before writing)`), revision: randomUUID() })}\n`,
};

const sampleCodec = {
  decode: (body: Uint8Array, key: string): RowSample => decodeSample(parseJson(body, key, 'review sample'), key),
  encode: (value: RowSample): string => `${JSON.stringify(encodeSample(value))}\n`,
};

/** The model's review document (an empty one before its first round). */
export async function loadReview(repo: ModelRepository, modelId: string): Promise<ReviewDoc> {
  const key = reviewKey(modelId);
  const obj = await repo.store.get(key);
  return obj === undefined ? emptyReviewDoc(modelId) : reviewCodec.decode(obj.body, key);
}

function updateReview(repo: ModelRepository, modelId: string, change: (doc: ReviewDoc) => ReviewDoc | null) {
  return repo.update(reviewKey(modelId), reviewCodec, (current) => change(current ?? emptyReviewDoc(modelId)));
}

// ------------------------------------------------------------------------------------------------- ingest

/**
 * Merge one batch's sample into its day's sample (`signatures/<modelId>.samples/<day>.json`) through the
 * repository's one conditional-write loop. A re-delivered batch adds the same rows, which the merge keeps
 * once, so the write is skipped.
 */
export async function keepBatchSample(repo: ModelRepository, modelId: string, sample: RowSample, now: Date): Promise<boolean> {
  if (sample.rows.length === 0) return false;
  const updated = await repo.update(sampleKey(modelId, rollupPeriodOf(now, 'day')), sampleCodec, (current) => {
    if (current === undefined) return sample;
    const merged = mergeSamples(current, sample);
    return JSON.stringify(encodeSample(merged)) === JSON.stringify(encodeSample(current)) ? null : merged;
  });
  return updated?.changed ?? false;
}

/** Days a round's sample may reach back (one more than the longest `review.every`). */
const MAX_SAMPLE_DAYS = 91;

/** The merged sample of the days from `since` to `now` (UTC days, both included), or null when none was kept. */
export async function sampleSince(repo: ModelRepository, modelId: string, since: Date, now: Date): Promise<RowSample | null> {
  const start = Math.max(since.getTime(), now.getTime() - MAX_SAMPLE_DAYS * 86_400_000);
  let merged: RowSample | null = null;
  const lastDay = rollupPeriodOf(now, 'day');
  for (let t = start, day = rollupPeriodOf(new Date(start), 'day'); ; t += 86_400_000, day = rollupPeriodOf(new Date(t), 'day')) {
    const key = sampleKey(modelId, day);
    const obj = await repo.store.get(key);
    if (obj !== undefined) {
      const s = sampleCodec.decode(obj.body, key);
      merged = merged === null ? s : mergeSamples(merged, s);
    }
    if (day >= lastDay) break;
  }
  return merged;
}

// ------------------------------------------------------------------------------------------------- rounds

/** Sends the notice a model's review round owes now (its request or a reminder), at most once. */
export type SendReviewNotice = (config: ModelConfig, now: Date) => Promise<NoticeAttempt>;

/** What one model's review turn did. */
export interface ReviewActivity {
  readonly modelId: string;
  readonly opened?: string;
  readonly expired?: string;
  readonly notice?: NoticeAttempt;
  /** Why no round opened although one was due (no check yet, no sample kept). */
  readonly skipped?: string;
  readonly error?: string;
}

/** Opens the review rounds that are due, expires the overdue ones, and (one machine) sends their notices. */
export type RunDueReviews = (now: Date) => Promise<ReviewActivity[]>;

/** What the scheduled review run needs. */
export interface ReviewRunDeps {
  readonly repo: ModelRepository;
  /** Sends a round's notices right away (one machine). @default none: the gate sends them */
  readonly sendReviewNotice?: SendReviewNotice;
  readonly log?: Log;
}

/** The columns a round shows: every column of its rows, sorted. */
export function reviewColumns(rows: readonly ReviewRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort();
}

/**
 * Build the scheduled review run: for each model with `review`, expire an overdue round (logged) and open
 * the next one when due, from the sample kept since the last round, stratified by the last check.
 * @example
 * const reviews = runDueReviews({ repo });
 * await reviews(new Date());
 */
export function runDueReviews(deps: ReviewRunDeps): RunDueReviews {
  const { repo } = deps;

  async function turn(config: ModelConfig & { review: NonNullable<ModelConfig['review']> }, now: Date): Promise<ReviewActivity> {
    const modelId = config.modelId;
    const at = now.toISOString();
    const activity: { -readonly [K in keyof ReviewActivity]: ReviewActivity[K] } = { modelId };
    const expired = await updateReview(repo, modelId, (d) => expireRound(d, now));
    if (expired?.changed && expired.value.round) {
      const r = expired.value.round;
      activity.expired = r.reviewId;
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'review-expired', entryId: `review/${r.reviewId}/expired`, evidence: { reviewId: r.reviewId, createdAt: r.createdAt, noticesSent: r.notices.length } });
    }
    const doc = expired?.value ?? (await loadReview(repo, modelId));
    if (reviewDue(doc, now)) {
      const state = (await repo.state(modelId))?.value;
      const lastCheck = state?.history.at(-1);
      if (state === undefined || lastCheck === undefined) {
        activity.skipped = 'no check yet: the rows are stratified by the last check';
      } else {
        const since = new Date(doc.round?.createdAt ?? state.reference.at);
        const sample = await sampleSince(repo, modelId, since, now);
        const key = reportKey(modelId, lastCheck.checkId, 'json');
        const report = await repo.store.get(key);
        if (sample === null || sample.rows.length === 0) {
          activity.skipped = 'no sample kept since the last round';
        } else if (report === undefined) {
          activity.skipped = `the report of check ${lastCheck.checkId} is not stored`;
        } else {
          const result = parseReportJson(text(report.body), key).result;
          const rows = pickReviewRows(sample, result, config.review.rows);
          const every = config.review.every * 1000;
          let opened: ReviewRound | null = null;
          const written = await repo.update(reviewKey(modelId), reviewCodec, (current, etag) => {
            const d = current ?? emptyReviewDoc(modelId);
            if (!reviewDue(d, now)) return null;
            // Derived from the version it replaces: racing runs open the same round, once.
            const reviewId = `${compactTime(now)}-${sha256(`review\n${modelId}\n${etag ?? 'first'}`).slice(0, 10)}`;
            opened = {
              reviewId,
              createdAt: at,
              expiresAt: new Date(now.getTime() + every).toISOString(),
              linkExpiresAt: new Date(now.getTime() + 2 * every).toISOString(),
              referenceVersion: state.reference.version,
              checkId: lastCheck.checkId,
              rows,
              status: 'open',
              reminders: config.review.reminders,
              wrongShare: config.review.wrongShare,
              proposal: { ttlSeconds: config.proposalTtl, vetoWindowSeconds: config.approval.vetoWindow, autonomyRules: rulesFromApproval(config.approval) },
              notices: [],
              noticeClaim: null,
              verdicts: null,
            };
            return replaceRound(d, opened).doc;
          });
          const round = opened as ReviewRound | null;
          if (written?.changed && round !== null) {
            activity.opened = round.reviewId;
            const shifted = round.rows.filter((r) => r.pick === 'shifted').length;
            await repo.appendLog({
              at,
              modelId,
              actor: AUTOMATIC_ACTOR,
              action: 'review-request',
              entryId: `review/${round.reviewId}/open`,
              evidence: { reviewId: round.reviewId, rows: round.rows.length, shifted, typical: round.rows.length - shifted, checkId: round.checkId, expiresAt: round.expiresAt, replaced: doc.round?.reviewId ?? null },
            });
          }
        }
      }
    }
    if (deps.sendReviewNotice) activity.notice = await deps.sendReviewNotice(config, now);
    return activity;
  }

  return async (now) => {
    const { configs } = await repo.configs();
    const out: ReviewActivity[] = [];
    for (const config of configs) {
      if (config.review === undefined) continue;
      try {
        out.push(await turn(config as ModelConfig & { review: NonNullable<ModelConfig['review']> }, now));
      } catch (err) {
        // One model's failure never stops the others; the next run tries again.
        deps.log?.({ step: 'review', modelId: config.modelId, error: message(err), at: now.toISOString() });
        out.push({ modelId: config.modelId, error: message(err) });
      }
    }
    return out;
  };
}

/** What sending review notices needs (the gate on AWS: it holds the key that signs the link). */
export interface ReviewNoticeDeps {
  readonly repo: ModelRepository;
  readonly notifier: Notifier;
  readonly links: Pick<LinkSigner, 'reviewLink'>;
  readonly log?: Log;
}

/**
 * Build the review notice sender: claim the owed notice in the round (a lease), send it with its signed
 * link, record the delivery and log it. Reminders are bounded by the round's `reminders`.
 * @example
 * const sendReview = reviewNoticeSender({ repo, notifier, links });
 * await sendReview(config, new Date());
 */
export function reviewNoticeSender(deps: ReviewNoticeDeps): SendReviewNotice {
  const { repo } = deps;
  return async (config, now) => {
    const at = now.toISOString();
    const { modelId } = config;
    // Only models with reviews have rounds (the gate calls this for every model on every run: no read otherwise).
    if (config.review === undefined) return { status: 'not-claimed' };
    const current = (await loadReview(repo, modelId)).round;
    const kind = noticeOwed(current, now);
    if (current === null || kind === null || deps.links.reviewLink === undefined) return { status: 'not-claimed' };
    const claimed = await updateReview(repo, modelId, (d) => claimReviewNotice(d, current.reviewId, at, CLAIM_LEASE_SECONDS));
    if (!claimed?.changed || claimed.value.round === null) return { status: 'not-claimed' };
    const r = claimed.value.round;
    try {
      const link = deps.links.reviewLink(modelId, r.reviewId, r.linkExpiresAt);
      const rendered = renderReviewNotice({ modelId, kind, reviewId: r.reviewId, rows: r.rows, expiresAt: r.expiresAt, remindersLeft: r.reminders - r.notices.length, link, subjectPrefix: config.notice.subjectPrefix });
      const { messageId } = await deps.notifier.send({ modelId, proposalId: r.reviewId, subject: rendered.subject, text: rendered.text });
      await updateReview(repo, modelId, (d) => reviewNoticeSent(d, r.reviewId, kind, messageId, at));
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'review-notice', evidence: { reviewId: r.reviewId, kind, messageId, subject: rendered.subject } });
      return { status: 'sent', messageId };
    } catch (err) {
      // Not delivered: the claim lapses and a later run retries (the reminders stay bounded by the count sent).
      deps.log?.({ step: 'review-notice', modelId, reviewId: r.reviewId, error: message(err), at });
      await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'notice-failed', evidence: { reviewId: r.reviewId, error: message(err) } });
      return { status: 'failed', error: message(err) };
    }
  };
}

// ------------------------------------------------------------------------------------------------ verdicts

/** What the review page shows for a link. */
export interface ReviewDescription {
  readonly modelId: string;
  readonly reviewId: string;
  readonly expiresAt: string;
  readonly rows: readonly ReviewRow[];
  readonly columns: readonly string[];
  /** Why nothing can be recorded any more (replaced, expired, answered); absent while the round is open. */
  readonly closed?: string;
}

/** The fate of posted verdicts. */
export type ReviewOutcome =
  | { readonly status: 'recorded'; readonly modelId: string; readonly reviewId: string; readonly tally: VerdictTally; readonly proposalId: string | null; readonly blocked?: string }
  | { readonly status: 'refused'; readonly modelId: string; readonly reviewId: string; readonly refusal: VerdictRefusal; readonly message: string };

/** The review link's two steps: describe (GET, changes nothing) and submit (POST). */
export interface ReviewActions {
  describe(token: string, now: Date): Promise<ReviewDescription>;
  submit(token: string, verdicts: readonly RowVerdict[], now: Date, opts?: { readonly actor?: string }): Promise<ReviewOutcome>;
}

/** What the review link's path needs: the repository and the key that verifies links. */
export interface ReviewActionDeps {
  readonly repo: ModelRepository;
  readonly secret: Uint8Array | string;
  readonly log?: Log;
}

/**
 * Build the review link's steps. A verdict is taken once per round (the round's conditional write records
 * the link's use id); a replaced, expired or answered round refuses with the reason.
 * @example
 * const review = reviewActions({ repo, secret });
 * await review.submit(token, [{ index: 0, verdict: 'wrong', comment: 'negative age' }], new Date());
 */
export function reviewActions(deps: ReviewActionDeps): ReviewActions {
  const { repo } = deps;

  async function describe(token: string, now: Date): Promise<ReviewDescription> {
    const payload = verifyToken(token, deps.secret, now, REVIEW_ACTION);
    const useId = tokenUseId(payload);
    const doc = await loadReview(repo, payload.modelId);
    const r = doc.round;
    const base = { modelId: payload.modelId, reviewId: payload.proposalId, expiresAt: new Date(payload.exp * 1000).toISOString() };
    if (r === null || r.reviewId !== payload.proposalId) return { ...base, rows: [], columns: [], closed: VERDICT_REFUSAL_TEXT.replaced };
    const consumed = r.verdicts !== null || (await repo.tokenUsed(useId));
    const closed = consumed ? VERDICT_REFUSAL_TEXT.answered : r.status === 'expired' || now.getTime() >= Date.parse(r.expiresAt) ? VERDICT_REFUSAL_TEXT.expired : undefined;
    return { ...base, rows: r.rows, columns: reviewColumns(r.rows), ...(closed !== undefined ? { closed } : {}) };
  }

  async function submit(token: string, verdicts: readonly RowVerdict[], now: Date, opts: { readonly actor?: string } = {}): Promise<ReviewOutcome> {
    const payload = verifyToken(token, deps.secret, now, REVIEW_ACTION);
    const { modelId, proposalId: reviewId } = payload;
    const useId = tokenUseId(payload);
    const at = now.toISOString();
    const actor = opts.actor ?? 'review-link';
    if (await repo.tokenUsed(useId)) throw new DecisionTokenError('replayed', 'this review link was already used');
    let refusal: VerdictRefusal | null = null;
    let round: ReviewRound | null = null;
    const moved = await updateReview(repo, modelId, (d) => {
      const r = recordVerdicts(d, { reviewId, tokenId: useId, at, actor, rows: verdicts });
      if ('refused' in r) {
        refusal = r.refused;
        return null;
      }
      if ('mine' in r) {
        round = r.mine;
        return null;
      }
      refusal = null;
      round = r.doc.round;
      return r.doc;
    });
    const refused = refusal as VerdictRefusal | null;
    if (refused !== null || round === null || moved === undefined) {
      const why = refused ?? 'replaced';
      deps.log?.({ step: 'review', modelId, reviewId, refused: why, at });
      return { status: 'refused', modelId, reviewId, refusal: why, message: VERDICT_REFUSAL_TEXT[why] };
    }
    const r = round as ReviewRound;
    const v = r.verdicts as NonNullable<ReviewRound['verdicts']>;
    // Idempotent from here on: a twin of this request, or its retry after a failure, finishes it once.
    await repo.appendLog({
      at: v.at,
      modelId,
      actor: v.actor,
      action: 'review-verdicts',
      entryId: `review/${reviewId}/verdicts`,
      evidence: {
        reviewId,
        tally: v.tally,
        wrongShareLevel: r.wrongShare,
        rows: v.rows.map((x) => ({ index: x.index, verdict: x.verdict, why: r.rows.find((row) => row.index === x.index)?.why ?? '', ...(x.comment ? { comment: x.comment } : {}) })),
      },
    });
    let proposalId: string | null = v.proposalId;
    let blocked: string | undefined;
    if (proposalId === null && asksForRetrain(v.tally, r.wrongShare)) {
      const opened = await openHumanReviewProposal(repo, modelId, r, now);
      if ('proposalId' in opened) proposalId = opened.proposalId;
      else blocked = opened.blocked;
    }
    await repo.markTokenUsed(useId, { at, modelId, reviewId, action: REVIEW_ACTION, actor });
    if (!moved.changed) {
      // A twin of the request that recorded (a double click, a retry): it finished the steps above, but its
      // own verdicts were not taken, so it is not told "recorded" (as a decision link's twin is "already decided").
      deps.log?.({ step: 'review', modelId, reviewId, refused: 'answered', at });
      return { status: 'refused', modelId, reviewId, refusal: 'answered', message: VERDICT_REFUSAL_TEXT.answered };
    }
    return { status: 'recorded', modelId, reviewId, tally: v.tally, proposalId, ...(blocked !== undefined ? { blocked } : {}) };
  }

  return { describe, submit };
}

/**
 * Open the `human-review` proposal a round's verdicts asked for, through the same machinery as a check's:
 * the state's active slot (only when no proposal blocks, no incident is open and no snooze holds), then
 * the document (putIfAbsent), then the log line; the gate sends its notice and only a decision retrains.
 * Its evidence is the report of the check the rows were stratified by. The id derives from the round, so a
 * retry opens it once. Opened `manual`: what people find wrong is shown to people, whatever the level.
 */
export async function openHumanReviewProposal(repo: ModelRepository, modelId: string, r: ReviewRound, now: Date): Promise<{ proposalId: string } | { blocked: string }> {
  const v = r.verdicts;
  if (v === null) return { blocked: 'no verdicts' };
  const proposalId = `${compactTime(new Date(v.at))}-${sha256(`${HUMAN_REVIEW_TRIGGER}\n${modelId}\n${r.reviewId}`).slice(0, 10)}`;
  const jsonKey = reportKey(modelId, r.checkId, 'json');
  const report = await repo.store.get(jsonKey);
  if (report === undefined) throw new NotFoundError(jsonKey, `the report of check ${r.checkId} (the evidence of the human-review proposal)`);
  const result = parseReportJson(text(report.body), jsonKey).result;
  let blocked: string | undefined;
  const claimed = await repo.updateState(modelId, async (s) => {
    blocked = undefined;
    if (s.activeProposalId === proposalId) return null;
    const active = s.activeProposalId ? await repo.proposal(modelId, s.activeProposalId) : undefined;
    if (blocksNewProposal(s, active, now, r.proposal.ttlSeconds)) blocked = `proposal ${s.activeProposalId} is active`;
    else if (s.incident) blocked = `data-quality incident ${s.incident.incidentId} is open`;
    else if (s.snoozedUntil && now.getTime() < Date.parse(s.snoozedUntil)) blocked = `snoozed until ${s.snoozedUntil}`;
    if (blocked !== undefined) return null;
    return { ...s, activeProposalId: proposalId };
  });
  if (blocked !== undefined) {
    await repo.appendLog({ at: now.toISOString(), modelId, actor: AUTOMATIC_ACTOR, action: 'review-verdicts', entryId: `review/${r.reviewId}/blocked`, evidence: { reviewId: r.reviewId, proposal: 'not opened', reason: blocked } });
    return { blocked };
  }
  if (claimed === undefined) throw new DriftgateError(`model ${modelId} has no state: no proposal can open`);
  const proposal = openProposal({
    proposalId,
    modelId,
    checkId: r.checkId,
    reportKey: reportKey(modelId, r.checkId, 'html'),
    result,
    triggers: [humanReviewTrigger(v.tally, r.wrongShare)],
    forecast: claimed.value.forecast,
    retrainBy: null,
    mode: 'manual',
    autonomyRules: r.proposal.autonomyRules,
    vetoWindowSeconds: r.proposal.vetoWindowSeconds,
    ttlSeconds: r.proposal.ttlSeconds,
    now: new Date(v.at),
  });
  await repo.createProposal(proposal);
  await repo.appendLog({
    at: v.at,
    modelId,
    actor: AUTOMATIC_ACTOR,
    action: 'propose',
    proposalId,
    entryId: `review/${r.reviewId}/propose`,
    evidence: { ...proposal.reasons, reason: HUMAN_REVIEW_TRIGGER, reviewId: r.reviewId, reportKey: proposal.reportKey },
  });
  await updateReview(repo, modelId, (d) => withReviewProposal(d, r.reviewId, proposalId));
  return { proposalId };
}

/** What the next report shows of the reviews: the round answered after `since` (the previous check), or undefined. */
export async function reviewForReport(repo: ModelRepository, modelId: string, since: string | null): Promise<ReviewReport | undefined> {
  const r = (await loadReview(repo, modelId)).round;
  const v = r?.verdicts;
  if (r === null || v === null || v === undefined || (since !== null && Date.parse(v.at) <= Date.parse(since))) return undefined;
  return {
    reviewId: r.reviewId,
    answeredAt: v.at,
    tally: v.tally,
    wrongShareLevel: r.wrongShare,
    rows: v.rows.map((x) => ({ why: r.rows.find((row) => row.index === x.index)?.why ?? '', verdict: x.verdict, ...(x.comment ? { comment: x.comment } : {}) })),
    proposalId: v.proposalId,
  };
}
