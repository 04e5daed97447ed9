/**
 * A tiny seeded PRNG for tests: mulberry32 for uniforms, Box–Muller for normals, inverse-CDF sampling for
 * categories. Deterministic across platforms (32-bit integer arithmetic only).
 */
import { mulberry32 } from '../../../functions/core/random.js';

export { mulberry32 };

/** Seeded samplers built on one mulberry32 stream. */
export interface Random {
  uniform(): number;
  normal(mean?: number, sd?: number): number;
  normals(n: number, mean?: number, sd?: number): number[];
  /** n draws of an index with the given (unnormalised) weights. */
  choices<T>(values: readonly T[], weights: readonly number[], n: number): T[];
}

/** A seeded Random. */
export function seeded(seed: number): Random {
  const next = mulberry32(seed);
  let spare: number | null = null;
  const standard = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // Box–Muller; 1 - u avoids log(0).
    const u = 1 - next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    uniform: next,
    normal: (mean = 0, sd = 1) => mean + sd * standard(),
    normals: (n, mean = 0, sd = 1) => Array.from({ length: n }, () => mean + sd * standard()),
    choices: (values, weights, n) => {
      const cumulative: number[] = [];
      let total = 0;
      for (const w of weights) cumulative.push((total += w));
      return Array.from({ length: n }, () => {
        const x = next() * total;
        let lo = 0;
        let hi = cumulative.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid] > x) hi = mid;
          else lo = mid + 1;
        }
        return values[lo];
      });
    },
  };
}

/** Zipf weights 1/i^s for i = 1..k. */
export function zipfWeights(k: number, s: number): number[] {
  return Array.from({ length: k }, (_, i) => 1 / Math.pow(i + 1, s));
}
