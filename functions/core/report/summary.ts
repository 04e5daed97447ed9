/**
 * Plain-language pieces shared by the HTML report and the notice: "what moved", the headline (the action
 * and why) and the overview (the counts). The
 * ranking and the severity are the drift result's own (drift/rank.ts, `FeatureDrift.severity`). Names and
 * values are quoted by the plain-text rule (core/text/plain.ts): the sentences are one line, free of
 * invisible characters and links, whatever the data; the HTML report escapes them once more for HTML.
 */
import { ACTION_LABEL } from '../drift/action.js';
import { rankFeatures } from '../drift/rank.js';
import type { CategoricalFeatureDrift, DriftResult, FeatureDrift, NumericFeatureDrift } from '../drift/types.js';
import { formatDelta, formatNumber, formatShare, formatUtcDay } from '../format.js';
import { plainQuote as quote, plainText } from '../text/plain.js';

/**
 * Label each quantile "p1" … "p99": the drift module gives `p` in percent (1…99); fractions (0.01…0.99)
 * are accepted too, recognised per list since p = 1 alone would be ambiguous.
 */
export function quantileLabels(quantiles: readonly { readonly p: number }[]): string[] {
  const fractions = quantiles.length > 0 && quantiles.every((q) => q.p < 1);
  return quantiles.map((q) => `p${formatNumber(fractions ? q.p * 100 : q.p, 3)}`);
}

function median(f: NumericFeatureDrift): { readonly reference: number | null; readonly current: number | null } {
  const q = f.quantiles.find((x) => x.p === 0.5 || x.p === 50);
  return q === undefined ? { reference: null, current: null } : q;
}

function biggestQuantileMove(f: NumericFeatureDrift): { readonly label: string; readonly delta: number; readonly reference: number; readonly current: number } | null {
  let best: { label: string; delta: number; reference: number; current: number } | null = null;
  const labels = quantileLabels(f.quantiles);
  f.quantiles.forEach((q, i) => {
    if (q.reference === null || q.current === null) return;
    const delta = q.current - q.reference;
    if (best === null || Math.abs(delta) > Math.abs(best.delta)) {
      best = { label: labels[i], delta, reference: q.reference, current: q.current };
    }
  });
  return best;
}

/** The category whose share changed most (new values first when they carry weight). */
export function biggestCategoryMove(f: CategoricalFeatureDrift): CategoricalFeatureDrift['categories'][number] | null {
  let best: CategoricalFeatureDrift['categories'][number] | null = null;
  for (const c of f.categories) {
    if (best === null || Math.abs(c.current - c.reference) > Math.abs(best.current - best.reference)) best = c;
  }
  return best;
}

/** One short phrase saying what moved, e.g. "moved +15 at the median (12 → 27)" or "'ZZ' is new at 18% of rows". */
export function describeMove(f: FeatureDrift, nameMax = Number.POSITIVE_INFINITY): string {
  if (f.kind === 'numeric') {
    const m = median(f);
    const moved = biggestQuantileMove(f);
    // The median is the plainest statement; a tail quantile is named only when it moved much more.
    if (m.reference !== null && m.current !== null && (moved === null || Math.abs(moved.delta) <= 2 * Math.abs(m.current - m.reference))) {
      return `moved ${formatDelta(m.current - m.reference)} at the median (${formatNumber(m.reference)} → ${formatNumber(m.current)})`;
    }
    if (moved !== null) {
      return `moved ${formatDelta(moved.delta)} at ${moved.label} (${formatNumber(moved.reference)} → ${formatNumber(moved.current)})`;
    }
    return `mean ${formatNumber(f.mean.reference, 3)} → ${formatNumber(f.mean.current, 3)}`;
  }
  const c = biggestCategoryMove(f);
  if (c === null) return `unseen values ${formatShare(f.metrics.unseenShare)}`;
  if (c.unseen) return `${quote(c.value, nameMax)} is new at ${formatShare(c.current)} of rows`;
  return `${quote(c.value, nameMax)} share ${formatShare(c.reference)} → ${formatShare(c.current)}`;
}

/** Each action as a short upper-case label (CLI, HTML badge, page title). */
export const ACTION_BADGE: Readonly<Record<DriftResult['action'], string>> = Object.freeze({
  'data-quality': 'DATA-QUALITY',
  drift: 'DRIFT',
  watch: 'WATCH',
  none: 'NONE',
});

/** Longest stored sentence (the action's reason) shown whole. */
const SENTENCE_MAX = 600;

/**
 * The action's reason without its label, e.g. "'amount' moved 0.61 σ (…)." for "Drift: 'amount' moved 0.61 σ (…).",
 * by the plain-text rule. A stored reason is data: whatever it says, callers print it after the label of
 * the result's action (a fixed word), so no stored text can start a line or speak for another action.
 */
export function actionBody(result: DriftResult): string {
  const reason = plainText(result.actionReason, SENTENCE_MAX);
  const label = `${ACTION_LABEL[result.action]}: `;
  return reason.startsWith(label) ? reason.slice(label.length) : reason;
}

/**
 * The first sentence of a notice and the report: the action and why (the result's `actionReason` after the
 * action's own label), with the retraining advice only for `drift`, e.g. "Drift: 'amount' moved 0.61 σ (…);
 * retrain advised by Fri 4 Dec 2026." A data-quality reason says to fix the pipeline, never to retrain.
 */
export function headline(result: DriftResult, retrainBy?: string): string {
  const sentence = `${ACTION_LABEL[result.action]}: ${actionBody(result)}`;
  if (result.action !== 'drift') return sentence;
  const advice = retrainBy === undefined ? 'retraining advised' : `retrain advised by ${plainText(formatUtcDay(retrainBy), 64)}`;
  return `${sentence.replace(/\.$/, '')}; ${advice}.`;
}

/** The second sentence: counts, the top mover and the schema changes, e.g. "3 of 12 features drifted; 'delay' moved +15 at the median; 1 schema change." */
export function overview(result: DriftResult, nameMax = Number.POSITIVE_INFINITY): string {
  const total = result.features.length;
  const drifted = result.features.filter((f) => f.drift).length;
  const insufficient = result.features.filter((f) => f.status === 'insufficient-data').length;
  const parts: string[] = [];
  if (total > 0 && insufficient === total) {
    parts.push(`Too little data to judge ${total === 1 ? 'the feature' : `the ${total} features`}`);
  } else {
    parts.push(`${drifted} of ${total} feature${total === 1 ? '' : 's'} drifted${insufficient > 0 ? ` (${insufficient} with too little data)` : ''}`);
  }
  const top = rankFeatures(result.features).find((f) => f.drift);
  if (top !== undefined) {
    const move = describeMove(top, nameMax);
    // Keep it short: the parenthesised before → after is for the detail lines.
    parts.push(top.kind === 'numeric' ? `${quote(top.name, nameMax)} ${move.replace(/ \(.*\)$/, '')}` : `${quote(top.name, nameMax)}: ${move}`);
  }
  const schemaCount = result.schema.missing.length + result.schema.added.length + result.schema.retyped.length;
  if (schemaCount > 0) parts.push(`${schemaCount} schema change${schemaCount === 1 ? '' : 's'}`);
  return `${parts.join('; ')}.`;
}

/** The names of the features with a data-quality incident (the report and the notice mark them). */
export function incidentFeatures(result: DriftResult): ReadonlySet<string> {
  return new Set(result.incidents.flatMap((i) => (i.feature === undefined ? [] : [i.feature])));
}

/** "a.parquet", "a.parquet, b.parquet and 3 more": the base names of one side's inputs (files or batch keys), as every medium names them. */
export function inputNames(side: { readonly sources: readonly string[]; readonly count: number }, shown = 3): string {
  const base = (name: string): string => name.slice(name.lastIndexOf('/') + 1) || name;
  const names = side.sources.slice(0, shown).map(base).join(', ');
  return side.count > shown ? `${names} and ${side.count - shown} more` : names;
}
