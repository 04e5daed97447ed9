/**
 * Learning-curve hint (pure): from a retrain's reported points `(rows, score)`, fit the inverse power law
 *
 *     score(n) = a − b·n^(−c)        (a: the plateau; b > 0, c > 0 for a curve that rises toward it)
 *
 * and recommend how many training rows the next retrain needs: the n at which the gain per doubling,
 * score(2n) − score(n) = b·n^(−c)·(1 − 2^(−c)), falls below ε, i.e. n* = (b·(1 − 2^(−c)) / ε)^(1/c).
 *
 * Fit: for a fixed c the model is linear in (a, b), so the least-squares (a, b) are closed-form; the
 * sum of squared errors is then a function of c alone, minimised by a log-spaced grid over
 * [C_MIN, C_MAX] and a golden-section refinement around the best grid point (more robust than a
 * Levenberg–Marquardt start guess on 4-10 points, and it finds the same minimum as scipy's curve_fit:
 * test/core/learning/curve.test.ts). n is scaled by the largest n before fitting, so powers stay in range.
 *
 * Interval: a seeded bootstrap over the points (resampled with replacement, refit, 5th and 95th
 * percentiles of n* and of the plateau). Deterministic for a given seed.
 *
 * No hint (and the reason) for fewer than MIN_POINTS points, a poor fit (R² below `minR2`, a curve that
 * does not rise, c at the edge of its range), or a curve still rising steeply at its largest n (n* more
 * than `maxExtrapolation` times the largest n reported).
 */
import { mulberry32 } from '../random.js';

/** Fewest distinct points a curve must have for a hint (3 parameters, one degree of freedom left). */
export const MIN_POINTS = 4;
/** Range of the exponent c searched (a learning curve's exponent is rarely outside 0.05..2). */
export const C_MIN = 0.01;
export const C_MAX = 5;

/** One reported point: training rows and the validation score (higher is better; negate a loss first). */
export interface CurvePoint {
  readonly rows: number;
  readonly score: number;
}

/** A fitted inverse power law. */
export interface CurveFit {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  /** Coefficient of determination of the fit on the points. */
  readonly r2: number;
  /** Sum of squared residuals. */
  readonly sse: number;
}

/** How the hint is computed. */
export interface CurveHintOptions {
  /** The gain per doubling of the training rows below which more data is not worth it (score units). */
  readonly epsilon: number;
  /** No hint when n* exceeds this many times the largest n reported (still rising steeply). */
  readonly maxExtrapolation: number;
  /** No hint when the fit's R² is below this. */
  readonly minR2: number;
  /** Bootstrap resamples. @default 400 */
  readonly resamples?: number;
  /** Bootstrap seed. @default 13 */
  readonly seed?: number;
}

/** Why there is no hint. */
export type CurveOmission = 'too-few-points' | 'poor-fit' | 'still-rising';

/** The learning-curve hint, or why there is none. */
export type CurveHint =
  | {
      readonly status: 'recommended';
      /** n*: the rows at which a doubling gains less than ε. */
      readonly rows: number;
      /** 90% bootstrap interval of n*. */
      readonly interval: readonly [number, number];
      /** The fitted plateau a, and its 90% bootstrap interval. */
      readonly plateau: number;
      readonly plateauInterval: readonly [number, number];
      readonly fit: CurveFit;
      readonly points: number;
      readonly epsilon: number;
    }
  | { readonly status: 'omitted'; readonly reason: CurveOmission; readonly message: string; readonly fit?: CurveFit; readonly points: number };

function sseAt(xs: readonly number[], ys: readonly number[], c: number): { a: number; b: number; sse: number } {
  // score = a − b·x with x = u^(−c): ordinary least squares of y on x.
  const n = xs.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i] ** -c;
    sy += ys[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] ** -c - mx;
    sxx += dx * dx;
    sxy += dx * (ys[i] - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const a = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const r = ys[i] - (a + slope * xs[i] ** -c);
    sse += r * r;
  }
  return { a, b: -slope, sse };
}

/**
 * Least-squares fit of score(n) = a − b·n^(−c); undefined for fewer than 3 distinct row counts.
 * @example
 * const fit = fitInversePowerLaw([{ rows: 1000, score: 0.8 }, { rows: 2000, score: 0.84 }, { rows: 4000, score: 0.86 }]);
 */
export function fitInversePowerLaw(points: readonly CurvePoint[]): CurveFit | undefined {
  if (new Set(points.map((p) => p.rows)).size < 3) return undefined;
  const top = Math.max(...points.map((p) => p.rows));
  const us = points.map((p) => p.rows / top);
  const ys = points.map((p) => p.score);
  const GRID = 200;
  const cs = Array.from({ length: GRID }, (_, i) => C_MIN * (C_MAX / C_MIN) ** (i / (GRID - 1)));
  let best = 0;
  let bestSse = Number.POSITIVE_INFINITY;
  for (let i = 0; i < GRID; i++) {
    const { sse } = sseAt(us, ys, cs[i]);
    if (sse < bestSse) {
      bestSse = sse;
      best = i;
    }
  }
  // Golden-section on log c between the best grid point's neighbours.
  let lo = Math.log(cs[Math.max(0, best - 1)]);
  let hi = Math.log(cs[Math.min(GRID - 1, best + 1)]);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = sseAt(us, ys, Math.exp(x1)).sse;
  let f2 = sseAt(us, ys, Math.exp(x2)).sse;
  for (let k = 0; k < 100 && hi - lo > 1e-12; k++) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = sseAt(us, ys, Math.exp(x1)).sse;
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = sseAt(us, ys, Math.exp(x2)).sse;
    }
  }
  const c = Math.exp((lo + hi) / 2);
  const { a, b: bScaled, sse } = sseAt(us, ys, c);
  const mean = ys.reduce((s, y) => s + y, 0) / ys.length;
  const sst = ys.reduce((s, y) => s + (y - mean) ** 2, 0);
  // Back from u = n / top: b·u^(−c) = b·top^c·n^(−c).
  return { a, b: bScaled * top ** c, c, r2: sst > 0 ? 1 - sse / sst : 0, sse };
}

/** The rows at which one more doubling gains less than `epsilon`; undefined when the curve does not rise. */
export function rowsForGainPerDoubling(fit: Pick<CurveFit, 'b' | 'c'>, epsilon: number): number | undefined {
  if (!(fit.b > 0) || !(fit.c > 0) || !(epsilon > 0)) return undefined;
  // log-space: b can be huge (b = b'·top^c).
  const n = Math.exp((Math.log(fit.b) + Math.log(1 - 2 ** -fit.c) - Math.log(epsilon)) / fit.c);
  return Number.isFinite(n) ? n : undefined;
}

function percentile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

/**
 * The learning-curve hint: the recommended training rows with their interval and the fitted plateau, or why not.
 * @example
 * const hint = learningCurveHint(points, { epsilon: 0.002, maxExtrapolation: 4, minR2: 0.9 });
 * if (hint.status === 'recommended') console.log(hint.rows, hint.interval);
 */
export function learningCurveHint(points: readonly CurvePoint[], options: CurveHintOptions): CurveHint {
  const distinct = new Set(points.map((p) => p.rows)).size;
  if (distinct < MIN_POINTS) {
    return { status: 'omitted', reason: 'too-few-points', message: `the learning curve has ${distinct} distinct point(s); a hint needs at least ${MIN_POINTS}`, points: distinct };
  }
  const fit = fitInversePowerLaw(points) as CurveFit;
  const atEdge = fit.c <= C_MIN * 1.0001 || fit.c >= C_MAX * 0.9999;
  if (!(fit.b > 0) || fit.r2 < options.minR2 || atEdge) {
    const why = !(fit.b > 0) ? 'the scores do not rise with the rows' : atEdge ? `the exponent c=${fit.c.toPrecision(3)} is at the edge of ${C_MIN}..${C_MAX}` : `R²=${fit.r2.toFixed(3)} is below ${options.minR2}`;
    return { status: 'omitted', reason: 'poor-fit', message: `the inverse power law does not fit the learning curve: ${why}`, fit, points: distinct };
  }
  const rows = rowsForGainPerDoubling(fit, options.epsilon) as number;
  const largest = Math.max(...points.map((p) => p.rows));
  if (rows > options.maxExtrapolation * largest) {
    return {
      status: 'omitted',
      reason: 'still-rising',
      message: `the curve is still rising steeply at ${largest} rows: a doubling gains less than ${options.epsilon} only at about ${Math.round(rows)} rows, more than ${options.maxExtrapolation}× the largest reported`,
      fit,
      points: distinct,
    };
  }
  const random = mulberry32(options.seed ?? 13);
  const resamples = options.resamples ?? 400;
  const ns: number[] = [];
  const plateaus: number[] = [];
  for (let s = 0; s < resamples; s++) {
    const sample = Array.from({ length: points.length }, () => points[Math.floor(random() * points.length)]);
    const f = fitInversePowerLaw(sample);
    if (f === undefined) continue;
    plateaus.push(f.a);
    // A resample whose curve does not rise needs no more rows than the smallest reported.
    ns.push(Math.min(rowsForGainPerDoubling(f, options.epsilon) ?? Math.min(...points.map((p) => p.rows)), 1e15));
  }
  ns.sort((x, y) => x - y);
  plateaus.sort((x, y) => x - y);
  return {
    status: 'recommended',
    rows: Math.ceil(rows),
    interval: [Math.floor(percentile(ns, 0.05)), Math.ceil(percentile(ns, 0.95))],
    plateau: fit.a,
    plateauInterval: [percentile(plateaus, 0.05), percentile(plateaus, 0.95)],
    fit,
    points: distinct,
    epsilon: options.epsilon,
  };
}
