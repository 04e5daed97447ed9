/**
 * The report's "What reviewers said" section: the verdicts of the last answered review round since the
 * previous check (stored in the report JSON as `review`). Every value is escaped.
 */
import { z } from 'zod';
import { formatShare, formatUtcDateTime } from '../format.js';
import { REVIEW_VERDICTS, REVIEW_VERDICT_TEXT, verdictTallySchema } from '../lifecycle/review.js';
import type { DeepReadonly } from '../drift/json-number.js';
import { escapeHtml } from './escape.js';

const e = escapeHtml;

/** What the report keeps of a review round: its tally, the rows marked wrong with their comments, the proposal it opened. */
export const reviewReportSchema = z.object({
  reviewId: z.string(),
  answeredAt: z.string(),
  tally: verdictTallySchema,
  /** The round's "looks wrong" level (config `review.wrongShare`). */
  wrongShareLevel: z.number(),
  rows: z.array(z.object({ why: z.string(), verdict: z.enum(REVIEW_VERDICTS), comment: z.string().optional() })),
  proposalId: z.string().nullable(),
});
export type ReviewReport = z.infer<typeof reviewReportSchema>;

/** Render the section; empty when no review was answered. */
export function reviewSection(review: DeepReadonly<ReviewReport> | undefined): string {
  if (review === undefined) return '';
  const t = review.tally;
  const rows = review.rows
    .filter((r) => r.verdict !== 'right' || r.comment !== undefined)
    .map((r) => `<tr><td>${e(REVIEW_VERDICT_TEXT[r.verdict])}</td><td>${e(r.why)}</td><td>${e(r.comment ?? '')}</td></tr>`)
    .join('');
  return (
    `<section id="review" aria-labelledby="review-h"><h2 id="review-h">What reviewers said</h2>` +
    `<p>Review <code>${e(review.reviewId)}</code>, answered ${e(formatUtcDateTime(review.answeredAt))}: ` +
    `${t.right} looks right, ${t.wrong} looks wrong, ${t.unsure} not sure; "looks wrong" share ${e(formatShare(t.wrongShare))} (level ${e(formatShare(review.wrongShareLevel))}).</p>` +
    (review.proposalId === null ? '' : `<p>It opened proposal <code>${e(review.proposalId)}</code> (reason human-review).</p>`) +
    (rows === '' ? '' : `<table><caption>Rows not marked "looks right", and comments</caption><thead><tr><th scope="col">Verdict</th><th scope="col">Why the row was picked</th><th scope="col">Comment</th></tr></thead><tbody>${rows}</tbody></table>`) +
    `</section>`
  );
}
