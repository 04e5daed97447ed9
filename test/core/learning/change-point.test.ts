import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { driftOnset, robustSigma, segmentMeanShift } from '../../../functions/core/learning/change-point.js';

// Made by test/fixtures/learning/make-histories.py (the reference: exact optimal partitioning in numpy).
interface FixtureHistory {
  name: string;
  series: number[];
  onset: number | null;
  reference: { changes: number[]; penalty: number };
}
const { histories } = JSON.parse(readFileSync(new URL('../../fixtures/learning/histories.json', import.meta.url), 'utf8')) as { histories: FixtureHistory[] };

describe('Function: segmentMeanShift', () => {
  it.each(histories.map((h) => [h.name, h] as const))('finds the same change points as the optimal-partitioning reference on %s', (_name, h) => {
    // Act
    const seg = segmentMeanShift(h.series);

    // Assess
    expect(seg.penalty).toBeCloseTo(h.reference.penalty, 10);
    expect(seg.changes).toEqual(h.reference.changes);
    expect(seg.means).toHaveLength(seg.changes.length + 1);
  });

  it('estimates σ from first differences, barely moved by one shift in mean', () => {
    // Prepare
    const flat = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0.1 : -0.1));
    const shifted = flat.map((x, i) => (i >= 20 ? x + 5 : x));

    // Act / Assess
    expect(robustSigma(shifted)).toBeCloseTo(robustSigma(flat), 10);
  });
});

describe('Function: driftOnset', () => {
  it.each(histories.filter((h) => !h.name.startsWith('random-')).map((h) => [h.name, h] as const))('finds the known onset of %s', (_name, h) => {
    // Act
    const onset = driftOnset(h.series);

    // Assess
    if (h.onset === null) {
      expect(onset.found).toBe(false);
      if (!onset.found) expect(onset.reason.length).toBeGreaterThan(10);
    } else {
      expect(onset).toMatchObject({ found: true, index: h.onset });
    }
  });

  it('gives no onset for a history too short to split', () => {
    // Act / Assess
    expect(driftOnset([0.1])).toMatchObject({ found: false, reason: expect.stringContaining('at least 2') });
  });
});
