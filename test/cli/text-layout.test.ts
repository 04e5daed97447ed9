import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDriftText, wrapText } from '../../functions/cli/format.js';
import type { DriftResult } from '../../functions/core/drift/types.js';
import { formatVersus } from '../../functions/core/format.js';
import { plainText } from '../../functions/core/text/plain.js';
import { driftResultFixture } from '../core/report/fixture.js';

const LONG = 'a_very_long_feature_name_for_checking_the_width_of_the_terminal_table_and_then_some';

/** The fixture with one feature renamed to a long name (its explanation says the name too). */
function withLongName(): DriftResult {
  const [first, ...rest] = driftResultFixture.features;
  return { ...driftResultFixture, features: [{ ...first, name: LONG, explanation: `'${LONG}' ${first.explanation}` }, ...rest] } as DriftResult;
}

describe('Function: renderDriftText (layout)', () => {
  it.each([40, 60, 80, 100, 120, 200])('fits every line in %i columns', (columns) => {
    // Act
    const text = renderDriftText(withLongName(), columns);

    // Assess
    const over = text.split('\n').filter((line) => [...line].length > columns);
    expect(over).toEqual([]);
  });

  it('wraps each explanation under its row at word boundaries, losing no word (no word is longer than the line)', () => {
    // Arrange
    const result = withLongName();

    // Act
    const lines = renderDriftText(result, 120).split('\n');

    // Assess: the indented lines after a row spell its explanation exactly
    for (const feature of result.features) {
      const row = lines.findIndex((l) => /^\s*\d+\s/.test(l) && l.includes(plainText(feature.name, 12).slice(0, 10)));
      expect(row).toBeGreaterThan(0);
      const under: string[] = [];
      for (let i = row + 1; i < lines.length && lines[i].startsWith('     '); i++) under.push(lines[i].trim());
      expect(under.join(' ')).toBe(plainText(feature.explanation, 2000).replace(/ +/g, ' '));
    }
  });

  it('drops the nulls column before narrowing names below 12 characters', () => {
    // Act
    const wide = renderDriftText(driftResultFixture, 160).split('\n')[2];
    const narrow = renderDriftText(driftResultFixture, 60).split('\n')[2];

    // Assess
    expect(wide).toMatch(/\bnulls\b/);
    expect(narrow).not.toMatch(/\bnulls\b/);
    expect(narrow).toMatch(/\bfeature\b/);
  });

  it('explains the dataset score and the drift index where it prints them', () => {
    // Act
    const text = renderDriftText(driftResultFixture, 400);

    // Assess
    expect(text).toMatch(/Dataset score [^ ]+ \(the share of judged features that drifted\); drift index [^ ]+ \(the most drifted feature's severity, 1 = at its threshold\)/);
  });

  it('puts the test unit on the score and its threshold', () => {
    // Act
    const text = renderDriftText(driftResultFixture, 400);

    // Assess: the fixture's top feature is judged by Wasserstein, in σ
    const wasserstein = text.split('\n').find((l) => /\swasserstein\s/.test(l));
    expect(wasserstein).toMatch(/\d σ\s+≥ [\d.]+ σ/);
  });
});

describe('Function: wrapText', () => {
  it('cuts a word only when it is longer than a line', () => {
    // Act / Assess
    expect(wrapText('aa bbbbbbbbbbbb cc', 8, 2, 0)).toEqual(['aa', '  bbbbbb', '  bbbbbb', '  cc']);
    expect(wrapText('one two three', 9)).toEqual(['one two', 'three']);
    expect(wrapText('', 9)).toEqual(['']);
  });
});

describe('Function: formatVersus', () => {
  it('never prints a comparison the numbers contradict', () => {
    // Arrange: scores near thresholds, as a test produces them
    const close = fc.tuple(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.double({ min: -0.01, max: 0.01, noNaN: true }));

    // Act / Assess
    fc.assert(
      fc.property(close, ([threshold, relative]) => {
        const score = threshold * (1 + relative);
        const printed = formatVersus(score, threshold);
        const [s, t] = [Number(printed.score), Number(printed.threshold)];
        if (score < threshold) expect(s).toBeLessThan(t);
        else if (score > threshold) expect(s).toBeGreaterThan(t);
        else expect(s).toBe(t);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('keeps three digits when they suffice', () => {
    // Act / Assess
    expect(formatVersus(0.555, 0.1)).toEqual({ score: '0.555', threshold: '0.1' });
    expect(formatVersus(0.09996, 0.1)).toEqual({ score: '0.09996', threshold: '0.1' });
  });
});
