/**
 * The dataset's false-action budget: how often a same-distribution batch may be told `drift`.
 *
 * The budget ACTION_BUDGET (1 %) is spent through one gate on the m judged features' gate p-values (KS, Welch
 * means, chi²): Benjamini–Hochberg at level ACTION_BUDGET, and a feature may make the action only when it is
 * one of its discoveries (adjusted p < ACTION_BUDGET). Every path to `drift` passes it:
 * - the share rule and a key feature: at least one of the drifted features that make the decision is a
 *   discovery;
 * - a single material feature: it is a discovery, and it reaches its material bar, max(documented bar, its
 *   noise floor at β = ACTION_BUDGET / m for (n_reference, n_current)): the distance two same-distribution
 *   samples of these sizes exceed with probability β (noise.ts), so the bar never sits where sampling alone
 *   reaches it more often than the feature's share of the budget;
 * - never-seen categories (action.ts): their two-proportion p < β and a share ≥ the documented bar above
 *   what sampling explains (Good–Turing).
 * Why this bounds the dataset: when nothing changed, every null is true, and BH then makes any discovery
 * with probability ≤ ACTION_BUDGET (it is Simes' test; valid for independent and positively dependent
 * features, such as columns that move together; a feature moving alone needs p < β, Bonferroni). The bar at
 * β bounds the single-feature path a second time where a gate's p-value is only approximately valid (chi² on
 * sparse tables, KS on a sketch). The never-seen path adds at most its own share per categorical feature,
 * and in practice far less: its bar is a fifth of the rows beyond the expected unseen share.
 * `data-quality` is not spent from this budget: its incidents (incidents.ts) carry their own tests.
 * Measured in bench/README.md ("Detection", false-action budget).
 */
import { benjaminiHochberg } from './noise.js';

/** The dataset's false-action budget: the largest share of same-distribution batches that may act. */
export const ACTION_BUDGET = 0.01;

/**
 * One judged feature's share of the budget: ACTION_BUDGET / m (Bonferroni), the level its gate must pass and
 * the tail its noise-floor bar is taken at.
 * @example featureBudget(10) // 0.001
 */
export function featureBudget(judged: number, budget = ACTION_BUDGET): number {
  return budget / Math.max(1, judged);
}

/** A feature's material bar and where it came from. */
export interface MaterialBar {
  readonly value: number;
  readonly source: 'documented' | 'noise-floor';
}

/**
 * The material bar of one feature: the documented bar (action.ts), raised to its noise floor at its share of
 * the budget when the floor lies above it (a non-finite floor is ignored: it says nothing about noise).
 * @example materialBar(0.4, 0.5) // { value: 0.5, source: 'noise-floor' }
 */
export function materialBar(documented: number, floorAtShare: number | undefined): MaterialBar {
  if (floorAtShare !== undefined && Number.isFinite(floorAtShare) && floorAtShare > documented) return { value: floorAtShare, source: 'noise-floor' };
  return { value: documented, source: 'documented' };
}

/**
 * Which judged features may make the action: the Benjamini–Hochberg discoveries at level `budget` among their
 * gate p-values (in the input order; NaN is never one).
 * @example budgetDiscoveries([1e-6, 0.008, 0.5]) // [true, false, false]: 0.008 · 3 / 2 ≥ 1 %
 */
export function budgetDiscoveries(pValues: readonly number[], budget = ACTION_BUDGET): boolean[] {
  return benjaminiHochberg(pValues.map((p) => (Number.isNaN(p) ? 1 : p))).map((q) => q < budget);
}
