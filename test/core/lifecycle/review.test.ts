import { describe, expect, it } from 'vitest';
import type { DriftResult } from '../../../functions/core/drift/types.js';
import {
  type ReviewDoc,
  type ReviewRound,
  asksForRetrain,
  claimReviewNotice,
  emptyReviewDoc,
  expireRound,
  noticeOwed,
  pickReviewRows,
  recordVerdicts,
  replaceRound,
  reviewDue,
  reviewNoticeSent,
  tallyVerdicts,
  typicalCount,
} from '../../../functions/core/lifecycle/review.js';
import type { RowSample } from '../../../functions/core/signature/sample.js';

/**
 * Only the parts of a check's result the stratification reads (features: kind, name, bins, categories):
 * amount's top bin (20 or more) grew from 10 % to 50 %, country "IN" from 20 % to 50 %, "US" shrank.
 */
const result = {
  features: [
    { kind: 'numeric', name: 'amount', bins: { edges: [0, 10, 20], reference: [0.1, 0.4, 0.4, 0.1], current: [0.05, 0.15, 0.3, 0.5] } },
    {
      kind: 'categorical',
      name: 'country',
      categories: [
        { value: 'US', reference: 0.6, current: 0.3, unseen: false },
        { value: 'IN', reference: 0.2, current: 0.5, unseen: false },
        { value: 'DE', reference: 0.2, current: 0.2, unseen: false },
      ],
    },
  ],
} as unknown as DriftResult;

function sample(rows: readonly (readonly [number | null, string | null])[]): RowSample {
  return {
    k: 100,
    columns: ['amount', 'country'],
    rows: rows.map(([amount, country], i) => ({ priority: i, source: 'batches/fraud/a.parquet', row: i, values: { amount, country } })),
  };
}

describe('Function: pickReviewRows', () => {
  it.each([
    { row: [25, 'US'] as const, pick: 'shifted', feature: 'amount', why: 'amount 20 or more: 50% of current rows, 10% of the reference' },
    { row: [5, 'IN'] as const, pick: 'shifted', feature: 'country', why: 'country "IN": 50% of current rows, 20% of the reference' },
    { row: [15, 'DE'] as const, pick: 'typical', feature: undefined, why: 'typical: each value is about as common now as in the reference (largest change of a share: 10%)' },
    { row: [null, 'DE'] as const, pick: 'typical', feature: undefined, why: 'typical: each value is about as common now as in the reference (largest change of a share: 0%)' },
  ])('labels $row as $pick ($feature)', ({ row, pick, feature, why }) => {
    // Act
    const [picked] = pickReviewRows(sample([row]), result, 1);

    // Assess
    expect(picked.pick).toBe(pick);
    expect(picked.feature).toBe(feature);
    expect(picked.why).toBe(why);
  });

  it('visits the strata in turn, largest growth first, then adds typical rows (a fifth)', () => {
    // Prepare: six rows shifted by amount, two by country, three typical.
    const rows: [number, string][] = [
      [25, 'US'], [26, 'US'], [5, 'IN'], [27, 'US'], [28, 'US'], [6, 'IN'], [29, 'US'], [30, 'US'], [15, 'DE'], [16, 'DE'], [14, 'DE'],
    ];

    // Act
    const picked = pickReviewRows(sample(rows), result, 10);

    // Assess: amount (+40 points) leads, country (+30) follows in turn while it has rows.
    expect(typicalCount(10)).toBe(2);
    expect(picked.map((r) => r.feature ?? 'typical')).toEqual(['amount', 'country', 'amount', 'country', 'amount', 'amount', 'amount', 'amount', 'typical', 'typical']);
    expect(picked.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(picked.slice(0, 4).map((r) => r.row)).toEqual([0, 2, 1, 5]);
    expect(pickReviewRows(sample(rows), result, 10)).toEqual(picked);
  });

  it('fills with typical rows when few rows are shifted, and never shows more rows than asked or than sampled', () => {
    // Act
    const few = pickReviewRows(sample([[25, 'US'], [15, 'DE'], [14, 'DE'], [16, 'DE']]), result, 3);
    const small = pickReviewRows(sample([[25, 'US']]), result, 20);

    // Assess
    expect(few.map((r) => r.pick)).toEqual(['shifted', 'typical', 'typical']);
    expect(small).toHaveLength(1);
  });

  it('without a comparison, shows the sample as typical rows and says so', () => {
    // Act
    const rows = pickReviewRows(sample([[25, 'US'], [5, 'IN']]), { features: [] } as unknown as DriftResult, 2);

    // Assess
    expect(rows.map((r) => r.pick)).toEqual(['typical', 'typical']);
    expect(rows[0].why).toContain('no comparison');
  });
});

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function round(extra: Partial<ReviewRound> = {}): ReviewRound {
  return {
    reviewId: 'r-1',
    createdAt: iso(T0),
    expiresAt: iso(T0 + 3 * DAY),
    linkExpiresAt: iso(T0 + 6 * DAY),
    referenceVersion: 'v1',
    checkId: 'c-1',
    rows: [0, 1, 2, 3].map((index) => ({ index, source: 's', row: index, values: { amount: index }, pick: 'shifted' as const, feature: 'amount', why: 'w' })),
    status: 'open',
    reminders: 2,
    wrongShare: 0.3,
    proposal: { ttlSeconds: 3 * 86_400, vetoWindowSeconds: 86_400, autonomyRules: { configured: 'manual', promoteAfter: 5, suggestAfter: 3 } },
    notices: [],
    noticeClaim: null,
    verdicts: null,
    ...extra,
  };
}

const docWith = (r: ReviewRound): ReviewDoc => ({ ...emptyReviewDoc('fraud'), round: r });

describe('Function: the review round', () => {
  it('owes the request at once, then at most `reminders` reminders spread over the round, then nothing; then it expires', () => {
    // Prepare
    let doc = docWith(round());
    const owed: (string | null)[] = [];

    // Act: a scheduled run every 6 hours for 4 days, sending whatever is owed.
    for (let t = T0; t <= T0 + 4 * DAY; t += DAY / 4) {
      const at = iso(t);
      const kind = noticeOwed(doc.round, new Date(t));
      owed.push(kind);
      const claimed = kind === null || doc.round === null ? null : claimReviewNotice(doc, doc.round.reviewId, at, 300);
      if (claimed !== null && kind !== null) doc = reviewNoticeSent(claimed, 'r-1', kind, `m-${owed.length}`, at) ?? doc;
      doc = expireRound(doc, new Date(t)) ?? doc;
    }

    // Assess
    expect(owed.filter((k) => k !== null)).toEqual(['request', 'reminder', 'reminder']);
    expect(owed.indexOf('reminder')).toBe(4); // one day in: a third of the round
    expect(doc.round?.notices.map((n) => n.sentAt)).toEqual([iso(T0), iso(T0 + DAY), iso(T0 + 2 * DAY)]);
    expect(doc.round?.status).toBe('expired');
  });

  it('holds a notice claim for its lease: a second sender gets nothing until it lapses', () => {
    // Prepare
    const doc = docWith(round());

    // Act
    const first = claimReviewNotice(doc, 'r-1', iso(T0), 300);
    const second = first && claimReviewNotice(first, 'r-1', iso(T0 + 1000), 300);
    const afterLease = first && claimReviewNotice(first, 'r-1', iso(T0 + 301_000), 300);

    // Assess
    expect(first?.round?.noticeClaim).toEqual({ at: iso(T0) });
    expect(second).toBeNull();
    expect(afterLease?.round?.noticeClaim).toEqual({ at: iso(T0 + 301_000) });
  });

  it('is due when there is none or the current one is over; a new one replaces the old rows (an unanswered one as expired)', () => {
    // Prepare
    const doc = docWith(round());

    // Act
    const replaced = replaceRound(doc, round({ reviewId: 'r-2', createdAt: iso(T0 + 3 * DAY) }));

    // Assess
    expect(reviewDue(emptyReviewDoc('fraud'), new Date(T0))).toBe(true);
    expect(reviewDue(doc, new Date(T0 + DAY))).toBe(false);
    expect(reviewDue(doc, new Date(T0 + 3 * DAY))).toBe(true);
    expect(replaced.expired?.reviewId).toBe('r-1');
    expect(replaced.doc.past).toEqual([{ reviewId: 'r-1', createdAt: iso(T0), status: 'expired', tally: null }]);
    expect(replaced.doc.round?.reviewId).toBe('r-2');
  });

  const verdicts = [
    { index: 0, verdict: 'wrong' as const, comment: 'negative <b>amount</b>' },
    { index: 1, verdict: 'wrong' as const },
    { index: 2, verdict: 'right' as const },
    { index: 3, verdict: 'unsure' as const },
  ];
  const input = { reviewId: 'r-1', tokenId: 'tok-1', at: iso(T0 + DAY), actor: 'alice', rows: verdicts };

  it.each([
    { name: 'a replaced round', doc: docWith(round({ reviewId: 'r-2' })), refused: 'replaced' },
    { name: 'no round at all', doc: emptyReviewDoc('fraud'), refused: 'replaced' },
    { name: 'an expired round', doc: docWith(round({ status: 'expired' })), refused: 'expired' },
    { name: 'a round past its end', doc: docWith(round({ expiresAt: iso(T0 + DAY / 2) })), refused: 'expired' },
    {
      name: 'a round answered by another link',
      doc: docWith(round({ status: 'answered', verdicts: { at: iso(T0), actor: 'bob', tokenId: 'tok-0', rows: [], tally: tallyVerdicts([]), proposalId: null } })),
      refused: 'answered',
    },
  ])('refuses verdicts for $name ($refused)', ({ doc, refused }) => {
    // Act
    const r = recordVerdicts(doc, input);

    // Assess
    expect(r).toEqual({ refused });
  });

  it.each([
    { name: 'a row it does not have', rows: [{ index: 9, verdict: 'right' as const }] },
    { name: 'one row twice', rows: [{ index: 0, verdict: 'right' as const }, { index: 0, verdict: 'wrong' as const }] },
    { name: 'no rows', rows: [] },
    // The page requires a choice for every row ("not sure" is the way to pass): one "looks wrong" of 4 rows posted alone is not a 100 % share.
    { name: 'only some of its rows', rows: [{ index: 0, verdict: 'wrong' as const }] },
  ])('refuses verdicts on $name (bad-rows)', ({ rows }) => {
    // Act
    const r = recordVerdicts(docWith(round()), { ...input, rows });

    // Assess
    expect(r).toEqual({ refused: 'bad-rows' });
  });

  it('records the verdicts once with their tally; the same link again is recognised as the one that recorded them', () => {
    // Act
    const first = recordVerdicts(docWith(round()), input);
    const doc = 'doc' in first ? first.doc : undefined;
    const twin = doc && recordVerdicts(doc, input);

    // Assess: "not sure" counts for neither side: 2 wrong of 3 marked.
    expect(doc?.round?.status).toBe('answered');
    expect(doc?.round?.verdicts?.tally).toEqual({ right: 1, wrong: 2, unsure: 1, wrongShare: 2 / 3 });
    expect(twin && 'mine' in twin).toBe(true);
    expect(noticeOwed(doc?.round ?? null, new Date(T0 + 2 * DAY))).toBeNull();
  });

  it.each([
    { right: 7, wrong: 3, level: 0.3, asks: false },
    { right: 6, wrong: 4, level: 0.3, asks: true },
    { right: 0, wrong: 0, level: 0.3, asks: false },
    { right: 0, wrong: 1, level: 1, asks: false },
  ])('asks for a retrain only above the level: $wrong wrong, $right right, level $level -> $asks', ({ right, wrong, level, asks }) => {
    // Prepare
    const rows = [...Array(right).fill('right'), ...Array(wrong).fill('wrong'), 'unsure'].map((verdict, index) => ({ index, verdict }));

    // Act
    const tally = tallyVerdicts(rows);

    // Assess
    expect(asksForRetrain(tally, level)).toBe(asks);
  });
});
