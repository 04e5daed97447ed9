/**
 * Every number a drift result carries must survive JSON (Infinity and NaN become null there, and a stored
 * state with a null score no longer parses). Scores are kept finite here, at the one place that knows
 * what a score means.
 */

/** The largest score a result reports: what an infinite distance or an overflow is capped to (still drift). */
export const MAX_SCORE = 1e300;

/**
 * A score made finite: ±Infinity is capped at ±MAX_SCORE; NaN (only produced by extreme values such as
 * Infinity − Infinity) counts as the strongest evidence: MAX_SCORE for a distance, 0 for a p-value.
 * @example finiteScore(Number.POSITIVE_INFINITY, 'distance') // 1e300
 */
export function finiteScore(value: number, kind: 'distance' | 'p-value'): number {
  if (Number.isNaN(value)) return kind === 'distance' ? MAX_SCORE : 0;
  if (kind === 'p-value') return Math.min(1, Math.max(0, value));
  return clampFinite(value);
}

/** A data value made finite: ±Infinity becomes ±Number.MAX_VALUE, NaN becomes 0, finite values are kept. */
export function clampFinite(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, value));
}
