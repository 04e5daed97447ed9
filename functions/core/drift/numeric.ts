import type { ExactCountsJson, NumericColumnSignature, QuantileSketchJson } from '../signature/types.js';
import {
  MIN_INDEXABLE,
  bucketUpper,
  sketchCount,
  sketchEdges,
  sketchHistogram,
  sketchMapping,
  sketchQuantile,
  sketchRankAt,
} from '../signature/sketch.js';
import { ConfigError } from '../errors.js';
import { variance } from '../signature/numeric.js';
import { jensenShannon, psi } from './distances.js';
import { clampFinite, finiteScore } from './finite.js';
import { kolmogorovSf, normalTwoSidedP } from './special.js';

/**
 * Numeric statistics computed from two quantile sketches that share one bucket mapping.
 *
 * Both empirical CDFs are exact at every bucket boundary (`sketchBoundaries`) and linear inside a bucket
 * (`sketchRankAt` spreads a bucket's values uniformly), so:
 * - the KS statistic is the largest CDF gap over the boundaries; it differs from the exact statistic by at
 *   most the mass inside one bucket (a bucket is 1% wide in value at α = 0.005);
 * - the Wasserstein-1 distance ∫|F − G| dx is integrated exactly for those piecewise-linear CDFs; every
 *   value is moved by at most α·|x|, so the error is bounded by α·(E|X| + E|Y|).
 */

export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  readonly n: number;
  readonly m: number;
}

/**
 * Walk both sketches' buckets in value order (the union of their non-empty buckets; the mapping is shared so
 * buckets coincide or are disjoint) and call `visit` once per segment of the real line: a bucket, where both
 * CDFs rise linearly from `before` to `after` (as `sketchRankAt` interpolates), or a gap, where they are flat.
 * Fractions, not counts. The zero bucket is a point mass: a zero-width segment at 0.
 */
function walkCdfs(
  a: QuantileSketchJson,
  b: QuantileSketchJson,
  visit: (width: number, beforeA: number, beforeB: number, afterA: number, afterB: number) => void,
  unit = 1,
): void {
  if (a.relativeAccuracy !== b.relativeAccuracy) {
    throw new ConfigError('drift', `cannot compare sketches with relative accuracy ${a.relativeAccuracy} and ${b.relativeAccuracy}`);
  }
  const n = sketchCount(a);
  const m = sketchCount(b);
  const { gamma } = sketchMapping(a.relativeAccuracy);
  let fa = 0;
  let fb = 0;
  let position: number | null = null;
  // Widths in units of `unit`, each end clamped to the largest double: the top bucket's upper bound can
  // overflow to Infinity and a gap from -1e308 to 1e308 overflows, so values are scaled before subtracting.
  const scaled = (x: number): number => Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, x)) / unit;
  const step = (lo: number, hi: number, countA: number, countB: number): void => {
    if (countA === 0 && countB === 0) return;
    // The flat gap since the previous segment.
    if (position !== null && lo > position) visit(scaled(lo) - scaled(position), fa, fb, fa, fb);
    const na = fa + countA / n;
    const nb = fb + countB / m;
    visit(scaled(hi) - scaled(lo), fa, fb, na, nb);
    fa = na;
    fb = nb;
    position = hi;
  };
  const countAt = (store: QuantileSketchJson['positive'], key: number): number => {
    const i = key - store.offset;
    return i >= 0 && i < store.counts.length ? store.counts[i] : 0;
  };
  const keyRange = (s1: QuantileSketchJson['positive'], s2: QuantileSketchJson['positive']): [number, number] => {
    const lows: number[] = [];
    const highs: number[] = [];
    for (const s of [s1, s2]) {
      if (s.counts.length > 0) {
        lows.push(s.offset);
        highs.push(s.offset + s.counts.length - 1);
      }
    }
    return lows.length === 0 ? [0, -1] : [Math.min(...lows), Math.max(...highs)];
  };
  // Negative buckets, most negative first: bucket k holds [−γ^k, −γ^(k−1)).
  const [negLow, negHigh] = keyRange(a.negative, b.negative);
  for (let k = negHigh; k >= negLow; k -= 1) {
    step(-bucketUpper(gamma, k), -bucketUpper(gamma, k - 1), countAt(a.negative, k), countAt(b.negative, k));
  }
  step(0, 0, a.zeroCount, b.zeroCount);
  // Positive buckets: bucket k holds (γ^(k−1), γ^k].
  const [posLow, posHigh] = keyRange(a.positive, b.positive);
  for (let k = posLow; k <= posHigh; k += 1) {
    step(bucketUpper(gamma, k - 1), bucketUpper(gamma, k), countAt(a.positive, k), countAt(b.positive, k));
  }
}

/**
 * Two-sample Kolmogorov–Smirnov test from two sketches: the statistic is the largest CDF gap at the bucket
 * boundaries; the p-value is the asymptotic Kolmogorov distribution at sqrt(n·m/(n+m))·D, as scipy's
 * `kstwobign.sf` (slightly conservative for small samples compared with the exact distribution).
 * @example ksFromSketches(reference.sketch, current.sketch).pValue
 */
export function ksFromSketches(reference: QuantileSketchJson, current: QuantileSketchJson): KsResult {
  const n = sketchCount(reference);
  const m = sketchCount(current);
  if (n === 0 || m === 0) return { statistic: 0, pValue: 1, n, m };
  let statistic = 0;
  // The gap is linear inside a segment, so its maximum is at a boundary.
  walkCdfs(reference, current, (_w, beforeA, beforeB, afterA, afterB) => {
    statistic = Math.max(statistic, Math.abs(beforeA - beforeB), Math.abs(afterA - afterB));
  });
  const en = (n * m) / (n + m);
  return { statistic, pValue: kolmogorovSf(Math.sqrt(en) * statistic), n, m };
}

/**
 * Wasserstein-1 distance between two sketches' distributions (∫|F − G| dx over piecewise-linear CDFs),
 * in units of `unit` (the data's units by default; pass σ_ref to integrate in a scaled space that cannot
 * overflow for |x| near the largest double); 0 when either sketch is empty, at most MAX_SCORE.
 * @example wassersteinFromSketches(reference.sketch, current.sketch) / referenceStd
 */
export function wassersteinFromSketches(reference: QuantileSketchJson, current: QuantileSketchJson, unit = 1): number {
  if (sketchCount(reference) === 0 || sketchCount(current) === 0) return 0;
  let total = 0;
  walkCdfs(
    reference,
    current,
    (w, beforeA, beforeB, afterA, afterB) => {
      if (w > 0) total += integrateAbsLinear(beforeA - beforeB, afterA - afterB, w);
    },
    unit,
  );
  return finiteScore(total, 'distance');
}

/** ∫ |linear function from d0 to d1| over an interval of width w. */
function integrateAbsLinear(d0: number, d1: number, w: number): number {
  if (d0 * d1 >= 0) return (w * (Math.abs(d0) + Math.abs(d1))) / 2;
  // Sign change: two triangles meeting at the root.
  return (w * (d0 * d0 + d1 * d1)) / (2 * (Math.abs(d0) + Math.abs(d1)));
}

/** Bucket of a value under the sketch mapping: [lower, upper] in value space (a point for the zero bucket). */
function bucketOf(sketch: QuantileSketchJson, x: number): { lower: number; upper: number } {
  const a = Math.abs(x);
  if (a <= MIN_INDEXABLE) return { lower: -MIN_INDEXABLE, upper: MIN_INDEXABLE };
  const { gamma, invLogGamma } = sketchMapping(sketch.relativeAccuracy);
  let k = Math.ceil(Math.log(a) * invLogGamma);
  while (bucketUpper(gamma, k) < a) k += 1;
  while (bucketUpper(gamma, k - 1) >= a) k -= 1;
  const lo = bucketUpper(gamma, k - 1);
  const hi = bucketUpper(gamma, k);
  return x > 0 ? { lower: lo, upper: hi } : { lower: -hi, upper: -lo };
}

/**
 * Share of the current column's finite values outside the reference's [min, max]: exactly 0 when the
 * current min and max lie inside, exactly 1 when the whole current range lies beyond; otherwise counted from whole sketch buckets beyond the buckets holding
 * the reference min/max (values within the sketch's relative accuracy of the range count as inside).
 */
export function outOfRangeShare(reference: NumericColumnSignature, current: NumericColumnSignature): number {
  if (reference.min === null || reference.max === null || current.min === null || current.max === null) return 0;
  if (current.min >= reference.min && current.max <= reference.max) return 0;
  // Entirely beyond the range: exact whatever the sketch resolution.
  if (current.min > reference.max || current.max < reference.min) return 1;
  const total = sketchCount(current.sketch);
  if (total === 0) return 0;
  let outside = 0;
  if (current.min < reference.min) {
    const { lower } = bucketOf(current.sketch, reference.min);
    outside += sketchRankAt(current.sketch, lower);
  }
  if (current.max > reference.max) {
    const { upper } = bucketOf(current.sketch, reference.max);
    outside += total - sketchRankAt(current.sketch, upper);
  }
  return Math.min(1, Math.max(0, outside / total));
}

/** Number of bins when a reference carries no histogram: edges at its deciles. */
export const FALLBACK_BINS = 10;

/** Reference histogram edges and both count vectors on them (current counts from its sketch unless it has the same edges). */
export function binsOf(
  reference: NumericColumnSignature,
  current: NumericColumnSignature,
): { edges: number[]; reference: number[]; current: number[] } {
  const edges = reference.histogram ? [...reference.histogram.edges] : sketchEdges(reference.sketch, FALLBACK_BINS);
  const refCounts = reference.histogram ? [...reference.histogram.counts] : sketchHistogram(reference.sketch, edges);
  const sameEdges =
    current.histogram !== null &&
    current.histogram.edges.length === edges.length &&
    current.histogram.edges.every((e, i) => e === edges[i]);
  const curCounts = sameEdges && current.histogram ? [...current.histogram.counts] : sketchHistogram(current.sketch, edges);
  return { edges, reference: refCounts, current: curCounts };
}

/**
 * Population standard deviation of a numeric column's finite values (0 when fewer than one). The exact
 * moments overflow for |x| ≳ 1e154 (the stored m2 saturates at the largest double); then σ is estimated
 * from the sketch in a space scaled by the column's largest magnitude, within the sketch's accuracy.
 */
export function standardDeviation(column: NumericColumnSignature): number {
  if (Number.isFinite(column.m2) && column.m2 < Number.MAX_VALUE) return Math.sqrt(Math.max(0, variance(column)));
  return sketchStandardDeviation(column);
}

/** σ from the sketch's bucket representatives, computed in units of max(|min|, |max|) so nothing overflows. */
function sketchStandardDeviation(column: NumericColumnSignature): number {
  const sketch = column.sketch;
  const n = sketchCount(sketch);
  if (n === 0 || column.min === null || column.max === null) return 0;
  const unit = Math.max(Math.abs(clampFinite(column.min)), Math.abs(clampFinite(column.max)));
  if (!(unit > 0)) return 0;
  const { gamma } = sketchMapping(sketch.relativeAccuracy);
  const logGamma = Math.log(gamma);
  const logUnit = Math.log(unit);
  // Bucket k's representative 2γ^k/(γ+1), divided by the unit in log space.
  const representative = (k: number): number => (2 / (gamma + 1)) * Math.exp(k * logGamma - logUnit);
  const points: [number, number][] = [[0, sketch.zeroCount]];
  sketch.positive.counts.forEach((c, i) => c > 0 && points.push([representative(sketch.positive.offset + i), c]));
  sketch.negative.counts.forEach((c, i) => c > 0 && points.push([-representative(sketch.negative.offset + i), c]));
  let mean = 0;
  for (const [v, c] of points) mean += (v * c) / n;
  let m2 = 0;
  for (const [v, c] of points) m2 += c * (v - mean) * (v - mean);
  return clampFinite(Math.sqrt(m2 / n) * unit);
}

/**
 * The scale that turns a Wasserstein distance into "reference standard deviations": σ_ref, or |mean| when
 * the reference is constant, or 1 when it is constant at 0 (so the score stays finite for JSON).
 */
export function wassersteinScale(reference: NumericColumnSignature): number {
  const sd = standardDeviation(reference);
  if (sd > 0) return sd;
  return Math.abs(reference.mean) > 0 ? Math.abs(reference.mean) : 1;
}

/**
 * Wasserstein distance between two numeric columns divided by the reference's scale (see `wassersteinScale`),
 * from the finest view both sides share (`numericViewOf`: exact counts, centred sketch, main sketch).
 * W1 ≥ |Δmean| always, and the means are exact, so the larger of a sketch estimate and |Δmean| is used:
 * it keeps location shifts visible where the sketch is too coarse (see `sketchResolves`).
 */
export function wassersteinNorm(reference: NumericColumnSignature, current: NumericColumnSignature): number {
  return numericStats(reference, current).wassersteinNorm;
}

/**
 * Whether the sketch can see this column's spread: a bucket at the reference median is 2α·|median| wide, so
 * a column far from 0 with a small spread (epoch timestamps, calendar years) fits in a handful of buckets and
 * sketch-based KS/Wasserstein cannot tell its batches apart. Resolved when that width is at most σ_ref / 2.
 * Not resolved either when most of the reference's mass sits in the zero bucket (|x| ≤ MIN_INDEXABLE, where
 * every value looks alike) or its spread is below that bucket's width (tiny-scale features).
 */
export function sketchResolves(reference: NumericColumnSignature): boolean {
  const sd = standardDeviation(reference);
  const total = sketchCount(reference.sketch);
  if (total > 0 && reference.sketch.zeroCount * 2 > total) return false;
  if (sd > 0 && sd < MIN_INDEXABLE) return false;
  const median = sketchQuantile(reference.sketch, 0.5);
  if (sd === 0 || median === null) return true;
  return 2 * reference.sketch.relativeAccuracy * Math.abs(median) <= sd / 2;
}

/**
 * Two-sided large-sample test of equal means from the exact moments (Welch's statistic against the normal
 * distribution): the significance gate for columns the sketch cannot resolve.
 * @example meanShiftPValue(reference, current) // 0.003
 */
export function meanShiftPValue(reference: NumericColumnSignature, current: NumericColumnSignature): number {
  const n = reference.finite;
  const m = current.finite;
  if (n < 2 || m < 2) return 1;
  // In units of the larger |mean| or σ (at least 1), so neither the difference nor the variances overflow.
  const sdRef = standardDeviation(reference);
  const sdCur = standardDeviation(current);
  const unit = Math.max(Math.abs(reference.mean), Math.abs(current.mean), sdRef, sdCur, 1);
  const se = Math.sqrt((sdRef / unit) ** 2 / (n - 1) + (sdCur / unit) ** 2 / (m - 1));
  const diff = current.mean / unit - reference.mean / unit;
  if (se === 0) return diff === 0 ? 1 : 0;
  return finiteScore(normalTwoSidedP(diff / se), 'p-value');
}

/** PSI of two numeric columns on the reference's bins. */
export function numericPsi(reference: NumericColumnSignature, current: NumericColumnSignature): number {
  const bins = binsOf(reference, current);
  return psi(bins.reference, bins.current);
}

/**
 * Jensen–Shannon distance (base 2) of two numeric columns: over their distinct values when both keep exact
 * counts (as scipy's jensenshannon of the two value-frequency vectors), else on the reference's bins.
 */
export function numericJensenShannon(reference: NumericColumnSignature, current: NumericColumnSignature): number {
  if (reference.exact !== undefined && current.exact !== undefined) {
    const table = exactTable(reference.exact, current.exact);
    return jensenShannon(table.reference, table.current);
  }
  const bins = binsOf(reference, current);
  return jensenShannon(bins.reference, bins.current);
}

/** Percentiles reported before -> after. */
export const REPORTED_PERCENTILES = [1, 5, 25, 50, 75, 95, 99] as const;

/**
 * p1…p99 of both columns from their sketches (null when a side has no finite value). A quantile of an
 * integer column is an integer: the sketch's estimate is rounded to the nearest one, so an integer median
 * never reads "-0.995".
 */
export function quantilesOf(
  reference: NumericColumnSignature,
  current: NumericColumnSignature,
): { p: number; reference: number | null; current: number | null }[] {
  const at = (column: NumericColumnSignature, q: number): number | null => {
    const value = column.exact !== undefined ? exactQuantile(column.exact, q) : column.centred !== undefined ? centredQuantile(column, q) : sketchQuantile(column.sketch, q);
    // An integer column's quantile is an integer (exact counts already are; a sketch's estimate is rounded).
    return value === null ? null : clampFinite(column.type === 'int' ? Math.round(value) : value);
  };
  return REPORTED_PERCENTILES.map((p) => ({ p, reference: at(reference, p / 100), current: at(current, p / 100) }));
}

function centredQuantile(column: NumericColumnSignature, q: number): number | null {
  const c = column.centred!;
  const z = sketchQuantile(c.sketch, q);
  return z === null ? null : c.offset + z * c.scale;
}

/** Value of 0-based rank floor(q·(n−1)) (numpy's method="lower"), exact; null when empty. */
export function exactQuantile(exact: ExactCountsJson, q: number): number | null {
  let n = 0;
  for (const c of exact.counts) n += c;
  if (n === 0) return null;
  const rank = Math.floor(q * (n - 1));
  let acc = 0;
  for (let i = 0; i < exact.values.length; i++) {
    acc += exact.counts[i];
    if (acc > rank) return exact.values[i];
  }
  return exact.values[exact.values.length - 1];
}

// ------------------------------------------------------------------ resolution: exact, centred, sketch

/**
 * Where a numeric comparison's KS and Wasserstein come from, finest first:
 * - `exact-counts`: both sides keep exact value counts (≤ 256 distinct values): exact statistics;
 * - `centred-sketch`: both sides carry a centred sketch in the same frame (a column far from zero);
 * - `sketch`: the main sketch, which resolves this column (`sketchResolves`);
 * - `coarse-sketch`: the main sketch, too coarse for this column: KS is a lower bound, gated by a test of means.
 */
export type NumericResolution = 'exact-counts' | 'centred-sketch' | 'sketch' | 'coarse-sketch';

/** The resolution of a reference/current pair (see NumericResolution). */
export function resolutionOf(reference: NumericColumnSignature, current: NumericColumnSignature): NumericResolution {
  if (reference.exact !== undefined && current.exact !== undefined) return 'exact-counts';
  const a = reference.centred;
  const b = current.centred;
  if (a !== undefined && b !== undefined && a.offset === b.offset && a.scale === b.scale && a.sketch.relativeAccuracy === b.sketch.relativeAccuracy) {
    return 'centred-sketch';
  }
  return sketchResolves(reference) ? 'sketch' : 'coarse-sketch';
}

/** KS and Wasserstein of a pair, from its finest view, with how far each can be from the exact figure. */
export interface NumericStats {
  readonly resolution: NumericResolution;
  readonly ks: KsResult;
  /** The exact KS statistic lies in [ks.statistic, ks.statistic + ksError]: the largest mass one bucket holds (0 when exact). */
  readonly ksError: number;
  /** Wasserstein in reference σ (at least |Δmean| / σ). */
  readonly wassersteinNorm: number;
  /** Bound on |estimate − exact| of wassersteinNorm: α·(E|X| + E|Y|) / σ in the sketch's space (0 when exact). */
  readonly wassersteinError: number;
}

const statsCache = new WeakMap<NumericColumnSignature, WeakMap<NumericColumnSignature, NumericStats>>();

/** KS and Wasserstein of a pair from the finest view both sides share (see NumericResolution); cached per pair. */
export function numericStats(reference: NumericColumnSignature, current: NumericColumnSignature): NumericStats {
  let inner = statsCache.get(reference);
  if (inner === undefined) statsCache.set(reference, (inner = new WeakMap()));
  const cached = inner.get(current);
  if (cached !== undefined) return cached;
  const stats = computeStats(reference, current);
  inner.set(current, stats);
  return stats;
}

function computeStats(reference: NumericColumnSignature, current: NumericColumnSignature): NumericStats {
  const resolution = resolutionOf(reference, current);
  const scale = wassersteinScale(reference);
  const meanShift = reference.finite > 0 && current.finite > 0 ? Math.abs(current.mean / scale - reference.mean / scale) : 0;
  if (resolution === 'exact-counts') {
    const e = exactStats(reference.exact!, current.exact!, scale);
    return { resolution, ks: e.ks, ksError: 0, wassersteinNorm: finiteScore(e.wasserstein, 'distance'), wassersteinError: 0 };
  }
  const centred = resolution === 'centred-sketch';
  const a = centred ? reference.centred!.sketch : reference.sketch;
  const b = centred ? current.centred!.sketch : current.sketch;
  // In the centred space one unit is `scale` of the data: W in σ_ref is W_z · frame scale / σ_ref.
  const unit = centred ? scale / reference.centred!.scale : scale;
  const ks = ksFromSketches(a, b);
  const fromSketch = wassersteinFromSketches(a, b, unit);
  const wError = (a.relativeAccuracy * (meanAbs(a) + meanAbs(b))) / unit;
  return {
    resolution,
    ks,
    ksError: largestBucketMass(a, b),
    wassersteinNorm: finiteScore(Math.max(fromSketch, meanShift), 'distance'),
    wassersteinError: finiteScore(wError, 'distance'),
  };
}

/** E|X| of a sketch from its bucket representatives (0 when empty). */
function meanAbs(sketch: QuantileSketchJson): number {
  const n = sketchCount(sketch);
  if (n === 0) return 0;
  const { gamma } = sketchMapping(sketch.relativeAccuracy);
  let total = 0;
  for (const store of [sketch.positive, sketch.negative]) {
    for (let i = 0; i < store.counts.length; i++) if (store.counts[i] > 0) total += (store.counts[i] * 2 * bucketUpper(gamma, store.offset + i)) / (gamma + 1);
  }
  return clampFinite(total / n);
}

/** The largest share of either side's values in one bucket: how far the exact KS can exceed the boundary one. */
function largestBucketMass(a: QuantileSketchJson, b: QuantileSketchJson): number {
  let largest = 0;
  walkCdfs(a, b, (w, beforeA, beforeB, afterA, afterB) => {
    // The zero bucket is a point mass: both CDFs jump at 0 itself, where the gap is known exactly.
    if (w > 0) largest = Math.max(largest, afterA - beforeA, afterB - beforeB);
  });
  return largest;
}

/** Both sides' counts over the union of their values, ascending. */
function exactTable(a: ExactCountsJson, b: ExactCountsJson): { values: number[]; reference: number[]; current: number[] } {
  const values: number[] = [];
  const reference: number[] = [];
  const current: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.values.length || j < b.values.length) {
    const x = j >= b.values.length || (i < a.values.length && a.values[i] <= b.values[j]) ? a.values[i] : b.values[j];
    const ca = i < a.values.length && a.values[i] === x ? a.counts[i++] : 0;
    const cb = j < b.values.length && b.values[j] === x ? b.counts[j++] : 0;
    values.push(x);
    reference.push(ca);
    current.push(cb);
  }
  return { values, reference, current };
}

/** Exact two-sample KS (step CDFs, ties as scipy's ks_2samp) and Wasserstein-1 in units of `unit`. */
function exactStats(a: ExactCountsJson, b: ExactCountsJson, unit: number): { ks: KsResult; wasserstein: number } {
  const t = exactTable(a, b);
  let n = 0;
  let m = 0;
  for (const c of t.reference) n += c;
  for (const c of t.current) m += c;
  if (n === 0 || m === 0) return { ks: { statistic: 0, pValue: 1, n, m }, wasserstein: 0 };
  let fa = 0;
  let fb = 0;
  let ra = 0;
  let rb = 0;
  let statistic = 0;
  let wasserstein = 0;
  for (let k = 0; k < t.values.length; k++) {
    ra += t.reference[k];
    rb += t.current[k];
    fa = ra / n;
    fb = rb / m;
    const gap = Math.abs(fa - fb);
    if (gap > statistic) statistic = gap;
    if (k + 1 < t.values.length) wasserstein += gap * (t.values[k + 1] / unit - t.values[k] / unit);
  }
  const en = (n * m) / (n + m);
  return { ks: { statistic, pValue: kolmogorovSf(Math.sqrt(en) * statistic), n, m }, wasserstein };
}
