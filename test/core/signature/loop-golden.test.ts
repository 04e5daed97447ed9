import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBits, signLoopCases } from './fixtures/loop-cases.js';

// Written by fixtures/make-loop-golden.ts with the signature code before the hot-loop rewrite (issue 14).
const golden = JSON.parse(readFileSync(new URL('./fixtures/loop-golden.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('Function: NumericAccumulator hot loops (bit identity with the code before the rewrite)', () => {
  const signed = encodeBits(signLoopCases()) as Record<string, unknown>;

  it('signs the same cases', () => {
    // Assess
    expect(Object.keys(signed).sort()).toEqual(Object.keys(golden).sort());
  });

  for (const name of Object.keys(golden).filter((n) => n !== 'overflowing-sum')) {
    it(`gives the same bits: ${name}`, () => {
      // Assess: sketch counts, histogram counts, exact counts, centred sketch, moments; -0 kept apart from 0.
      expect(signed[name]).toEqual(golden[name]);
    });
  }

  it('overflowing-sum: the one deliberate change, a finite mean where the old code wrote -Infinity', () => {
    // Values in [1.5e308, 1.6e308): their sum and deviations overflow. The old code added the overflowed
    // deviation sum to the scaled mean (-Infinity); the mean is now the scaled mean, within rounding of the
    // exact one. Everything else in the case is the golden's, bit for bit.
    const mine = signed['overflowing-sum'] as { mean: unknown };
    const old = golden['overflowing-sum'] as { mean: unknown };
    expect(old.mean).toBe('number:-Infinity');
    expect(typeof mine.mean).toBe('number');
    expect(Math.abs((mine.mean as number) / 1.55e308 - 1)).toBeLessThan(0.01);
    expect({ ...mine, mean: 0 }).toEqual({ ...old, mean: 0 });
  });
});
