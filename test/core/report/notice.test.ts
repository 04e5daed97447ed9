import { describe, expect, it } from 'vitest';
import type { FeatureDrift, NumericFeatureDrift } from '../../../functions/core/drift/types.js';
import { ConfigError } from '../../../functions/core/errors.js';
import { NOTICE_MAX_BYTES, renderNotice, utf8Bytes } from '../../../functions/core/report/notice.js';
import type { NoticeInput } from '../../../functions/core/report/types.js';
import { dataQualityResultFixture, driftResultFixture, noticeInputFixture } from './fixture.js';

function linksOf(input: NoticeInput): string[] {
  return [input.links.report ?? '', input.links.approve ?? '', input.links.reject ?? '', input.links.snooze ?? ''];
}

/** Many drifted numeric features with long non-ASCII names, to overflow the 2 KB budget. */
function manyDrifted(count: number): FeatureDrift[] {
  const base = driftResultFixture.features.find((f): f is NumericFeatureDrift => f.kind === 'numeric' && f.drift);
  if (base === undefined) throw new Error('fixture has no drifted numeric feature');
  return Array.from({ length: count }, (_, i) => {
    // The severity is stored with the score (the ranking reads it): the delay feature's is score / threshold.
    const score = base.score + i / 100;
    return { ...base, name: `température_capteur_${String(i).padStart(2, '0')}_moyenne_glissante_sur_sept_jours`, score, severity: score / base.threshold };
  });
}

describe('Function: renderNotice', () => {
  it('matches the golden text for the fixed fixture', async () => {
    // Act
    const notice = renderNotice(noticeInputFixture);

    // Assess
    await expect(`Subject: ${notice.subject}\n\n${notice.text}`).toMatchFileSnapshot('./notice.golden.txt');
  });

  it('starts with the action and why in one plain sentence, stays within 2 KB and carries all four links', () => {
    // Act
    const { text } = renderNotice(noticeInputFixture);

    // Assess
    const [first, second] = text.split('\n');
    expect(first).toBe("Drift: 4 of 11 judged features drifted (the rule needs 25%): 'delay', 'carrier', 'fare' and 1 more; retraining advised.");
    expect(second).toBe("4 of 12 features drifted (1 with too little data); 'delay' moved +14.9 at the median; 1 schema change.");
    expect(utf8Bytes(text)).toBeLessThanOrEqual(NOTICE_MAX_BYTES);
    for (const link of linksOf(noticeInputFixture)) expect(text).toContain(link);
    expect(text).toContain('each link opens a confirmation page');
    expect(text).toContain('This proposal expires Sun 29 Nov 2026 06:00 UTC');
  });

  it('keeps an ASCII subject under 100 characters even for a long, non-ASCII model id', () => {
    // Prepare
    const input = { ...noticeInputFixture, modelId: `modèle-${'x'.repeat(150)}` };

    // Act
    const { subject } = renderNotice(input);

    // Assess
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toContain('drift in 4 of 12 features - decide by Sun 29 Nov 2026');
  });

  it('says when a veto-mode retrain starts unless rejected', () => {
    // Prepare
    const input = { ...noticeInputFixture, vetoAt: '2026-11-27T06:00:00Z' };

    // Act
    const notice = renderNotice(input);

    // Assess
    expect(notice.text).toContain('Retraining starts at Fri 27 Nov 2026 06:00 UTC unless you reject.');
    expect(notice.subject).toContain('retrain Fri 27 Nov 2026 unless rejected');
  });

  it('drops features beyond the top few, never the links, when the text would pass 2 KB', () => {
    // Prepare: 30 drifted features with long names and long signed links
    const long = 'x'.repeat(300);
    const input: NoticeInput = {
      ...noticeInputFixture,
      result: { ...driftResultFixture, features: manyDrifted(30) },
      links: {
        report: `https://r.example.com/report?sig=${long}`,
        approve: `https://d.example.com/a?t=${long}`,
        reject: `https://d.example.com/r?t=${long}`,
        snooze: `https://d.example.com/s?t=${long}`,
      },
    };

    // Act
    const { text } = renderNotice(input);

    // Assess
    expect(utf8Bytes(text)).toBeLessThanOrEqual(NOTICE_MAX_BYTES);
    for (const link of linksOf(input)) expect(text).toContain(link);
    expect(text.split('\n')[1]).toMatch(/^30 of 30 features drifted; 'température_capteur_29_/);
    const shown = text.split('\n').filter((l) => l.startsWith("- '")).length;
    const withShortLinks = renderNotice({ ...input, links: noticeInputFixture.links }).text;
    expect(withShortLinks.split('\n').filter((l) => l.startsWith("- '")).length).toBe(5);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(5);
    expect(text).toContain(`(+${30 - shown} more drifted in the report)`);
  });

  it('refuses links too long to fit rather than cutting them', () => {
    // Prepare
    const huge = `https://d.example.com/a?t=${'y'.repeat(1200)}`;
    const input: NoticeInput = { ...noticeInputFixture, links: { approve: huge, reject: huge, snooze: huge } };

    // Act
    const act = (): unknown => renderNotice(input);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/more than the 2048-byte limit/);
  });

  it('is the same text whatever the process time zone (dates are UTC)', () => {
    // Prepare
    const before = renderNotice(noticeInputFixture).text;
    const saved = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';

    // Act
    const after = renderNotice(noticeInputFixture).text;
    process.env.TZ = saved;

    // Assess
    expect(after).toBe(before);
  });

  it('says to fix the pipeline, not to retrain, for a data-quality result, and lists its findings first', () => {
    // Act
    const { subject, text } = renderNotice({ ...noticeInputFixture, result: dataQualityResultFixture });

    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toBe("Data quality: column 'legacy_score' is missing from the current batch (and 2 more findings); fix the pipeline before retraining.");
    expect(text).not.toMatch(/retrain(ing)? advised/);
    expect(lines.slice(3, 7)).toEqual([
      'Data-quality findings (fix the pipeline before retraining):',
      "- missing-column: Column 'legacy_score' is missing from the current batch.",
      "- retyped-column: Column 'zip' changed type (int64 → utf8).",
      "- null-surge: 'promo_code' null share rose from 20% to 99.5% (two-proportion z-test p < 0.001).",
    ]);
    expect(subject).toBe('[driftgate] flight-delay-v3: data quality (3 findings) - decide by Sun 29 Nov 2026');
    expect(utf8Bytes(text)).toBeLessThanOrEqual(NOTICE_MAX_BYTES);
  });
});
