/**
 * Sampling noise: how large a distance two samples of the same distribution reach by chance, how large a
 * change a batch of this size could have caught, and the multiplicity control across features.
 *
 * - Noise floor (per feature, from the reference signature alone): the (1 − NOISE_BUDGET) quantile of the
 *   feature's distance between two samples of n_reference and n_current values drawn from the reference.
 *   Wasserstein: √(1/n + 1/m) · ∫|B(F(x))| dx, B a Brownian bridge (the limit of √(nm/(n+m))·(F_n − G_m)),
 *   simulated NOISE_DRAWS times with a fixed seed on the reference's own quantile function (its exact values
 *   when it keeps at most EXACT_STEPS_MAX of them, else NOISE_GRID quantiles, whose bridges every such
 *   reference shares), so heavy tails, far-from-zero data and discrete values get their own floor. Jensen–Shannon and PSI on k bins: JSD ≈ ⅛·Σ(p̂ − q̂)²/p and PSI ≈ Σ(p̂ − q̂)²/p, and
 *   Σ(p̂ − q̂)²/p ≈ (1/n + 1/m)·χ²(k − 1), so the floors follow from the chi-square quantile.
 *   A distance test's threshold is max(configured threshold, noise floor). The action's material bar takes
 *   the same floor at the feature's share of the dataset's false-action budget (budget.ts), far in the tail.
 * - Multiplicity: the significance gate of the distance tests is Benjamini–Hochberg across the judged
 *   features (false discovery rate SIGNIFICANCE_LEVEL): each feature's gate reads its BH-adjusted p-value.
 * - Minimum detectable effect: the smallest effect the feature's rule would flag about half the time at these
 *   sizes — numeric: a location shift, in reference σ, large enough to reach the threshold and to make the
 *   gate significant at SIGNIFICANCE_LEVEL / m (the level BH applies to one feature that moves alone);
 *   categorical: the Jensen–Shannon distance at which chi-square on the table becomes significant, or the
 *   threshold if larger.
 * Measured in bench/README.md ("Detection").
 */
import { mulberry32 } from '../random.js';
import type { NumericColumnSignature } from '../signature/types.js';
import { sketchQuantile } from '../signature/sketch.js';
import { exactQuantile, standardDeviation, wassersteinScale } from './numeric.js';
import { chi2Isf, normalIsf } from './special.js';

/** False-alarm budget of a feature's noise floor: the floor is the distance pure noise exceeds this often. */
export const NOISE_BUDGET = 0.01;
/** Simulated bridges per reference column (seeded: the same floor every time). */
export const NOISE_DRAWS = 1000;
/** Quantiles of the reference a continuous floor is simulated on. */
export const NOISE_GRID = 200;
const NOISE_SEED = 0x0d71f7;

/**
 * Most exact values a reference's floor is simulated on step by step; a reference with more (a continuous
 * column of up to 256 rows keeps them all) is read at the NOISE_GRID quantiles, as a sketch is, and shares
 * their simulated bridges.
 */
const EXACT_STEPS_MAX = 64;

/** The reference's quantile function as steps: the CDF level u_k reached at x_k, and the width to x_{k+1}. */
function quantileSteps(reference: NumericColumnSignature): { u: Float64Array; dx: Float64Array; grid: boolean } {
  const exact = reference.exact;
  if (exact !== undefined && exact.values.length > 0 && exact.values.length <= EXACT_STEPS_MAX) {
    let n = 0;
    for (const c of exact.counts) n += c;
    const k = exact.values.length - 1;
    const u = new Float64Array(k);
    const dx = new Float64Array(k);
    let acc = 0;
    for (let i = 0; i < k; i++) {
      acc += exact.counts[i];
      u[i] = acc / n;
      dx[i] = exact.values[i + 1] - exact.values[i];
    }
    return { u, dx, grid: false };
  }
  const quantile = (q: number): number | null => {
    if (exact !== undefined) return exactQuantile(exact, q);
    const c = reference.centred;
    if (c !== undefined) {
      const z = sketchQuantile(c.sketch, q);
      return z === null ? null : c.offset + z * c.scale;
    }
    return sketchQuantile(reference.sketch, q);
  };
  const xs: number[] = [];
  for (let i = 0; i <= NOISE_GRID; i++) xs.push(quantile(i / NOISE_GRID) ?? 0);
  const u = new Float64Array(NOISE_GRID);
  const dx = new Float64Array(NOISE_GRID);
  for (let i = 0; i < NOISE_GRID; i++) {
    u[i] = (i + 0.5) / NOISE_GRID;
    dx[i] = Math.max(0, xs[i + 1] - xs[i]);
  }
  return { u, dx, grid: true };
}

/** Sorted draws of ∫|B(F(x))| dx / σ_ref for a reference (cached: depends on the reference only). */
const bridgeCache = new WeakMap<NumericColumnSignature, Float64Array>();

/**
 * |B(u_i)| of NOISE_DRAWS seeded Brownian bridges at the CDF levels `u` (row d = draw d). Each row is a walk
 * with independent normal steps, pinned to 0 at u = 1.
 */
function bridgePaths(u: Float64Array): Float64Array {
  const random = mulberry32(NOISE_SEED);
  // Box–Muller, both normals of each pair used; 1 − random() is in (0, 1], so the log is finite.
  let spare = 0;
  let hasSpare = false;
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const t = 2 * Math.PI * random();
    spare = r * Math.sin(t);
    hasSpare = true;
    return r * Math.cos(t);
  };
  const k = u.length;
  const step = new Float64Array(k);
  for (let i = 0; i < k; i++) step[i] = Math.sqrt(Math.max(0, u[i] - (i > 0 ? u[i - 1] : 0)));
  const last = Math.sqrt(Math.max(0, 1 - (k > 0 ? u[k - 1] : 0)));
  const paths = new Float64Array(NOISE_DRAWS * k);
  for (let d = 0; d < NOISE_DRAWS; d++) {
    const row = d * k;
    let w = 0;
    for (let i = 0; i < k; i++) {
      w += step[i] * normal();
      paths[row + i] = w;
    }
    const end = w + last * normal();
    for (let i = 0; i < k; i++) paths[row + i] = Math.abs(paths[row + i] - u[i] * end);
  }
  return paths;
}

/** The bridges at the NOISE_GRID levels every sketch-summarised reference shares: simulated once per process. */
let gridPaths: Float64Array | undefined;

function bridgeIntegrals(reference: NumericColumnSignature): Float64Array {
  const cached = bridgeCache.get(reference);
  if (cached !== undefined) return cached;
  const { u, dx, grid } = quantileSteps(reference);
  const scale = wassersteinScale(reference);
  // A reference's only part in the simulation is its quantile widths, so references on the shared grid reuse
  // one set of paths (the same seed gives the same paths either way).
  const paths = grid ? (gridPaths ??= bridgePaths(u)) : bridgePaths(u);
  const k = u.length;
  const width = new Float64Array(k);
  for (let i = 0; i < k; i++) width[i] = dx[i] / scale;
  const out = new Float64Array(NOISE_DRAWS);
  for (let d = 0; d < NOISE_DRAWS; d++) {
    const row = d * k;
    let integral = 0;
    for (let i = 0; i < k; i++) integral += paths[row + i] * width[i];
    out[d] = integral;
  }
  out.sort();
  bridgeCache.set(reference, out);
  return out;
}

/** Simulated draws beyond a quantile below which it is read off the draws; further out it is extrapolated. */
const TAIL_DRAWS = 10;

function empiricalQuantile(sorted: Float64Array, tail: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((1 - tail) * sorted.length))];
}

/**
 * The (1 − tail) quantile of simulated draws. Where fewer than TAIL_DRAWS draws lie beyond it (a feature's
 * share of the action budget, e.g. 0.1 %, from 1,000 draws), the log of the quantile is extrapolated linearly
 * in the normal score from the 10 % and 1 % quantiles: against 50,000 draws this errs high by 0–15 % at
 * 0.1 %–0.02 % on normal, lognormal, t₃, discrete and bimodal references (a straight line in the quantile
 * itself errs low by up to 8 %), so the floor stays on the safe side.
 */
function upperQuantile(sorted: Float64Array, tail: number): number {
  if (tail * sorted.length >= TAIL_DRAWS) return empiricalQuantile(sorted, tail);
  const lo = empiricalQuantile(sorted, 0.1);
  const hi = empiricalQuantile(sorted, TAIL_DRAWS / sorted.length);
  if (!(lo > 0 && hi > lo) || !(tail > 0)) return sorted[sorted.length - 1];
  const zLo = normalIsf(0.1);
  const zHi = normalIsf(TAIL_DRAWS / sorted.length);
  const slope = Math.log(hi / lo) / (zHi - zLo);
  return Math.max(hi, Math.exp(Math.log(hi) + slope * (normalIsf(tail) - zHi)));
}

/** √(1/n + 1/m), the scale of every two-sample noise term (0 when a side is empty: nothing is judged then). */
function noiseScale(n: number, m: number): number {
  return n > 0 && m > 0 ? Math.sqrt(1 / n + 1 / m) : 0;
}

/**
 * Wasserstein distance, in reference σ, that two same-distribution samples of n and m values exceed with
 * probability `budget` (see the module comment).
 * @example wassersteinNoiseFloor(reference, 100, 100) // ≈ 0.25 for normal data
 */
export function wassersteinNoiseFloor(reference: NumericColumnSignature, n: number, m: number, budget = NOISE_BUDGET): number {
  if (standardDeviation(reference) === 0) return 0;
  return noiseScale(n, m) * upperQuantile(bridgeIntegrals(reference), budget);
}

/** Jensen–Shannon distance (base 2) on `bins` cells that same-distribution samples exceed with probability `budget`. */
export function jensenShannonNoiseFloor(bins: number, n: number, m: number, budget = NOISE_BUDGET): number {
  if (bins < 2) return 0;
  const s = noiseScale(n, m);
  return Math.min(1, Math.sqrt((s * s * chi2Isf(budget, bins - 1)) / (8 * Math.LN2)));
}

/** PSI on `bins` cells that same-distribution samples exceed with probability `budget`. */
export function psiNoiseFloor(bins: number, n: number, m: number, budget = NOISE_BUDGET): number {
  if (bins < 2) return 0;
  const s = noiseScale(n, m);
  return s * s * chi2Isf(budget, bins - 1);
}

/**
 * Benjamini–Hochberg adjusted p-values (in the input order): q_i = min over j ≥ rank(i) of p_(j)·m/j, capped
 * at 1. A feature passes the gate at false discovery rate α when q_i < α.
 * @example benjaminiHochberg([0.01, 0.04, 0.03]) // [0.03, 0.04, 0.04]
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = order[r];
    running = Math.min(running, (p * m) / (r + 1));
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

/** KS critical statistic at level `level` for sizes n, m (asymptotic: c(α)·√(1/n + 1/m), c = √(−ln(α/2)/2)). */
function ksCritical(level: number, n: number, m: number): number {
  return Math.sqrt(-Math.log(level / 2) / 2) * noiseScale(n, m);
}

/**
 * The smallest location shift, in reference σ, that a numeric feature's rule flags about half the time: it
 * must reach `threshold` (Wasserstein of a pure shift is the shift) and make the gate significant at `level`.
 * KS gate: a shift δ raises the KS statistic by about δ·σ·f_max (f_max the reference's largest density,
 * from its quantile steps; discrete values count as a step of one value spacing). Means gate: δ = z·√(1/n + 1/m)·(σ_cur/σ_ref ≈ 1).
 */
export function minimumDetectableShift(
  reference: NumericColumnSignature,
  n: number,
  m: number,
  options: { readonly threshold: number; readonly level: number; readonly gate: 'ks' | 'means' },
): number {
  const sd = standardDeviation(reference);
  if (!(sd > 0) || !(n > 0 && m > 0)) return options.threshold;
  let significant: number;
  if (options.gate === 'means') significant = normalIsf(options.level / 2) * noiseScale(n, m);
  else {
    const { u, dx } = quantileSteps(reference);
    // Largest CDF rise per σ over a window of ~1/20 of the mass (a robust f_max·σ; a discrete column's step).
    let fmax = 0;
    const window = Math.max(1, Math.round(u.length / 20));
    for (let i = 0; i + window <= u.length; i++) {
      let width = 0;
      for (let j = i; j < i + window; j++) width += dx[j];
      const rise = (i + window < u.length ? u[i + window] : 1) - u[i];
      if (width > 0) fmax = Math.max(fmax, (rise * sd) / width);
    }
    significant = fmax > 0 ? ksCritical(options.level, n, m) / fmax : Infinity;
  }
  return Math.max(options.threshold, Math.min(significant, 1e6));
}

/** The smallest Jensen–Shannon distance a categorical feature's rule flags: chi-square significant at `level` on k cells, or the threshold. */
export function minimumDetectableJensenShannon(bins: number, n: number, m: number, options: { readonly threshold: number; readonly level: number }): number {
  if (bins < 2 || !(n > 0 && m > 0)) return options.threshold;
  const s = noiseScale(n, m);
  return Math.max(options.threshold, Math.min(1, Math.sqrt((s * s * chi2Isf(options.level, bins - 1)) / (8 * Math.LN2))));
}
