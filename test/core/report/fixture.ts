import type { DriftResult } from '../../../functions/core/drift/types.js';
import type { DecisionPageInput, NoticeInput, ReportInput } from '../../../functions/core/report/types.js';
import { driftResultFixture, SCRIPT_CATEGORY } from './drift-result-fixture.js';

export { driftResultFixture, SCRIPT_CATEGORY };

const indexes = [0.35, 0.41, 0.38, 0.5, 0.55, 0.62, 0.7, 0.78, 0.86, 0.95, 1.12, 1.6, 2.4, driftResultFixture.driftIndex];
const times = [
  '2026-11-10T06:00:00Z', '2026-11-11T06:00:00Z', '2026-11-12T06:00:00Z', '2026-11-13T06:00:00Z', '2026-11-14T06:00:00Z',
  '2026-11-15T06:00:00Z', '2026-11-16T06:00:00Z', '2026-11-17T06:00:00Z', '2026-11-18T06:00:00Z', '2026-11-20T06:00:00Z',
  '2026-11-22T06:00:00Z', '2026-11-24T06:00:00Z', '2026-11-25T06:00:00Z', '2026-11-26T06:00:00Z',
];

/** A full report input: 14 checks of history, two cadence changes, a rising forecast and an open proposal. */
export const reportInputFixture: ReportInput = {
  modelId: 'flight-delay-v3',
  checkId: 'chk-20261126T0600Z',
  generatedAt: '2026-11-26T06:00:12Z',
  result: driftResultFixture,
  history: times.map((at, i) => ({
    at,
    checkId: `chk-${at.slice(0, 10).replaceAll('-', '')}`,
    verdict: indexes[i] >= 1 ? ('drift' as const) : ('no-drift' as const),
    score: indexes[i] >= 1 ? Math.min(1, indexes[i] / 10) : 0,
    driftIndex: indexes[i],
  })),
  cadence: [
    { at: '2026-11-18T06:00:00Z', checkIntervalSeconds: 172_800, previousIntervalSeconds: 86_400, reason: 'Stable for 8 checks: checking less often.' },
    { at: '2026-11-24T06:00:00Z', checkIntervalSeconds: 86_400, previousIntervalSeconds: 172_800, reason: 'Drift index above 1: checking daily again.' },
  ],
  forecast: { crossingAt: null, slopePerDay: 0.146, points: 14, method: 'theil-sen' },
  proposal: { proposalId: 'prop-7f3a', expiresAt: '2026-11-29T06:00:00Z', retrainBy: '2026-11-26T06:00:12Z' },
};

/** The notice for the same check. */
export const noticeInputFixture: NoticeInput = {
  modelId: 'flight-delay-v3',
  proposalId: 'prop-7f3a',
  result: driftResultFixture,
  forecast: reportInputFixture.forecast,
  links: {
    report: 'https://reports.example.com/flight-delay-v3/chk-20261126T0600Z.html?X-Amz-Signature=abc123',
    approve: 'https://decide.example.com/d?t=eyJwIjoicHJvcC03ZjNhIiwiYSI6ImFwcHJvdmUifQ.sig-approve',
    reject: 'https://decide.example.com/d?t=eyJwIjoicHJvcC03ZjNhIiwiYSI6InJlamVjdCJ9.sig-reject',
    snooze: 'https://decide.example.com/d?t=eyJwIjoicHJvcC03ZjNhIiwiYSI6InNub296ZSJ9.sig-snooze',
  },
  expiresAt: '2026-11-29T06:00:00Z',
  retrainBy: '2026-11-26T06:00:12Z',
};

/** The evidence and token a decision Lambda would pass. */
export const decisionInputFixture: DecisionPageInput = {
  modelId: 'flight-delay-v3',
  proposalId: 'prop-7f3a',
  action: 'approve',
  token: 'eyJwIjoicHJvcC03ZjNhIn0.sig"><script>window.__driftgatePwned=1</script>',
  expiresAt: '2026-11-29T06:00:00Z',
  evidence: {
    verdict: 'drift',
    headline: "4 of 12 features drifted; 'delay' moved +14.9 at the median; retrain advised by Thu 26 Nov 2026.",
    features: [
      { name: 'delay', move: 'moved +14.9 at the median (15.08 → 29.99)' },
      { name: '<b>carrier</b>', move: "'<script>' is new at 3% of rows" },
    ],
    reportUrl: 'https://reports.example.com/r.html?X-Amz-Signature=abc&x=1',
  },
};

/**
 * The same check as a data-quality result: a column went missing, one changed type and promo_code's nulls
 * surged, so the action is data-quality (the distribution verdict is no longer drift), as compare would decide.
 */
export const dataQualityResultFixture: DriftResult = {
  ...driftResultFixture,
  drift: false,
  verdict: 'no-drift',
  action: 'data-quality',
  actionReason: "Data quality: column 'legacy_score' is missing from the current batch (and 2 more findings); fix the pipeline before retraining.",
  incidents: [
    { kind: 'missing-column', feature: 'legacy_score', detail: "Column 'legacy_score' is missing from the current batch." },
    { kind: 'retyped-column', feature: 'zip', detail: "Column 'zip' changed type (int64 → utf8)." },
    { kind: 'null-surge', feature: 'promo_code', detail: "'promo_code' null share rose from 20% to 99.5% (two-proportion z-test p < 0.001)." },
  ],
  schema: { missing: ['legacy_score'], added: ['booking_channel'], retyped: [{ name: 'zip', reference: 'int64', current: 'utf8' }] },
};

