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

  for (const name of Object.keys(golden)) {
    it(`gives the same bits: ${name}`, () => {
      // Assess: sketch counts, histogram counts, exact counts, centred sketch, moments; -0 kept apart from 0.
      expect(signed[name]).toEqual(golden[name]);
    });
  }
});
