/**
 * Distances between two distributions given as counts (or shares) on the same bins/categories.
 */

/** Share replacing an empty bin in PSI, so that ln(c/r) stays finite (Evidently's convention). */
export const PSI_EMPTY_SHARE = 1e-4;

function shares(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/**
 * Jensen–Shannon distance (base 2, in [0, 1]) between two count vectors on the same bins, as scipy's
 * `jensenshannon(p, q, base=2)`; both vectors are normalised first.
 * @example jensenShannon([1, 0], [0, 1]) // 1
 */
export function jensenShannon(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length) {
    throw new RangeError(`jensenShannon: ${reference.length} reference bins but ${current.length} current bins`);
  }
  const p = shares(reference);
  const q = shares(current);
  let divergence = 0;
  for (let i = 0; i < p.length; i += 1) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) divergence += p[i] * Math.log(p[i] / m);
    if (q[i] > 0) divergence += q[i] * Math.log(q[i] / m);
  }
  // divergence here is 2·JSD in nats; the distance is sqrt(JSD / ln 2).
  return Math.sqrt(Math.max(0, divergence / (2 * Math.LN2)));
}

/**
 * Population stability index Σ (c − r)·ln(c / r) over shares on the same bins; an empty bin counts as
 * PSI_EMPTY_SHARE (shares are not renormalised afterwards).
 * @example psi([50, 50], [50, 50]) // 0
 */
export function psi(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length) {
    throw new RangeError(`psi: ${reference.length} reference bins but ${current.length} current bins`);
  }
  const r = shares(reference);
  const c = shares(current);
  let sum = 0;
  for (let i = 0; i < r.length; i += 1) {
    const ri = r[i] > 0 ? r[i] : PSI_EMPTY_SHARE;
    const ci = c[i] > 0 ? c[i] : PSI_EMPTY_SHARE;
    sum += (ci - ri) * Math.log(ci / ri);
  }
  return sum;
}
