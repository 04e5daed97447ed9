import { chi2Sf } from './special.js';

/**
 * Chi-square test of homogeneity on a 2×k table (reference counts vs current counts per category).
 */

/** Smallest expected count per cell for the chi-square approximation to hold (Cochran's rule). */
export const MIN_EXPECTED = 5;

export interface ChiSquareResult {
  readonly statistic: number;
  readonly pValue: number;
  readonly dof: number;
  /** Number of columns the test ran on (after dropping empty columns). */
  readonly columns: number;
}

/**
 * Chi-square test on a 2×k contingency table, as scipy's `chi2_contingency(table)` (Yates' correction when
 * dof = 1); all-zero columns are dropped first, and a table with fewer than 2 columns gives p = 1.
 * @example chiSquareTest([10, 20], [20, 10]).pValue // ≈ 0.0201
 */
export function chiSquareTest(reference: readonly number[], current: readonly number[]): ChiSquareResult {
  if (reference.length !== current.length) {
    throw new RangeError(`chiSquareTest: ${reference.length} reference columns but ${current.length} current`);
  }
  const rows: number[][] = [[], []];
  for (let j = 0; j < reference.length; j += 1) {
    if (reference[j] + current[j] > 0) {
      rows[0].push(reference[j]);
      rows[1].push(current[j]);
    }
  }
  const k = rows[0].length;
  const rowTotals = rows.map((row) => row.reduce((a, b) => a + b, 0));
  const total = rowTotals[0] + rowTotals[1];
  if (k < 2 || rowTotals[0] === 0 || rowTotals[1] === 0) return { statistic: 0, pValue: 1, dof: 0, columns: k };
  const dof = k - 1;
  let statistic = 0;
  for (let j = 0; j < k; j += 1) {
    const colTotal = rows[0][j] + rows[1][j];
    for (let i = 0; i < 2; i += 1) {
      const expected = (rowTotals[i] * colTotal) / total;
      let observed = rows[i][j];
      if (dof === 1) {
        // Yates' continuity correction, exactly as scipy applies it: move each cell up to 0.5 towards expected.
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += ((observed - expected) * (observed - expected)) / expected;
    }
  }
  return { statistic, pValue: chi2Sf(statistic, dof), dof, columns: k };
}

/**
 * Pool sparse columns of a 2×k table so that chi-square is valid. A column is sparse when its expected
 * count in the smaller row is below MIN_EXPECTED. Sparse columns the reference never saw (reference count 0)
 * go into one "new" pool, the other sparse columns into one "rare" pool, so new values are not diluted among
 * rare old ones (which pool a column joins depends on the reference alone). The "new" pool stays apart only
 * when it holds more than sampling explains: a reference of n values misses categories carrying about f1/n of
 * the mass (Good–Turing; f1 = categories the reference saw once), so m current values put about m·f1/n in
 * categories it never saw with nothing changed (300 rows of 200 Zipf categories: ~15 %). A "new" pool within
 * that expectation plus 3 standard deviations joins the "rare" pool (see unseenBand: the deviation counts the
 * Good–Turing estimate's own error as well as the current sample's). A "new" pool that is itself sparse
 * joins the "rare" pool; a "rare" pool that is still sparse absorbs the smallest remaining column, repeatedly.
 * Returns the pooled rows: kept columns in their order, then the rare pool, then the new pool.
 */
export function poolSparseColumns(
  reference: readonly number[],
  current: readonly number[],
): { reference: number[]; current: number[] } {
  const refTotal = reference.reduce((a, b) => a + b, 0);
  const curTotal = current.reduce((a, b) => a + b, 0);
  const total = refTotal + curTotal;
  const smallRow = Math.min(refTotal, curTotal);
  // Expected count of a column in the smaller row: colTotal · smallRow / total.
  const isSparse = (col: readonly [number, number]): boolean => total === 0 || ((col[0] + col[1]) * smallRow) / total < MIN_EXPECTED;
  const kept: [number, number][] = [];
  let rare: [number, number] = [0, 0];
  let fresh: [number, number] = [0, 0];
  for (let j = 0; j < reference.length; j += 1) {
    const col: [number, number] = [reference[j], current[j]];
    if (col[0] + col[1] === 0) continue;
    if (!isSparse(col)) kept.push(col);
    else if (col[0] === 0) fresh = [fresh[0], fresh[1] + col[1]];
    else rare = [rare[0] + col[0], rare[1] + col[1]];
  }
  const band = unseenBand(reference, curTotal);
  if (fresh[1] > 0 && (isSparse(fresh) || fresh[1] <= band.expected + UNSEEN_BAND_SDS * band.sd)) {
    rare = [rare[0] + fresh[0], rare[1] + fresh[1]];
    fresh = [0, 0];
  }
  while (rare[0] + rare[1] > 0 && isSparse(rare) && kept.length > 0) {
    let smallest = 0;
    for (let j = 1; j < kept.length; j += 1) {
      if (kept[j][0] + kept[j][1] < kept[smallest][0] + kept[smallest][1]) smallest = j;
    }
    const [col] = kept.splice(smallest, 1);
    rare = [rare[0] + col[0], rare[1] + col[1]];
  }
  if (rare[0] + rare[1] > 0) kept.push(rare);
  if (fresh[1] > 0) kept.push(fresh);
  return { reference: kept.map((c) => c[0]), current: kept.map((c) => c[1]) };
}

/** Standard deviations above the Good–Turing expectation a "new" pool may reach and still join the "rare" pool. */
export const UNSEEN_BAND_SDS = 3;

/**
 * How many of m current values land, with nothing changed, in categories a reference of n values never saw.
 * The Good–Turing estimate of the unseen mass is M = f1/n (f1, f2 = categories the reference saw once, twice);
 * the count U is binomial(m, M0) given the true unseen mass M0, and M itself errs: Esty (1983, Ann. Statist.
 * 11:905) gives Var(M − M0) ≈ (f1 + 2·f2 − f1²/n)/n². So E[U] ≈ m·M and
 * Var(U) ≈ m·M·(1 − M) + m²·(f1 + 2·f2 − f1²/n)/n². A band of Poisson deviations (√(m·M)) alone leaves out the
 * second term, which dominates when m ≳ n: on 300 against 300 rows of 200 Zipf categories it acted on 4 % of
 * same-distribution draws.
 * @example unseenBand([1, 1, 2, 6], 10) // { expected: 2, sd: ≈ 2.28 }
 */
export function unseenBand(reference: readonly number[], m: number): { expected: number; sd: number } {
  let n = 0;
  let f1 = 0;
  let f2 = 0;
  for (const r of reference) {
    n += r;
    if (r === 1) f1 += 1;
    else if (r === 2) f2 += 1;
  }
  if (n === 0) return { expected: 0, sd: 0 };
  const mass = f1 / n;
  const estimateVariance = Math.max(0, f1 + 2 * f2 - (f1 * f1) / n) / (n * n);
  return { expected: m * mass, sd: Math.sqrt(m * mass * (1 - mass) + m * m * estimateVariance) };
}
