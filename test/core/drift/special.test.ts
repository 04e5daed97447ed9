import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chi2Sf, kolmogorovSf, logGamma, regularizedGammaQ } from '../../../functions/core/drift/index.js';

// Expected values from scipy (test/fixtures/stats/generate.py): kstwobign.sf and chi2.sf.
const expected = JSON.parse(readFileSync(new URL('../../fixtures/stats/expected.json', import.meta.url), 'utf8')) as {
  kolmogorovSf: { x: number; sf: number }[];
  chi2Sf: { x: number; dof: number; sf: number }[];
  logGamma: { x: number; value: number }[];
};

/** Relative error, with an absolute floor for values near 0. */
function relativeError(actual: number, wanted: number): number {
  return Math.abs(actual - wanted) / Math.max(Math.abs(wanted), 1e-300);
}

describe('Function: kolmogorovSf', () => {
  it.each(expected.kolmogorovSf)('matches scipy kstwobign.sf at x = $x within 1e-9 relative', ({ x, sf }) => {
    // Act
    const actual = kolmogorovSf(x);

    // Assess
    expect(relativeError(actual, sf)).toBeLessThan(1e-9);
  });

  it('is 1 at and below 0 and decreasing', () => {
    // Prepare
    const xs = [0.1, 0.5, 0.9, 1, 1.1, 1.5, 2.5];

    // Act
    const values = xs.map(kolmogorovSf);

    // Assess
    expect(kolmogorovSf(0)).toBe(1);
    expect(kolmogorovSf(-1)).toBe(1);
    for (let i = 1; i < values.length; i += 1) expect(values[i]).toBeLessThan(values[i - 1]);
  });
});

describe('Function: chi2Sf', () => {
  it.each(expected.chi2Sf)('matches scipy chi2.sf($x, $dof) within 1e-9 relative', ({ x, dof, sf }) => {
    // Act
    const actual = chi2Sf(x, dof);

    // Assess
    expect(relativeError(actual, sf)).toBeLessThan(1e-9);
  });
});

describe('Function: logGamma', () => {
  it.each(expected.logGamma)('matches scipy gammaln($x) within 1e-12 relative (1e-13 absolute near 0)', ({ x, value }) => {
    // Act
    const actual = logGamma(x);

    // Assess
    expect(Math.abs(actual - value)).toBeLessThan(Math.max(1e-13, 1e-12 * Math.abs(value)));
  });
});

describe('Function: regularizedGammaQ', () => {
  it('is exp(-x) for a = 1 on both sides of the series/continued-fraction switch', () => {
    // Prepare
    const xs = [0.01, 0.5, 1.99, 2, 2.01, 7, 30];

    // Act
    const values = xs.map((x) => regularizedGammaQ(1, x));

    // Assess
    values.forEach((q, i) => expect(relativeError(q, Math.exp(-xs[i]))).toBeLessThan(1e-12));
  });

  it('rejects a non-positive shape', () => {
    // Act / Assess
    expect(() => regularizedGammaQ(0, 1)).toThrow(/a must be > 0/);
  });
});
