/**
 * Special functions behind the p-values: the Kolmogorov limiting distribution and the chi-square survival
 * function (regularized upper incomplete gamma). Pure numerics, no dependencies.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/**
 * Survival function of the Kolmogorov limiting distribution, P(K > x), as scipy's `kstwobign.sf(x)`.
 * @example kolmogorovSf(1.36) // ≈ 0.0494
 */
export function kolmogorovSf(x: number): number {
  if (!(x > 0)) return 1;
  if (x < 1) {
    // Small x: the alternating series converges slowly, the Jacobi-theta form of the CDF fast.
    const t = (Math.PI * Math.PI) / (8 * x * x);
    let cdf = 0;
    for (let k = 1; k <= 50; k += 1) {
      const term = Math.exp(-(2 * k - 1) * (2 * k - 1) * t);
      cdf += term;
      if (term < 1e-17 * cdf) break;
    }
    return Math.min(1, Math.max(0, 1 - (SQRT_2PI / x) * cdf));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k += 1) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17 * Math.abs(sum) || term === 0) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Natural log of the gamma function for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection keeps the approximation in its accurate range.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i += 1) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), for a > 0 and x ≥ 0. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedGammaQ: a must be > 0, got ${a}`);
  if (!(x > 0)) return 1;
  if (x === Infinity) return 0;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // Series for P(a, x); Q = 1 - P is accurate here because P is not close to 1.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n += 1) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.min(1, Math.max(0, 1 - sum * Math.exp(logPrefix)));
  }
  // Continued fraction for Q(a, x) (modified Lentz), accurate deep in the tail.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, Math.exp(logPrefix) * h));
}

/**
 * Survival function of the chi-square distribution with `dof` degrees of freedom, as scipy's `chi2.sf`.
 * @example chi2Sf(3.841, 1) // ≈ 0.05
 */
export function chi2Sf(x: number, dof: number): number {
  return regularizedGammaQ(dof / 2, x / 2);
}

/**
 * Two-sided p-value of a standard normal statistic, P(|Z| ≥ |z|) = erfc(|z|/√2), via Q(1/2, z²/2).
 * @example normalTwoSidedP(1.959964) // ≈ 0.05
 */
export function normalTwoSidedP(z: number): number {
  if (Number.isNaN(z)) return 1;
  return regularizedGammaQ(0.5, (z * z) / 2);
}

/**
 * Quantile of the chi-square distribution: the x with chi2Sf(x, dof) = tail (bisection on the survival
 * function to 1e-10 relative; tail in (0, 1)).
 * @example chi2Isf(0.05, 1) // ≈ 3.841
 */
export function chi2Isf(tail: number, dof: number): number {
  if (!(tail > 0 && tail < 1)) throw new RangeError(`chi2Isf: tail must be in (0, 1), got ${tail}`);
  let lo = 0;
  let hi = Math.max(1, dof);
  while (chi2Sf(hi, dof) > tail) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (chi2Sf(mid, dof) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Upper quantile of the standard normal: the z with P(Z ≥ z) = tail, from chi2Isf (Z² is chi-square with 1
 * degree of freedom); tail in (0, 0.5].
 */
export function normalIsf(tail: number): number {
  if (!(tail > 0 && tail <= 0.5)) throw new RangeError(`normalIsf: tail must be in (0, 0.5], got ${tail}`);
  return tail === 0.5 ? 0 : Math.sqrt(chi2Isf(2 * tail, 1));
}
