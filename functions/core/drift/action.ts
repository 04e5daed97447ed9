/**
 * The action classes: what a check asks people to do, decided by one pure function from the judged features,
 * the data-quality incidents and the dataset rule.
 *
 * - `data-quality` wins: any incident (incidents.ts). The batch shows a broken pipeline; retraining on it
 *   would teach the model the breakage, so the advice is to fix the pipeline.
 * - `drift`: the dataset rule (≥ share of the judged features drift, or a key feature drifts), or one
 *   feature that drifts materially and unmistakably: it drifts (severity ≥ 1) with a large effect
 *   (Wasserstein ≥ MATERIAL_WASSERSTEIN_SD reference σ, or Jensen–Shannon ≥ MATERIAL_JS_DISTANCE, each raised
 *   to the feature's noise floor at its share of the budget), or ≥ MATERIAL_UNSEEN_SHARE of its values are
 *   categories the reference never saw. Every path spends the dataset's false-action budget (budget.ts): the
 *   features that decide must be Benjamini–Hochberg discoveries at ACTION_BUDGET (1 %) across the judged
 *   features — one feature moving alone needs p < 1 % / (number of judged features). That is what keeps
 *   same-distribution batches quiet: "any one of m features" fires by chance m times as often as one feature
 *   does, and the large-effect bar alone does not stop it where the distance is biased by sampling (300 rows
 *   over 200 categories give a Jensen–Shannon distance of ≈ 0.35 with nothing changed; 100 rows give
 *   Wasserstein ≈ 0.45 σ now and then).
 * - `watch`: some feature drifted (severity ≥ 1) but not enough for `drift`.
 * - `none`: otherwise (nothing drifted, or too little data to judge).
 * The drift index alone never makes `watch`: a same-distribution batch reaches a drift index of 0.5 in about
 * half the draws (0.5 is a p-value near 0.2), so it says nothing about one check; its trend is the cadence's.
 */
import { formatShare } from '../format.js';
import { ACTION_BUDGET, budgetDiscoveries, featureBudget, type MaterialBar } from './budget.js';
import { plainQuote } from '../text/plain.js';
import type { Significance } from './explain.js';
import { formatPValue, formatScore } from './explain.js';
import type { DatasetRule } from './options.js';
import { byDriftThenSeverity } from './rank.js';
import type { FeatureKind } from './registry.js';
import type { DriftAction, Incident } from './types.js';

/**
 * Wasserstein distance, in reference σ, of a material numeric shift. Below 0.5 on purpose: a shift of half a
 * σ measures 0.46–0.56 at 2,000 rows (40 seeded draws), and the bar must catch it whatever the draw; a
 * same-distribution batch of 300 rows measures ≈ 0.08.
 */
export const MATERIAL_WASSERSTEIN_SD = 0.4;

/** Jensen–Shannon distance (base 2) of a material categorical change (0.2 ≈ a fifth of the rows in new categories gives 0.33). */
export const MATERIAL_JS_DISTANCE = 0.2;

/** Share of current values in categories the reference never saw that is material on its own. */
export const MATERIAL_UNSEEN_SHARE = 0.2;

/**
 * With feature importances, a single material shift makes `drift` only in a feature whose importance is at
 * least this share of the average judged feature's (a shift in a feature the model barely uses is `watch`).
 * Without importances every feature weighs 1, so the default catches any single material shift.
 */
export const MIN_RELATIVE_IMPORTANCE = 0.5;

/** What decideAction reads of one judged feature. */
export interface ActionFeature {
  readonly name: string;
  readonly kind: FeatureKind;
  readonly status: 'ok' | 'insufficient-data';
  /** The feature's own verdict: severity ≥ 1. */
  readonly drift: boolean;
  readonly severity: number;
  /** The effect size on the kind's common scale: numeric Wasserstein in reference σ, categorical Jensen–Shannon distance. */
  readonly effect: number;
  /** The gate that decided significance (KS, Welch means, chi²): its p-value and its name for sentences. */
  readonly significance: Significance;
  /**
   * The effect a single material shift must reach (budget.ts materialBar: the documented bar raised to the
   * feature's noise floor at its share of the budget); absent: the documented bar of its kind.
   */
  readonly bar?: MaterialBar;
  /** Categorical: the share of current values in never-seen categories and its two-proportion p-value; numeric: 0 and 1. */
  readonly unseen: {
    readonly share: number;
    readonly pValue: number;
    /** The share sampling alone puts in categories a reference of this size never saw (Good–Turing f1/n); material is measured above it. */
    readonly expected?: number;
  };
}

/** What decided the action, for the summary and for tests. */
export type ActionTrigger = 'incident' | 'share' | 'key-feature' | 'material-feature' | 'drifted-feature' | 'stable' | 'insufficient-data' | 'no-features';

export interface ActionDecision {
  readonly action: DriftAction;
  /** One plain sentence naming the top reason, e.g. "Drift: 'amount' moved 0.61 σ (…)." */
  readonly reason: string;
  readonly trigger: ActionTrigger;
  /** Share of the judged features that drifted, importance-weighted when importances are given (the dataset rule's score); 0 when none was judged. */
  readonly share: number;
}

/**
 * Each judged feature's weight: its importance (0 when the map does not name it), or 1 for all when there
 * is no map or it gives every judged feature 0 (no information about these features).
 */
export function importanceWeights(names: readonly string[], importance: Readonly<Record<string, number>> | undefined): Map<string, number> {
  const weights = new Map<string, number>();
  if (importance !== undefined) for (const name of names) weights.set(name, Object.hasOwn(importance, name) ? importance[name] : 0);
  if (importance === undefined || [...weights.values()].every((w) => !(w > 0))) for (const name of names) weights.set(name, 1);
  return weights;
}

/** Each action's label, the first word(s) of its reason. */
export const ACTION_LABEL: Readonly<Record<DriftAction, string>> = Object.freeze({
  'data-quality': 'Data quality',
  drift: 'Drift',
  watch: 'Watch',
  none: 'No action',
});

/** Longest name quoted in a reason (as in explain.ts). */
const NAME_MAX = 80;
/** Names listed in a reason before "and N more". */
const LIST_MAX = 3;

const quoted = (name: string): string => plainQuote(name, NAME_MAX);

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LIST_MAX).map(quoted).join(', ');
  return names.length > LIST_MAX ? `${shown} and ${names.length - LIST_MAX} more` : shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A sentence that continues after "Data quality: " (its first letter lower-cased unless it is a name or a figure). */
function continued(sentence: string): string {
  return sentence.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase()).replace(/\.$/, '');
}

/** The action rule, as stated in every result. */
export function actionRuleSentence(rule: DatasetRule, dataQualityRule: string, weighted = false): string {
  const keys = rule.keyFeatures.length > 0 ? ` or a key feature (${rule.keyFeatures.map(quoted).join(', ')}) drifts` : '';
  const of = weighted ? 'of the judged features’ importance' : 'of the judged features';
  const important = weighted ? ` whose importance is at least ${formatShare(MIN_RELATIVE_IMPORTANCE)} of the average feature’s` : '';
  return (
    `data-quality when the batch shows a broken pipeline (${dataQualityRule}); otherwise drift when ≥ ${formatShare(rule.share)} ` +
    `${of} drift${keys}, or one feature${important} drifts materially (Wasserstein ≥ ${MATERIAL_WASSERSTEIN_SD} σ, ` +
    `Jensen–Shannon ≥ ${MATERIAL_JS_DISTANCE}, or ≥ ${formatShare(MATERIAL_UNSEEN_SHARE)} of values in never-seen categories; ` +
    `a bar is raised to the distance sampling noise exceeds at the feature's share of the budget), ` +
    `each within a false-action budget of ${formatShare(ACTION_BUDGET)} per dataset (Benjamini–Hochberg at ${formatShare(ACTION_BUDGET)} ` +
    `across the judged features: one feature alone needs p < ${formatShare(ACTION_BUDGET)} ÷ their number); ` +
    `watch when any feature drifts; none otherwise.`
  );
}

/** The documented material bar of a kind (a feature's own bar may lie above it: ActionFeature.bar). */
function documentedBar(kind: FeatureKind): number {
  return kind === 'numeric' ? MATERIAL_WASSERSTEIN_SD : MATERIAL_JS_DISTANCE;
}

/**
 * Why one feature is material, as a reason clause, or null when it is not (see the module comment).
 * `discovered`: its gate is a discovery within the budget; `level`: its share of the budget.
 */
function materialClause(f: ActionFeature, discovered: boolean, level: number): string | null {
  if (f.status !== 'ok') return null;
  if (f.kind === 'categorical' && f.unseen.share - (f.unseen.expected ?? 0) >= MATERIAL_UNSEEN_SHARE && f.unseen.pValue < level) {
    return `${formatShare(f.unseen.share)} of ${quoted(f.name)} values are categories the reference never saw (two-proportion ${formatPValue(f.unseen.pValue)})`;
  }
  if (!f.drift || !discovered) return null;
  const bar = f.bar ?? { value: documentedBar(f.kind), source: 'documented' };
  if (!(f.effect >= bar.value)) return null;
  const p = formatPValue(f.significance.pValue).replace(/^p /, `${f.significance.label} p `);
  const unit = f.kind === 'numeric' ? ' σ' : '';
  const floor = bar.source === 'noise-floor' ? `; its bar ${formatScore(bar.value)}${unit} is the sampling noise at this size` : '';
  if (f.kind === 'numeric') return `${quoted(f.name)} moved ${formatScore(f.effect)} σ (Wasserstein distance in reference σ; ${p}${floor})`;
  return `${quoted(f.name)} changed its mix of categories (Jensen–Shannon distance ${formatScore(f.effect)}; ${p}${floor})`;
}

/**
 * Decide the action of a check (the rule in the module comment).
 * @example
 * const { action, reason } = decideAction({ features, incidents, datasetRule: { share: 0.5, keyFeatures: [] } });
 */
export function decideAction(input: {
  readonly features: readonly ActionFeature[];
  readonly incidents: readonly Incident[];
  readonly datasetRule: DatasetRule;
  /** Feature importances (options.ts featureImportanceSchema); without them every feature weighs 1. */
  readonly importance?: Readonly<Record<string, number>>;
}): ActionDecision {
  const ranked = [...input.features].sort(byDriftThenSeverity);
  const judged = ranked.filter((f) => f.status === 'ok');
  const drifted = judged.filter((f) => f.drift);
  const weights = importanceWeights(judged.map((f) => f.name), input.importance);
  const weightOf = (f: ActionFeature): number => weights.get(f.name) ?? 0;
  const total = judged.reduce((sum, f) => sum + weightOf(f), 0);
  const share = total > 0 ? drifted.reduce((sum, f) => sum + weightOf(f), 0) / total : 0;
  const average = judged.length > 0 ? total / judged.length : 0;
  const weighted = input.importance !== undefined && share !== drifted.length / Math.max(1, judged.length);

  if (input.incidents.length > 0) {
    const [first] = input.incidents;
    const more = input.incidents.length > 1 ? ` (and ${plural(input.incidents.length - 1, 'more finding')})` : '';
    return { action: 'data-quality', trigger: 'incident', share, reason: `${ACTION_LABEL['data-quality']}: ${continued(first.detail)}${more}; fix the pipeline before retraining.` };
  }
  if (judged.length === 0) {
    return input.features.length === 0
      ? { action: 'none', trigger: 'no-features', share, reason: `${ACTION_LABEL.none}: there are no features to compare.` }
      : { action: 'none', trigger: 'insufficient-data', share, reason: `${ACTION_LABEL.none}: too little data to judge any feature.` };
  }
  const drift = (trigger: ActionTrigger, why: string): ActionDecision => ({ action: 'drift', trigger, share, reason: `${ACTION_LABEL.drift}: ${why}.` });
  // The false-action budget (budget.ts): only a discovery at ACTION_BUDGET may make the action.
  const found = budgetDiscoveries(judged.map((f) => f.significance.pValue));
  const discovered = new Set(judged.filter((_, i) => found[i]));
  if (drifted.length > 0 && share >= input.datasetRule.share && drifted.some((f) => discovered.has(f))) {
    const carrying = weighted ? `, carrying ${formatShare(share)} of the importance` : '';
    return drift('share', `${drifted.length} of ${judged.length} judged features drifted${carrying} (the rule needs ${formatShare(input.datasetRule.share)}): ${listNames(drifted.map((f) => f.name))}`);
  }
  const key = drifted.find((f) => input.datasetRule.keyFeatures.includes(f.name) && discovered.has(f));
  if (key !== undefined) return drift('key-feature', `key feature ${quoted(key.name)} drifted`);
  const level = featureBudget(judged.length);
  let minor: string | undefined;
  for (const f of judged) {
    const clause = materialClause(f, discovered.has(f), level);
    if (clause === null) continue;
    if (weightOf(f) >= MIN_RELATIVE_IMPORTANCE * average) return drift('material-feature', clause);
    minor ??= f.name;
  }
  if (drifted.length > 0 || minor !== undefined) {
    const names = drifted.length > 0 ? drifted.map((f) => f.name) : [minor as string];
    const why = minor !== undefined ? `; ${quoted(minor)} moved materially but the model gives it little importance` : '';
    return {
      action: 'watch',
      trigger: 'drifted-feature',
      share,
      reason: `${ACTION_LABEL.watch}: ${plural(names.length, 'feature')} drifted (${listNames(names)})${why}, not enough to retrain.`,
    };
  }
  return { action: 'none', trigger: 'stable', share, reason: `${ACTION_LABEL.none}: no feature drifted (0 of ${judged.length} judged).` };
}
