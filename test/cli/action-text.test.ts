import { describe, expect, it } from 'vitest';
import { actionLine, renderDriftText } from '../../functions/cli/format.js';
import type { DriftResult } from '../../functions/core/drift/types.js';
import { dataQualityResultFixture, driftResultFixture } from '../core/report/fixture.js';

describe('Function: renderDriftText (action classes)', () => {
  it('prints the action and why before the distribution verdict, and marks features with a data-quality finding', () => {
    // Act
    const text = renderDriftText(dataQualityResultFixture, 400);

    // Assess
    const lines = text.split('\n');
    const action = lines.findIndex((l) => l.startsWith('Action: '));
    expect(lines[action]).toBe("Action: DATA-QUALITY — column 'legacy_score' is missing from the current batch (and 2 more findings); fix the pipeline before retraining.");
    expect(lines[action + 1]).toMatch(/^Distribution verdict: no-drift\. Dataset score [^ ]+ \(the share of judged features that drifted\)/);
    expect(text).not.toMatch(/^Verdict: /m);
    expect(text).toContain("\nData-quality findings (DQ):\n  missing-column: Column 'legacy_score' is missing from the current batch.\n");
    expect(lines.find((l) => /^\s*\d+\s+promo_code/.test(l))).toMatch(/\sn\/a DQ(\s|$)/);
  });

  it.each([
    ['drift', driftResultFixture, "Action: DRIFT — 4 of 11 judged features drifted (the rule needs 25%): 'delay', 'carrier', 'fare' and 1 more."],
    ['none', { ...driftResultFixture, drift: false, verdict: 'no-drift', action: 'none', actionReason: 'No action: no feature drifted (0 of 3 judged).' }, 'Action: NONE — no feature drifted (0 of 3 judged).'],
    ['a reason without its label (stored by another producer)', { ...driftResultFixture, actionReason: 'x\u001b[2J moved' }, 'Action: DRIFT — x\\u{1b}[2J moved'],
  ] as const)('writes the action line for %s', (_case, result, expected) => {
    // Act / Assess
    expect(actionLine(result as DriftResult)).toBe(expected);
  });
});
