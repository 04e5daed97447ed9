/**
 * Review samples (pure): which sampled rows people are asked to look at, and the life of one review round.
 *
 * Rows: the review sample (core/signature/sample.ts) is a uniform, deterministic sample of the rows the
 * model ingested. `pickReviewRows` stratifies it toward where the current data differs most from the
 * reference, as the last check measured it: each row's cell of each feature (its reference bin, its
 * category) has a share now and a share in the reference; a row is "shifted" by the cell whose share grew
 * most. Strata (feature, cell) are visited by how much they grew, one row each in turn, so twenty rows do
 * not all show the same bin; a few rows whose every cell is about as common as in the reference are added
 * as "typical", for contrast. Every row carries the sentence saying why it was picked.
 *
 * Round: `open` until answered or until its `every` is over (then `expired`, and the next round replaces
 * its rows). A request notice goes out when it opens, then at most `reminders` reminders spread over the
 * round. The verdicts are taken once (the round's own conditional write records the link's use); a "looks
 * wrong" share of the rows marked right or wrong above `wrongShare` asks for a `human-review` proposal.
 */
import { z } from 'zod';
import type { DriftResult } from '../drift/types.js';
import { formatNumber, formatShare } from '../format.js';
import type { RowSample, SampledRow } from '../signature/sample.js';

/** What a reviewer can say about one row. */
export const REVIEW_VERDICTS = ['right', 'wrong', 'unsure'] as const;
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number];

/** The words of each verdict on the page and in the report. */
export const REVIEW_VERDICT_TEXT: Readonly<Record<ReviewVerdict, string>> = { right: 'looks right', wrong: 'looks wrong', unsure: 'not sure' };

/** Longest comment kept per row. */
export const REVIEW_COMMENT_MAX = 300;

/** A cell must have grown by more than this share (1 point) for a row to count as shifted by it. */
export const MIN_SHIFT = 0.01;

/** The trigger a proposal opened by reviewers carries first (the retrain is asked for by people, not by a test). */
export const HUMAN_REVIEW_TRIGGER = 'human-review';

/** Past rounds the review document remembers (so a late link hears "replaced", not "unknown"). */
export const REVIEW_MEMORY = 20;

/** How many typical rows a review of `n` rows shows: a fifth, at least one when n ≥ 2. */
export function typicalCount(n: number): number {
  return n < 2 ? 0 : Math.max(1, Math.round(n / 5));
}

/** An ISO time (as report/types.ts isoTimeSchema; not imported, since the report's schema imports this module). */
const isoTimeSchema = z.string().min(1);

const cellValue = z.union([z.string(), z.number(), z.null()]);

export const reviewRowSchema = z.object({
  /** Position on the page (0-based): the form's field names use it. */
  index: z.number().int().min(0),
  source: z.string(),
  row: z.number().int().min(0),
  values: z.record(z.string(), cellValue),
  pick: z.enum(['shifted', 'typical']),
  /** The feature whose cell grew most (shifted rows). */
  feature: z.string().optional(),
  /** Why it was picked, one sentence (raw data inside: escape it for the medium). */
  why: z.string(),
});
export type ReviewRow = z.infer<typeof reviewRowSchema>;

const verdictRowSchema = z.object({ index: z.number().int().min(0), verdict: z.enum(REVIEW_VERDICTS), comment: z.string().max(REVIEW_COMMENT_MAX).optional() });
export type RowVerdict = z.infer<typeof verdictRowSchema>;

/** The counts of a round's verdicts and the "looks wrong" share of the rows marked right or wrong. */
export const verdictTallySchema = z.object({ right: z.number().int(), wrong: z.number().int(), unsure: z.number().int(), wrongShare: z.number().nullable() });
export type VerdictTally = z.infer<typeof verdictTallySchema>;

export const reviewRoundSchema = z.object({
  reviewId: z.string().min(1),
  createdAt: isoTimeSchema,
  /** The end of the round: unanswered by then, it expires (logged) and the next round replaces its rows. */
  expiresAt: isoTimeSchema,
  /** The review link's expiry: one more period, so a late reviewer hears "replaced" rather than "expired". */
  linkExpiresAt: isoTimeSchema,
  referenceVersion: z.string(),
  /** The check whose comparison the rows were stratified by (its report is the human-review proposal's evidence). */
  checkId: z.string(),
  rows: z.array(reviewRowSchema),
  status: z.enum(['open', 'answered', 'expired']),
  /** Most reminders after the request (config `review.reminders`). */
  reminders: z.number().int().min(0),
  /** The config's `review.wrongShare` when the round opened (the decision path reads no config). */
  wrongShare: z.number(),
  /** How the proposal a high "looks wrong" share opens is made (from the config when the round opened). */
  proposal: z.object({
    ttlSeconds: z.number(),
    vetoWindowSeconds: z.number(),
    autonomyRules: z.object({ configured: z.enum(['manual', 'veto']), promoteAfter: z.number().int(), suggestAfter: z.number().int() }),
  }),
  /** The request, then the reminders, as delivered (message id = proof). */
  notices: z.array(z.object({ kind: z.enum(['request', 'reminder']), messageId: z.string(), sentAt: isoTimeSchema })),
  /** A sender holds the right to send the next notice (a lease). */
  noticeClaim: z.object({ at: isoTimeSchema }).nullable(),
  verdicts: z
    .object({
      at: isoTimeSchema,
      actor: z.string(),
      /** The review link's use id: its single use is recorded in this same write. */
      tokenId: z.string(),
      rows: z.array(verdictRowSchema),
      tally: verdictTallySchema,
      /** The `human-review` proposal the verdicts asked for, once opened (null: not asked, or blocked). */
      proposalId: z.string().nullable(),
    })
    .nullable(),
});
export type ReviewRound = z.infer<typeof reviewRoundSchema>;

export const reviewDocSchema = z.object({
  schemaVersion: z.literal(1),
  revision: z.string().optional(),
  modelId: z.string(),
  round: reviewRoundSchema.nullable(),
  /** Earlier rounds, newest last (at most REVIEW_MEMORY). */
  past: z.array(z.object({ reviewId: z.string(), createdAt: isoTimeSchema, status: z.enum(['open', 'answered', 'expired']), tally: verdictTallySchema.nullable() })),
});
export type ReviewDoc = z.infer<typeof reviewDocSchema>;

/** An empty review document. */
export function emptyReviewDoc(modelId: string): ReviewDoc {
  return { schemaVersion: 1, modelId, round: null, past: [] };
}

// ------------------------------------------------------------------------------------------- stratification

/** One feature's cells as the check measured them: share now and in the reference, and the cell's words. */
interface Cell {
  readonly key: string;
  readonly label: string;
  readonly reference: number;
  readonly current: number;
}

type CellOf = (value: string | number | null) => Cell | null;

function binLabel(edges: readonly number[], i: number): string {
  if (edges.length === 0) return 'any value';
  if (i === 0) return `below ${formatNumber(edges[0])}`;
  if (i >= edges.length) return `${formatNumber(edges[edges.length - 1])} or more`;
  return `from ${formatNumber(edges[i - 1])} to below ${formatNumber(edges[i])}`;
}

/** The cell lookup of each feature the result compared (numeric: its reference bins; categorical: its categories). */
function cellsOf(result: DriftResult): Map<string, CellOf> {
  const out = new Map<string, CellOf>();
  for (const f of result.features) {
    if (f.kind === 'numeric') {
      const { edges, reference, current } = f.bins;
      if (reference.length !== edges.length + 1 || current.length !== edges.length + 1) continue;
      out.set(f.name, (v) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) return null;
        // Bin i holds values in [edges[i-1], edges[i]): the number of edges at or below the value.
        let i = 0;
        while (i < edges.length && v >= edges[i]) i++;
        return { key: `bin ${i}`, label: binLabel(edges, i), reference: reference[i], current: current[i] };
      });
    } else {
      const byValue = new Map(f.categories.map((c) => [c.value, c] as const));
      out.set(f.name, (v) => {
        if (v === null) return null;
        const c = byValue.get(String(v));
        if (c !== undefined) return { key: `= ${c.value}`, label: c.unseen ? `"${c.value}" (not in the reference)` : `"${c.value}"`, reference: c.reference, current: c.current };
        return f.topK ? { key: '(other)', label: 'a value outside the top categories', reference: f.topK.otherShare.reference, current: f.topK.otherShare.current } : null;
      });
    }
  }
  return out;
}

interface Scored {
  readonly row: SampledRow;
  readonly order: number;
  /** The cell that grew most, and by how much (share now minus share in the reference). */
  readonly top: { readonly feature: string; readonly cell: Cell; readonly shift: number } | null;
  /** The largest |share now − share in the reference| over the row's cells. */
  readonly gap: number;
}

function score(row: SampledRow, order: number, cells: Map<string, CellOf>): Scored {
  let top: Scored['top'] = null;
  let gap = 0;
  for (const [feature, cellOf] of [...cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!(feature in row.values)) continue;
    const cell = cellOf(row.values[feature]);
    if (cell === null) continue;
    const shift = cell.current - cell.reference;
    gap = Math.max(gap, Math.abs(shift));
    if (top === null || shift > top.shift) top = { feature, cell, shift };
  }
  return { row, order, top, gap };
}

/**
 * The rows of a review: up to `n` rows of the sample, most of them from the cells the current data holds
 * more of than the reference (strata visited in turn, largest growth first), then typical rows; each with
 * the sentence saying why. Deterministic: the same sample and result give the same rows.
 * @example
 * const rows = pickReviewRows(sample, lastCheck.result, 20);
 * rows[0].why; // 'amount from 100 to below 200: 34% of current rows, 5% of the reference'
 */
export function pickReviewRows(sample: RowSample, result: DriftResult, n: number): ReviewRow[] {
  const cells = cellsOf(result);
  const scored = sample.rows.map((r, i) => score(r, i, cells));
  const wantTypical = Math.min(typicalCount(n), scored.length);
  const shiftedWanted = n - wantTypical;
  // Strata: (feature, cell) of each shifted row, largest growth first.
  const strata = new Map<string, Scored[]>();
  for (const s of scored) {
    if (s.top === null || s.top.shift <= MIN_SHIFT) continue;
    const key = `${s.top.feature}\n${s.top.cell.key}`;
    strata.set(key, [...(strata.get(key) ?? []), s]);
  }
  const ordered = [...strata.values()].sort((a, b) => (b[0].top?.shift ?? 0) - (a[0].top?.shift ?? 0) || a[0].order - b[0].order);
  const shifted: Scored[] = [];
  for (let round = 0; shifted.length < shiftedWanted; round++) {
    const before = shifted.length;
    for (const stratum of ordered) {
      if (shifted.length >= shiftedWanted) break;
      if (round < stratum.length) shifted.push(stratum[round]);
    }
    if (shifted.length === before) break;
  }
  const taken = new Set(shifted.map((s) => s.order));
  // Typical rows fill what the shifted ones could not: the rows whose cells moved least.
  const typical = scored
    .filter((s) => !taken.has(s.order))
    .sort((a, b) => a.gap - b.gap || a.order - b.order)
    .slice(0, n - shifted.length);
  return [
    ...shifted.map((s, i): ReviewRow => {
      const top = s.top as NonNullable<Scored['top']>;
      return {
        index: i,
        source: s.row.source,
        row: s.row.row,
        values: { ...s.row.values },
        pick: 'shifted',
        feature: top.feature,
        why: `${top.feature} ${top.cell.label}: ${formatShare(top.cell.current)} of current rows, ${formatShare(top.cell.reference)} of the reference`,
      };
    }),
    ...typical.map((s, i): ReviewRow => ({
      index: shifted.length + i,
      source: s.row.source,
      row: s.row.row,
      values: { ...s.row.values },
      pick: 'typical',
      why:
        cells.size === 0
          ? 'typical: a row of the sample (no comparison to stratify by yet)'
          : `typical: each value is about as common now as in the reference (largest change of a share: ${formatShare(s.gap)})`,
    })),
  ];
}

// --------------------------------------------------------------------------------------------------- round

/** Whether a new round is due: none yet, or the current one has run its course. */
export function reviewDue(doc: ReviewDoc, now: Date): boolean {
  return doc.round === null || Date.parse(doc.round.expiresAt) <= now.getTime();
}

/** The document with `round` as its round; the round it replaces goes to `past` (an open one as expired). */
export function replaceRound(doc: ReviewDoc, round: ReviewRound): { doc: ReviewDoc; expired: ReviewRound | null } {
  const prev = doc.round;
  const expired = prev !== null && prev.status === 'open' ? { ...prev, status: 'expired' as const } : null;
  const past = prev === null ? doc.past : [...doc.past, { reviewId: prev.reviewId, createdAt: prev.createdAt, status: expired ? 'expired' as const : prev.status, tally: prev.verdicts?.tally ?? null }].slice(-REVIEW_MEMORY);
  return { doc: { ...doc, round, past }, expired };
}

/** The round, expired when its time is over unanswered; null when nothing changes. */
export function expireRound(doc: ReviewDoc, now: Date): ReviewDoc | null {
  const r = doc.round;
  if (r === null || r.status !== 'open' || Date.parse(r.expiresAt) > now.getTime()) return null;
  return { ...doc, round: { ...r, status: 'expired', noticeClaim: null } };
}

/** When the round's i-th notice is due: the request at the start, reminders spread evenly over the round. */
export function noticeDueAt(r: ReviewRound, i: number): number {
  const start = Date.parse(r.createdAt);
  return start + (i * (Date.parse(r.expiresAt) - start)) / (r.reminders + 1);
}

/** The notice the round owes now (`request` or `reminder`), or null: answered, expired, all sent, not yet time. */
export function noticeOwed(r: ReviewRound | null, now: Date): 'request' | 'reminder' | null {
  if (r === null || r.status !== 'open') return null;
  const i = r.notices.length;
  if (i > r.reminders || now.getTime() >= Date.parse(r.expiresAt) || now.getTime() < noticeDueAt(r, i)) return null;
  return i === 0 ? 'request' : 'reminder';
}

/** The document with the right to send the owed notice taken (a lease of `leaseSeconds`); null when none is owed or it is held. */
export function claimReviewNotice(doc: ReviewDoc, reviewId: string, at: string, leaseSeconds: number): ReviewDoc | null {
  const r = doc.round;
  if (r === null || r.reviewId !== reviewId || noticeOwed(r, new Date(at)) === null) return null;
  if (r.noticeClaim !== null && Date.parse(at) - Date.parse(r.noticeClaim.at) < leaseSeconds * 1000) return null;
  return { ...doc, round: { ...r, noticeClaim: { at } } };
}

/** The document with the claimed notice recorded as delivered; null when the round moved on meanwhile. */
export function reviewNoticeSent(doc: ReviewDoc, reviewId: string, kind: 'request' | 'reminder', messageId: string, at: string): ReviewDoc | null {
  const r = doc.round;
  if (r === null || r.reviewId !== reviewId || r.noticeClaim === null) return null;
  return { ...doc, round: { ...r, noticeClaim: null, notices: [...r.notices, { kind, messageId, sentAt: at }] } };
}

/** The counts of a set of verdicts and the "looks wrong" share of the rows marked right or wrong (null: none were). */
export function tallyVerdicts(rows: readonly RowVerdict[]): VerdictTally {
  const count = (v: ReviewVerdict): number => rows.filter((r) => r.verdict === v).length;
  const right = count('right');
  const wrong = count('wrong');
  return { right, wrong, unsure: count('unsure'), wrongShare: right + wrong === 0 ? null : wrong / (right + wrong) };
}

/** Whether a tally asks for a `human-review` proposal: its "looks wrong" share is above the round's level. */
export function asksForRetrain(tally: VerdictTally, wrongShare: number): boolean {
  return tally.wrongShare !== null && tally.wrongShare > wrongShare;
}

/** Why verdicts for a round are refused (the page says so; the handler answers 409). */
export type VerdictRefusal = 'replaced' | 'expired' | 'answered' | 'bad-rows';

/** The words of each refusal, for people. */
export const VERDICT_REFUSAL_TEXT: Readonly<Record<VerdictRefusal, string>> = {
  replaced: 'These rows were replaced by a newer review. Nothing was recorded; use the link in the newest review notice.',
  expired: 'This review expired unanswered. Nothing was recorded; the next review brings new rows.',
  answered: 'This review was already answered. Each review link works once.',
  'bad-rows': 'The answers do not match the rows of this review. Nothing was recorded; open the link from the notice again.',
};

/**
 * Record the verdicts on round `reviewId`, once: the next document, or why they are refused. A twin of the
 * request that recorded them (same `tokenId`) gets `mine`, so it can finish what is left.
 */
export function recordVerdicts(
  doc: ReviewDoc,
  input: { readonly reviewId: string; readonly tokenId: string; readonly at: string; readonly actor: string; readonly rows: readonly RowVerdict[] },
): { readonly doc: ReviewDoc } | { readonly mine: ReviewRound } | { readonly refused: VerdictRefusal } {
  const r = doc.round;
  // A correctly signed link names a round this deployment opened: if it is not the current one, it was replaced.
  if (r === null || r.reviewId !== input.reviewId) return { refused: 'replaced' };
  if (r.verdicts !== null) return r.verdicts.tokenId === input.tokenId ? { mine: r } : { refused: 'answered' };
  if (r.status === 'expired' || Date.parse(input.at) >= Date.parse(r.expiresAt)) return { refused: 'expired' };
  const indices = new Set(r.rows.map((row) => row.index));
  const seen = new Set<number>();
  for (const v of input.rows) {
    if (!indices.has(v.index) || seen.has(v.index)) return { refused: 'bad-rows' };
    seen.add(v.index);
  }
  // Every row answered ("not sure" passes one), as the page asks: a subset would skew the wrong share.
  if (input.rows.length === 0 || seen.size !== indices.size) return { refused: 'bad-rows' };
  const rows = [...input.rows].sort((a, b) => a.index - b.index);
  const tally = tallyVerdicts(rows);
  return { doc: { ...doc, round: { ...r, status: 'answered', noticeClaim: null, verdicts: { at: input.at, actor: input.actor, tokenId: input.tokenId, rows, tally, proposalId: null } } } };
}

/** The round with the `human-review` proposal its verdicts opened; null when already recorded. */
export function withReviewProposal(doc: ReviewDoc, reviewId: string, proposalId: string): ReviewDoc | null {
  const r = doc.round;
  if (r === null || r.reviewId !== reviewId || r.verdicts === null || r.verdicts.proposalId !== null) return null;
  return { ...doc, round: { ...r, verdicts: { ...r.verdicts, proposalId } } };
}

/** The trigger sentence of a `human-review` proposal. */
export function humanReviewTrigger(tally: VerdictTally, wrongShare: number): string {
  const marked = tally.right + tally.wrong;
  return `${HUMAN_REVIEW_TRIGGER}: reviewers marked ${tally.wrong} of ${marked} rows "looks wrong" (${formatShare(tally.wrongShare)}, above ${formatShare(wrongShare)})`;
}
