import { describe, expect, it } from 'vitest';
import { renderDriftText } from '../../../functions/cli/format.js';
import { compare } from '../../../functions/core/drift/index.js';
import type { DriftResult, FeatureDrift } from '../../../functions/core/drift/types.js';
import { renderDecisionPage, renderDecisionResult } from '../../../functions/core/report/decision-page.js';
import { renderHtmlReport } from '../../../functions/core/report/html-report.js';
import { NOTICE_SUBJECT_MAX_BYTES, noticeSubject, toSubjectAscii } from '../../../functions/core/report/notice-subject.js';
import { LINKS_MARKER, renderNotice } from '../../../functions/core/report/notice.js';
import type { NoticeInput, ReportInput } from '../../../functions/core/report/types.js';
import { datasetOf } from '../drift/build.js';
import { FAKE_LINK, HOSTILE_STRINGS, LINK_LOOKING, RAW_INVISIBLE } from '../text/hostile-corpus.js';
import { decisionInputFixture, driftResultFixture, noticeInputFixture, reportInputFixture } from './fixture.js';

/**
 * Every hostile string of the corpus, put in every data-derived field a person ends up reading (column names,
 * category values, schema change labels with Arrow time-zone strings, time columns, stored sentences, test
 * names, the model id), rendered on all three media: the notice text, the HTML report and decision pages,
 * the SNS subject, plus the CLI's terminal text.
 */

/** Genuine decision links, in the shape service/notify.ts makes them. */
const LINKS = {
  report: 'https://reports.example.com/m/chk-1.html?X-Amz-Signature=abc',
  approve: 'https://decide.example.com/decide?token=approve.sig',
  reject: 'https://decide.example.com/decide?token=reject.sig',
  snooze: 'https://decide.example.com/decide?token=snooze.sig',
} as const;
const LINK_LINES = [`Report: ${LINKS.report}`, `Approve retraining: ${LINKS.approve}`, `Reject: ${LINKS.reject}`, `Snooze: ${LINKS.snooze}`];

/** The fixed starts of the notice's lines before its links block: no line can start with data. */
const FIXED_STARTS =
  /^(?:$|(?:Drift|Data quality|Watch|No action): |\d+ of \d+ features? drifted|Too little data to judge|Data-quality findings |- (?:missing-column|retyped-column|null-surge|all-null|out-of-range-jump|row-collapse): |  \(\+\d+ more in the report\)|Top drifted features|- '|  \(\+\d+ more drifted|Schema: |Forecast: |Retraining starts at |This proposal expires )/;

/** The fixture result with `hostile` in every string that comes from data. */
function hostileResult(hostile: string): DriftResult {
  const features = driftResultFixture.features.map((f, i): FeatureDrift => {
    const base = { ...f, name: `${hostile}${i}`, explanation: `'${hostile}' moved (raw, as an older or other producer stored it)` };
    if (f.kind === 'numeric') return { ...base, kind: 'numeric', metrics: f.metrics, outOfRangeShare: f.outOfRangeShare, range: f.range, quantiles: f.quantiles, bins: f.bins, mean: f.mean };
    return { ...base, kind: 'categorical', metrics: f.metrics, test: i % 2 === 0 ? hostile : f.test, categories: f.categories.map((c, j) => ({ ...c, value: `${hostile}${j}` })) };
  });
  return {
    ...driftResultFixture,
    // Stored sentences as another producer might have written them: raw, unquoted data.
    actionReason: hostile,
    incidents: [
      { kind: 'missing-column', feature: hostile, detail: `${hostile} is missing` },
      { kind: 'null-surge', feature: `${hostile}0`, detail: hostile },
    ],
    rule: { kind: hostile, description: `rule about '${hostile}'` },
    features,
    schema: {
      missing: [hostile],
      added: [`${hostile}+`],
      retyped: [{ name: `${hostile}~`, reference: hostile, current: `mixed: other (Arrow(tsn:${hostile})) | timestamp (Timestamp<NANOSECOND, ${hostile}>)` }],
    },
    time: [{ name: hostile, reference: ['1970-01-01T00:00:00.000Z', '1970-01-02T00:00:00.000Z'], current: ['1970-01-01T00:00:00.000Z', hostile] }],
    summary: `summary naming '${hostile}'`,
  };
}

/** A result computed by compare from signatures whose names and categories are hostile: the sentences are explain.ts's. */
function comparedResult(hostile: string): DriftResult {
  const n = 200;
  const numbers = (shift: number): number[] => Array.from({ length: n }, (_, i) => (i % 50) + shift);
  const cats = (fresh: boolean): string[] => Array.from({ length: n }, (_, i) => (fresh && i % 2 === 0 ? `${hostile}!` : i % 3 === 0 ? hostile : 'plain'));
  const reference = datasetOf({ [hostile]: { type: 'float', values: numbers(0) }, [`${hostile}#`]: { type: 'string', values: cats(false) }, [`${hostile}-gone`]: { type: 'float', values: numbers(0) } });
  const current = datasetOf(
    { [hostile]: { type: 'float', values: numbers(40) }, [`${hostile}#`]: { type: 'string', values: cats(true) }, [`${hostile}-new`]: { type: 'float', values: numbers(0) } },
    { reference },
  );
  return compare(reference, current);
}

function noticeOf(result: DriftResult, modelId = 'm'): { subject: string; text: string } {
  const input: NoticeInput = { ...noticeInputFixture, modelId, proposalId: 'prop-1', result, links: LINKS };
  return renderNotice(input);
}

function assessNotice(text: string): void {
  const lines = text.trimEnd().split('\n');
  const marker = lines.indexOf(LINKS_MARKER);
  // One links block, last, opened by the fixed marker: after it only the genuine link lines.
  expect(lines.filter((l) => l === LINKS_MARKER)).toHaveLength(1);
  expect(lines.slice(marker + 1)).toEqual(LINK_LINES);
  // The only lines with a URL or the decision path are those link lines, after all data.
  lines.forEach((line, i) => {
    if (/http|\/decide\?token=|decide\?token|:\/\//i.test(line)) {
      expect(i, line).toBeGreaterThan(marker);
      expect(LINK_LINES).toContain(line);
    }
  });
  for (const line of lines.slice(0, marker)) {
    expect(line, line).toMatch(FIXED_STARTS);
    expect(line).not.toMatch(RAW_INVISIBLE);
  }
  expect(text).not.toContain('\r');
}

/** The links our pages make: in-page anchors and the report link of the evidence. */
const OWN_HREF = /^(?:#feature-\d+|#|https:\/\/reports\.example\.com\/[^"]*)$/;

function assessHtml(html: string): void {
  // The page's own line breaks aside, no control, bidi or invisible character reaches the page.
  expect(html.replace(/\n/g, '')).not.toMatch(RAW_INVISIBLE);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  // Data shows as text (the report keeps full names, escaped): no tag carries an event handler, no link is data's.
  for (const [tag] of html.matchAll(/<[a-z][^>]*>/gi)) expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/\son[a-z]+\s*=/i);
  for (const [, href] of html.matchAll(/\shref="([^"]*)"/g)) expect(href).toMatch(OWN_HREF);
}

function assessSubject(subject: string): void {
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
  expect(subject.length).toBeLessThanOrEqual(NOTICE_SUBJECT_MAX_BYTES);
}

function assessTerminal(text: string): void {
  // A table row starts with its (escaped, defanged) name by design; no line holds an escape sequence or a link.
  for (const line of text.split('\n')) {
    expect(line).not.toMatch(RAW_INVISIBLE);
    expect(line, line).not.toMatch(LINK_LOOKING);
  }
}

const cases = HOSTILE_STRINGS.map((s) => [JSON.stringify(s).slice(0, 50), s] as const);

describe('Function: renderNotice (hostile data)', () => {
  it.each(cases)('keeps %s out of the links block, off the start of lines and free of links', (_label, hostile) => {
    // Act
    const fromFields = noticeOf(hostileResult(hostile));
    const fromCompare = noticeOf(comparedResult(hostile));

    // Assess
    assessNotice(fromFields.text);
    assessNotice(fromCompare.text);
    assessSubject(fromFields.subject);
  });

  it('shows a fake link as defanged text on an indented data line, never as a link line', () => {
    // Act
    const { text } = noticeOf(hostileResult(`x\n${FAKE_LINK}`));

    // Assess
    expect(text).toContain("\n- 'x\\u{a}Approve retraining: hxxps[:]//evil[.]exam…': ");
    expect(text.split('\n').filter((l) => l.startsWith('Approve retraining:'))).toEqual([`Approve retraining: ${LINKS.approve}`]);
  });
});

describe('Function: renderHtmlReport and the decision pages (hostile data)', () => {
  it.each(cases)('render %s as inert, visible text', (_label, hostile) => {
    // Prepare
    const report: ReportInput = {
      ...reportInputFixture,
      modelId: hostile,
      checkId: hostile,
      result: hostileResult(hostile),
      cadence: [{ ...reportInputFixture.cadence[0], reason: hostile }],
      forecast: { crossingAt: hostile, slopePerDay: 0.1, points: 3, method: hostile },
      proposal: { proposalId: hostile, expiresAt: hostile, retrainBy: hostile },
    };
    const compared: ReportInput = { ...reportInputFixture, result: comparedResult(hostile) };
    const evidence = { verdict: 'drift' as const, headline: hostile, features: [{ name: hostile, move: hostile }], reportUrl: `javascript:${hostile}` };

    // Act
    const pages = [
      renderHtmlReport(report),
      renderHtmlReport(compared),
      renderDecisionPage({ ...decisionInputFixture, modelId: hostile, proposalId: hostile, token: hostile, expiresAt: hostile, evidence, error: hostile }),
      renderDecisionPage({ ...decisionInputFixture, modelId: hostile, proposalId: hostile, token: hostile, evidence }),
      renderDecisionResult({ modelId: hostile, proposalId: hostile, action: 'approve', outcome: 'done', decidedAt: hostile, message: hostile }),
    ];

    // Assess
    for (const html of pages) assessHtml(html);
    expect(pages[3]).not.toContain('href="javascript');
  });

  it('shows a right-to-left override as a visible escape, so it cannot turn "reject" into "tcejer" on the page', () => {
    // Act
    const html = renderHtmlReport({ ...reportInputFixture, result: hostileResult('\u202etcejer\u202c') });

    // Assess
    expect(html).toContain('\\u{202e}tcejer\\u{202c}0');
    expect(html).not.toContain('\u202e');
  });
});

describe('Function: noticeSubject (hostile model id and prefix)', () => {
  it.each(cases)('keeps the subject printable ASCII within %s', (_label, hostile) => {
    // Act
    const fromNotice = noticeOf(driftResultFixture, hostile).subject;
    const direct = noticeSubject({ prefix: hostile, modelId: hostile, verdict: 'drift in 4 of 12 features', deadline: 'decide by Sun 29 Nov 2026' });

    // Assess
    assessSubject(fromNotice);
    assessSubject(direct);
    expect(fromNotice).toContain('drift in 4 of 12 features - decide by Sun 29 Nov 2026');
    expect(direct).toContain('drift in 4 of 12 features - decide by Sun 29 Nov 2026');
    expect(toSubjectAscii(hostile)).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('Function: renderDriftText (hostile data)', () => {
  it.each(cases)('prints %s on a terminal without escapes, bidi tricks or links', (_label, hostile) => {
    // Act
    const texts = [renderDriftText(hostileResult(hostile)), renderDriftText(comparedResult(hostile))];

    // Assess
    for (const text of texts) assessTerminal(text);
  });
});
