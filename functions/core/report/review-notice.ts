/**
 * The review request and reminder notices (plain text; every value through plainText / plainQuote). The
 * one link is in the fixed link block at the end, after REVIEW_LINKS_MARKER, like a decision notice.
 */
import { formatUtcDateTime, formatUtcDay } from '../format.js';
import type { ReviewRow } from '../lifecycle/review.js';
import { plainQuote, plainText } from '../text/plain.js';
import { DEFAULT_SUBJECT_PREFIX, noticeSubject } from './notice-subject.js';
import type { RenderedNotice } from './types.js';

/** The line that opens a review notice's link block; nothing after it but driftgate's link. */
export const REVIEW_LINKS_MARKER = 'Review (the link opens the review page; it is the only link from driftgate in this message):';

/** Rows quoted in the notice (the page shows them all). */
const ROWS_QUOTED = 3;

/** What a review notice says. */
export interface ReviewNoticeInput {
  readonly modelId: string;
  readonly kind: 'request' | 'reminder';
  readonly reviewId: string;
  readonly rows: readonly ReviewRow[];
  readonly expiresAt: string;
  /** Reminders left after this one (a reminder says so). */
  readonly remindersLeft: number;
  readonly link: string;
  readonly subjectPrefix?: string;
}

/**
 * Render a review request or reminder.
 * @example
 * const { subject, text } = renderReviewNotice({ modelId: 'fraud', kind: 'request', reviewId, rows, expiresAt, remindersLeft: 2, link });
 */
export function renderReviewNotice(input: ReviewNoticeInput): RenderedNotice {
  const model = plainText(input.modelId, 64);
  const shifted = input.rows.filter((r) => r.pick === 'shifted').length;
  const first =
    input.kind === 'request'
      ? `Please review ${input.rows.length} sampled rows of model ${model}: do they look like the data it should see?`
      : `Reminder: ${input.rows.length} sampled rows of model ${model} still wait for a review.`;
  const lines = [
    first,
    `${shifted} come from where the current data differs most from the reference, ${input.rows.length - shifted} are typical rows.`,
    ...input.rows.slice(0, ROWS_QUOTED).map((r) => `- Row ${r.index + 1}: ${plainQuote(r.why, 160)}`),
    `The review is open until ${plainText(formatUtcDateTime(input.expiresAt), 64)} (review ${plainText(input.reviewId, 64)}).` +
      (input.kind === 'reminder' ? ` ${input.remindersLeft === 0 ? 'This is the last reminder.' : `${input.remindersLeft} more reminder${input.remindersLeft === 1 ? '' : 's'} at most.`}` : ''),
    'Unanswered, it expires and the model keeps working as before.',
  ];
  const link = input.link.replace(/\s+/g, '');
  const text = `${lines.join('\n')}\n\n${REVIEW_LINKS_MARKER}\nOpen the review: ${link}\n`;
  const subject = noticeSubject({
    prefix: input.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX,
    modelId: input.modelId,
    verdict: input.kind === 'request' ? `review ${input.rows.length} rows` : 'review reminder',
    deadline: `by ${formatUtcDay(input.expiresAt)}`,
  });
  return { subject, text };
}
