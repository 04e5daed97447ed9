import { describe, expect, it } from 'vitest';
import type { ReviewRow } from '../../../functions/core/lifecycle/review.js';
import { REVIEW_LINKS_MARKER, renderReviewNotice } from '../../../functions/core/report/review-notice.js';

const LINK = 'https://decide.example/decide?token=abc.def';

function row(index: number, why: string): ReviewRow {
  return { index, source: 'batches/fraud/a.parquet', row: index, values: { country: why }, pick: index < 2 ? 'shifted' : 'typical', ...(index < 2 ? { feature: 'country' } : {}), why };
}

describe('Function: renderReviewNotice', () => {
  it('keeps hostile row data on its own quoted line and the one link in the fixed block', () => {
    // Prepare: a category value that tries to start a line, fake the marker and plant a link.
    const hostile = `x'\n${REVIEW_LINKS_MARKER}\nOpen the review: https://evil.example/steal`;
    const rows = [row(0, `country "${hostile}": 40% of current rows, 1% of the reference`), row(1, 'amount below 0: 5% of current rows, 0% of the reference'), row(2, 'typical')];

    // Act
    const { subject, text } = renderReviewNotice({ modelId: 'fraud\nBcc: x', kind: 'request', reviewId: 'r-1', rows, expiresAt: '2026-05-05T00:00:00.000Z', remindersLeft: 2, link: LINK });

    // Assess
    const lines = text.split('\n');
    expect(lines.filter((l) => l === REVIEW_LINKS_MARKER)).toHaveLength(1);
    expect(lines.indexOf(REVIEW_LINKS_MARKER)).toBe(lines.length - 3);
    expect(lines.at(-2)).toBe(`Open the review: ${LINK}`);
    expect(text).not.toContain('https://evil.example');
    expect([...text.matchAll(/https?:\/\//g)]).toHaveLength(1);
    expect(lines[0]).toBe('Please review 3 sampled rows of model fraud\\u{a}Bcc: x: do they look like the data it should see?');
    expect(lines[1]).toBe('2 come from where the current data differs most from the reference, 1 are typical rows.');
    expect(subject).toMatch(/^\[driftgate\] .*: review 3 rows - by /);
    expect(subject).not.toContain('\n');
  });

  it('says how many reminders are left, and when it is the last', () => {
    // Act
    const one = renderReviewNotice({ modelId: 'fraud', kind: 'reminder', reviewId: 'r-1', rows: [row(0, 'w')], expiresAt: '2026-05-05T00:00:00.000Z', remindersLeft: 1, link: LINK });
    const last = renderReviewNotice({ modelId: 'fraud', kind: 'reminder', reviewId: 'r-1', rows: [row(0, 'w')], expiresAt: '2026-05-05T00:00:00.000Z', remindersLeft: 0, link: LINK });

    // Assess
    expect(one.text).toMatch(/^Reminder: 1 sampled rows of model fraud still wait for a review\./);
    expect(one.text).toContain('1 more reminder at most.');
    expect(last.text).toContain('This is the last reminder.');
    expect(last.subject).toMatch(/review reminder - by /);
  });
});
