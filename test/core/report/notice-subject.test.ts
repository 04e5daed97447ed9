import { describe, expect, it } from 'vitest';
import { NOTICE_SUBJECT_MAX_BYTES, noticeSubject, toSubjectAscii } from '../../../functions/core/report/notice-subject.js';
import { renderNotice } from '../../../functions/core/report/notice.js';
import type { NoticeInput } from '../../../functions/core/report/types.js';
import { noticeInputFixture } from './fixture.js';

/** 60 characters: long enough that "[driftgate production] <id>: <verdict> - <deadline>" passes 99. */
const LONG_MODEL = 'fraud-scoring-gradient-boosted-trees-eu-west-1-production-v4';
const PREFIX_300 = `[${'p'.repeat(298)}]`;
const DRIFT_4_OF_12 = 'drift in 4 of 12 features';
const DECIDE = 'decide by Sun 29 Nov 2026';
const VETO = 'retrain Fri 27 Nov 2026 unless rejected';

describe('Function: noticeSubject (through renderNotice)', () => {
  it.each<[string, Partial<NoticeInput>, string]>([
    ['the default prefix, nothing to shorten', {}, `[driftgate] flight-delay-v3: ${DRIFT_4_OF_12} - ${DECIDE}`],
    [
      'prefix [driftgate production] and a 60-character model id: the model id is shortened, the deadline stays whole',
      { subjectPrefix: '[driftgate production]', modelId: LONG_MODEL },
      `[driftgate production] fraud-scoring-grad...: ${DRIFT_4_OF_12} - ${DECIDE}`,
    ],
    [
      'a 300-character prefix: shortened after the model id, still a bracketed tag',
      { subjectPrefix: PREFIX_300 },
      `[${'p'.repeat(23)}...] flight-delay-v3: ${DRIFT_4_OF_12} - ${DECIDE}`,
    ],
    [
      'a 300-character prefix and a long model id: the model id keeps 16 characters',
      { subjectPrefix: PREFIX_300, modelId: LONG_MODEL },
      `[${'p'.repeat(22)}...] fraud-scoring...: ${DRIFT_4_OF_12} - ${DECIDE}`,
    ],
    [
      'a non-ASCII model id: accents stripped, letters spelled out, the rest replaced',
      { modelId: 'modèle-Straße-ĳ-日本-😀' },
      `[driftgate] modele-Strasse-ij-??-?: ${DRIFT_4_OF_12} - ${DECIDE}`,
    ],
    [
      'veto mode with a long model id and prefix: the retrain time stays whole',
      { vetoAt: '2026-11-27T06:00:00Z', subjectPrefix: '[driftgate production]', modelId: LONG_MODEL },
      `[driftgat...] fraud-scoring...: ${DRIFT_4_OF_12} - ${VETO}`,
    ],
    ['control characters in the model id become spaces', { modelId: 'a\nb\tc' }, `[driftgate] a b c: ${DRIFT_4_OF_12} - ${DECIDE}`],
    ['an empty prefix is left out', { subjectPrefix: '' }, `flight-delay-v3: ${DRIFT_4_OF_12} - ${DECIDE}`],
    ['a non-ASCII prefix', { subjectPrefix: '[drift—gate]' }, `[drift-gate] flight-delay-v3: ${DRIFT_4_OF_12} - ${DECIDE}`],
    [
      'no drift',
      { result: { ...noticeInputFixture.result, drift: false, verdict: 'no-drift', action: 'none' } },
      `[driftgate] flight-delay-v3: no drift - ${DECIDE}`,
    ],
    [
      'too little data',
      { result: { ...noticeInputFixture.result, drift: false, verdict: 'insufficient-data', action: 'none' } },
      `[driftgate] flight-delay-v3: too little data to judge - ${DECIDE}`,
    ],
    [
      'watch',
      { result: { ...noticeInputFixture.result, drift: false, verdict: 'no-drift', action: 'watch' } },
      `[driftgate] flight-delay-v3: watch: 4 of 12 features drifted - ${DECIDE}`,
    ],
    [
      'data quality',
      { result: { ...noticeInputFixture.result, drift: false, verdict: 'no-drift', action: 'data-quality', incidents: [{ kind: 'all-null', feature: 'x', detail: "'x' is entirely null." }] } },
      `[driftgate] flight-delay-v3: data quality (1 finding) - ${DECIDE}`,
    ],
  ])('%s', (_description, change, expected) => {
    // Act
    const { subject } = renderNotice({ ...noticeInputFixture, ...change });

    // Assess
    expect(subject).toBe(expected);
    expect(subject.length).toBeLessThanOrEqual(NOTICE_SUBJECT_MAX_BYTES);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('never exceeds 99 bytes and always ends with the whole verdict and deadline, whatever the prefix and model id', () => {
    // Prepare
    const prefixes = ['', '[driftgate]', '[driftgate production]', PREFIX_300, 'ünïcödé—prefix', ']]]'];
    const models = ['m', LONG_MODEL, 'x'.repeat(500), 'модель-日本', ' '];

    for (const subjectPrefix of prefixes) {
      for (const modelId of models) {
        for (const vetoAt of [undefined, '2026-11-27T06:00:00Z']) {
          // Act
          const { subject } = renderNotice({ ...noticeInputFixture, subjectPrefix, modelId, ...(vetoAt ? { vetoAt } : {}) });

          // Assess
          expect(new TextEncoder().encode(subject).length).toBeLessThanOrEqual(99);
          expect(subject).toMatch(/^[\x20-\x7e]+$/);
          expect(subject.endsWith(`${DRIFT_4_OF_12} - ${vetoAt ? VETO : DECIDE}`)).toBe(true);
        }
      }
    }
  });

  it('cuts the end only when the budget is too small even for the verdict and the deadline', () => {
    // Act
    const subject = noticeSubject({ prefix: '[x]', modelId: 'm', verdict: DRIFT_4_OF_12, deadline: DECIDE }, 30);

    // Assess
    expect(subject).toBe('drift in 4 of 12 features -...');
  });
});

describe('Function: toSubjectAscii', () => {
  it.each([
    ['Température à 30 °C', 'Temperature a 30 ?C'],
    ['a → b ≥ c — d', 'a -> b >= c - d'],
    ['“quoted” ‘single’', '"quoted" \'single\''],
    ['  two\n\nlines  ', 'two lines'],
    ['ﬁle…', 'file...'],
  ])('%s -> %s', (text, expected) => {
    // Assess
    expect(toSubjectAscii(text)).toBe(expected);
  });
});
