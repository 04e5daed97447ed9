import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  numericJensenShannon,
  numericStats,
  wassersteinNoiseFloor,
} from '../../../functions/core/drift/index.js';
import { mergeSignatures, numericSignatureOf, type CentreFrame } from '../../../functions/core/signature/index.js';
import type { NumericColumnSignature } from '../../../functions/core/signature/types.js';

/**
 * Exact and centred numeric statistics, the noise floor and Benjamini–Hochberg against scipy on committed
 * fixtures (test/fixtures/exact/generate.py writes the samples and scipy's answers). Tolerances, and why:
 * - few distinct values (exact counts): KS, W/σ and JS equal scipy's to rounding (1e-12 / 1e-9 relative);
 * - far from zero (centred sketch): KS within 0.01 and W/σ within 2 % (the benchmark's targets), and the
 *   reported error bounds hold (exact KS ∈ [KS, KS + ksError], |W − exact| ≤ wassersteinError);
 * - noise floor: within 20 % of scipy's simulated 99th percentile (2000 draws; the floor is the Brownian-bridge
 *   limit on the reference's quantiles, so small-sample and resampling differences remain);
 * - Benjamini–Hochberg: equal to scipy.stats.false_discovery_control to 1e-12.
 */

interface Case {
  name: string;
  reference: number[];
  current: number[];
  ks: number;
  wassersteinNorm: number;
  js?: number;
}

const fixtures = new URL('../../fixtures/exact/', import.meta.url);
const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, fixtures), 'utf8')) as T;
const cases = read<Case[]>('samples.json');

/** The reference signed alone, the current signed against it (its frame and edges), as the builder does. */
function pair(c: Case): { reference: NumericColumnSignature; current: NumericColumnSignature } {
  const reference = numericSignatureOf(c.reference);
  const frame: CentreFrame | null = reference.centred === undefined ? null : { offset: reference.centred.offset, scale: reference.centred.scale };
  const current = numericSignatureOf(c.current, { frame, edges: reference.histogram?.edges });
  return { reference, current };
}

describe('Function: numericStats (exact counts and the centred sketch)', () => {
  it.each(cases.filter((c) => c.js !== undefined))('$name: exact counts give scipy\'s KS, W/σ and JS', (c) => {
    // Prepare
    const { reference, current } = pair(c);

    // Act
    const stats = numericStats(reference, current);

    // Assess
    expect(reference.exact?.values.length).toBeLessThanOrEqual(256);
    expect(stats.resolution).toBe('exact-counts');
    expect(stats.ks.statistic).toBeCloseTo(c.ks, 12);
    expect(Math.abs(stats.wassersteinNorm / c.wassersteinNorm - 1)).toBeLessThan(1e-9);
    expect(numericJensenShannon(reference, current)).toBeCloseTo(c.js as number, 12);
    expect(stats.ksError).toBe(0);
  });

  it.each(cases.filter((c) => c.js === undefined))('$name: KS within 0.01 and W/σ within 2% of scipy, inside the reported bounds', (c) => {
    // Prepare
    const { reference, current } = pair(c);

    // Act
    const stats = numericStats(reference, current);

    // Assess
    expect(reference.exact).toBeUndefined();
    expect(stats.resolution).toBe(c.name === 'normal' ? 'sketch' : 'centred-sketch');
    expect(Math.abs(stats.ks.statistic - c.ks)).toBeLessThan(0.01);
    expect(Math.abs(stats.wassersteinNorm / c.wassersteinNorm - 1)).toBeLessThan(0.02);
    expect(c.ks).toBeGreaterThanOrEqual(stats.ks.statistic - 1e-12);
    expect(c.ks).toBeLessThanOrEqual(stats.ks.statistic + stats.ksError + 1e-12);
    expect(Math.abs(stats.wassersteinNorm - c.wassersteinNorm)).toBeLessThanOrEqual(stats.wassersteinError + 1e-12);
  });

  it('marks what the main sketch cannot resolve: without the centred sketch, far-from-zero KS is a wide bound', () => {
    // Prepare: the mean-1000, σ-7 case without its centred sketch (a signature written before it).
    const c = cases.find((x) => x.name === 'far-from-zero') as Case;
    const reference = numericSignatureOf(c.reference, { frame: null });
    const current = numericSignatureOf(c.current, { frame: null });

    // Act
    const stats = numericStats(reference, current);

    // Assess: the sketch's buckets are ~1.4 σ wide there; the bound says so and contains scipy's figure.
    expect(stats.resolution).toBe('coarse-sketch');
    expect(stats.ksError).toBeGreaterThan(0.1);
    expect(c.ks).toBeLessThanOrEqual(stats.ks.statistic + stats.ksError);
  });
});

describe('Function: mergeNumeric (exact counts and centred sketches)', () => {
  it('merges exact counts exactly, and drops them once the union passes 256 distinct values', () => {
    // Prepare
    const a = numericSignatureOf(Array.from({ length: 200 }, (_, i) => i));
    const b = numericSignatureOf(Array.from({ length: 100 }, (_, i) => 150 + (i % 50)));
    const c = numericSignatureOf(Array.from({ length: 100 }, (_, i) => 1000 + i));
    const whole = numericSignatureOf([...Array.from({ length: 200 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 150 + (i % 50))]);
    const dataset = (col: NumericColumnSignature) => ({
      schemaVersion: 1 as const,
      rowCount: col.count,
      schema: [{ name: 'x', type: 'float' as const, sourceType: 'double', nullable: false }],
      columns: { x: col },
      sources: [],
    });

    // Act
    const ab = mergeSignatures(dataset(a), dataset(b)).columns.x as NumericColumnSignature;
    const ba = mergeSignatures(dataset(b), dataset(a)).columns.x as NumericColumnSignature;
    const abc = mergeSignatures(dataset(ab), dataset(c)).columns.x as NumericColumnSignature;

    // Assess
    expect(ab.exact).toEqual(whole.exact);
    expect(ba.exact).toEqual(ab.exact);
    expect(abc.exact).toBeUndefined();
    expect(numericSignatureOf(Array.from({ length: 300 }, (_, i) => i)).exact).toBeUndefined();
  });

  it('adds centred sketches in one frame, drops them across frames, and a side without values keeps the other', () => {
    // Prepare
    const values = (shift: number) => Array.from({ length: 500 }, (_, i) => 1000 + shift + 7 * Math.sin(i * 1.7));
    const a = numericSignatureOf(values(0));
    const frame = { offset: a.centred!.offset, scale: a.centred!.scale };
    const sameFrame = numericSignatureOf(values(0.5), { frame });
    const otherFrame = numericSignatureOf(values(0.5), { frame: { offset: frame.offset + frame.scale, scale: frame.scale } });
    const empty = numericSignatureOf([null, null], { frame: null });
    const dataset = (col: NumericColumnSignature) => ({ schemaVersion: 1 as const, rowCount: col.count, schema: [{ name: 'x', type: 'float' as const, sourceType: 'double', nullable: true }], columns: { x: col }, sources: [] });
    const merged = (x: NumericColumnSignature, y: NumericColumnSignature) => mergeSignatures(dataset(x), dataset(y)).columns.x as NumericColumnSignature;

    // Act / Assess
    expect(a.centred).toBeDefined();
    expect(merged(a, sameFrame).centred?.sketch).toEqual(numericSignatureOf([...values(0), ...values(0.5)], { frame }).centred?.sketch);
    expect(merged(a, otherFrame).centred).toBeUndefined();
    expect(merged(otherFrame, a).centred).toBeUndefined();
    expect(merged(a, empty).centred).toEqual(a.centred);
  });
});

describe('Function: wassersteinNoiseFloor', () => {
  it.each(read<{ name: string; n: number; m: number; reference: number[]; p99: number }[]>('noise.json'))(
    '$name: within 20% of the 99th percentile of scipy W/σ over same-distribution draws',
    ({ n, m, reference, p99 }) => {
      // Prepare
      const signature = numericSignatureOf(reference);

      // Act
      const floor = wassersteinNoiseFloor(signature, n, m);

      // Assess
      expect(Math.abs(floor / p99 - 1)).toBeLessThan(0.2);
      expect(wassersteinNoiseFloor(signature, n, m)).toBe(floor);
    },
  );
});

describe('Function: benjaminiHochberg', () => {
  it.each(read<{ p: number[]; adjusted: number[] }[]>('bh.json'))('equals scipy.stats.false_discovery_control ($p.length p-values)', ({ p, adjusted }) => {
    // Act
    const ours = benjaminiHochberg(p);

    // Assess
    ours.forEach((q, i) => expect(q).toBeCloseTo(adjusted[i], 12));
  });
});
