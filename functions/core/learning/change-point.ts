/**
 * The drift's onset (pure): change points of the drift index over the checks since the reference, by
 * PELT (Killick, Fearnhead & Eckley 2012) on a shift in mean:
 *
 * - cost of a segment: its sum of squared deviations from its mean (the `l2` cost of ruptures);
 * - penalty per change: β = 2·σ̂²·ln n, the BIC of a Gaussian mean-shift model with known variance
 *   (each change adds a location and a mean); σ̂ from the median absolute first difference,
 *   σ̂ = MAD(Δx) / (0.6745·√2), which a shift in mean barely moves;
 * - segments of at least MIN_SEGMENT (1) point.
 *
 * PELT returns the exact minimiser of Σ cost + β·changes (pruning only drops candidates that can never
 * win), so it is checked against a plain optimal-partitioning dynamic program in numpy
 * (test/fixtures/learning/make-histories.py).
 *
 * The onset is the start of the earliest segment from which every later segment's mean stays above the
 * first segment's (the level closest to the reference): the point since which the index has not come
 * back. None when there is no change, or when the last segment is back at or below the first.
 */

/** Shortest segment (checks): 1, so a drift seen first by the newest check (when a proposal opens) is its own segment; the penalty keeps single outliers out. */
export const MIN_SEGMENT = 1;

/** The method, as named in the event. */
export const CHANGE_POINT_METHOD = 'pelt-mean-shift-bic' as const;

/** Change points of a series: the start index of every segment after the first. */
export interface Segmentation {
  /** Start index of each segment after the first, ascending. */
  readonly changes: readonly number[];
  /** Mean of each segment, in order. */
  readonly means: readonly number[];
  readonly penalty: number;
  readonly sigma: number;
}

/** Where the drift started, or why no onset is given. */
export type Onset =
  | { readonly found: true; readonly index: number; readonly segmentation: Segmentation }
  | { readonly found: false; readonly reason: string; readonly segmentation?: Segmentation };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** σ̂ of a series from its first differences (robust to a few shifts in mean); 0 for fewer than 2 points. */
export function robustSigma(series: readonly number[]): number {
  if (series.length < 2) return 0;
  const diffs = series.slice(1).map((x, i) => Math.abs(x - series[i]));
  return median(diffs) / (0.6745 * Math.SQRT2);
}

/**
 * PELT segmentation of `series` on a shift in mean with penalty `penalty` per change (default BIC).
 * @example
 * segmentMeanShift([0.1, 0.2, 0.1, 0.15, 1.4, 1.5, 1.45]).changes; // [4]
 */
export function segmentMeanShift(series: readonly number[], penalty?: number): Segmentation {
  const n = series.length;
  const sigma = robustSigma(series);
  // A noiseless series (σ̂ = 0) would make every wiggle a change: floor σ̂ at a tiny share of the scale.
  const scale = Math.max(1e-12, ...series.map((x) => Math.abs(x)));
  const s = Math.max(sigma, 1e-6 * scale);
  const beta = penalty ?? 2 * s * s * Math.log(Math.max(n, 2));
  const cs = new Float64Array(n + 1);
  const cs2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    cs[i + 1] = cs[i] + series[i];
    cs2[i + 1] = cs2[i] + series[i] * series[i];
  }
  const cost = (a: number, b: number): number => {
    // Sum of squared deviations of series[a..b) from its mean.
    const m = b - a;
    const sum = cs[b] - cs[a];
    return Math.max(0, cs2[b] - cs2[a] - (sum * sum) / m);
  };
  const F = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  const last = new Int32Array(n + 1).fill(-1);
  F[0] = -beta;
  let candidates: number[] = [0];
  for (let t = MIN_SEGMENT; t <= n; t++) {
    let best = Number.POSITIVE_INFINITY;
    let arg = -1;
    const values: number[] = [];
    for (const tau of candidates) {
      if (t - tau < MIN_SEGMENT) {
        values.push(Number.NaN);
        continue;
      }
      const v = F[tau] + cost(tau, t) + beta;
      values.push(v);
      // Ties go to the earliest split, as the reference dynamic program does.
      if (v < best) {
        best = v;
        arg = tau;
      }
    }
    F[t] = best;
    last[t] = arg;
    // Prune: a candidate whose cost without the penalty already exceeds the best can never win later.
    const kept: number[] = [];
    candidates.forEach((tau, i) => {
      if (Number.isNaN(values[i]) || values[i] - beta <= best) kept.push(tau);
    });
    kept.push(t - MIN_SEGMENT + 1);
    candidates = [...new Set(kept)].filter((tau) => tau <= t).sort((a, b) => a - b);
  }
  const changes: number[] = [];
  if (n >= MIN_SEGMENT) {
    for (let t = n; t > 0; ) {
      const tau = last[t];
      if (tau <= 0) break;
      changes.push(tau);
      t = tau;
    }
  }
  changes.reverse();
  const bounds = [0, ...changes, n];
  const means = bounds.slice(1).map((b, i) => (cs[b] - cs[bounds[i]]) / Math.max(1, b - bounds[i]));
  return { changes, means, penalty: beta, sigma };
}

/**
 * The drift's onset in a drift-index series (oldest first), or why none is given.
 * @example
 * const onset = driftOnset(state.history.map((h) => h.driftIndex));
 */
export function driftOnset(series: readonly number[]): Onset {
  if (series.length < 2 * MIN_SEGMENT) return { found: false, reason: `${series.length} check(s) since the reference: a change point needs at least ${2 * MIN_SEGMENT}` };
  const segmentation = segmentMeanShift(series);
  const { changes, means } = segmentation;
  if (changes.length === 0) return { found: false, reason: 'no change in the drift index since the reference', segmentation };
  const base = means[0];
  let k = means.length;
  while (k - 1 >= 1 && means[k - 1] > base) k--;
  if (k === means.length) return { found: false, reason: 'the drift index is back at its level after the reference', segmentation };
  return { found: true, index: changes[k - 1], segmentation };
}
