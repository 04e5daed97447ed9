import { formatShare } from '../format.js';
import { plainQuote, plainText } from '../text/plain.js';
import type { CategoricalFeatureDrift, DriftAction, FeatureDrift, Incident, NumericFeatureDrift, SchemaChanges } from './types.js';
import { driftTests, SIGNIFICANCE_LEVEL } from './registry.js';

/**
 * Plain sentences for a feature and for the dataset. Pure text from the computed result: nothing here
 * decides anything. Shares are formatted by the core's one `formatShare` (functions/core/format.ts).
 */

/** A value in the data's units: three significant digits, no exponent for everyday magnitudes. */
export function formatValue(x: number | null): string {
  if (x === null) return '—';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return '0';
  // An integer reads as one ("49", not "49.0"): integer columns' quantiles are whole numbers.
  if (Number.isInteger(x) && a < 1e7) return String(x);
  if (a >= 1e7 || a < 1e-3) return x.toExponential(2);
  if (a >= 1000) return x.toFixed(0);
  return x.toPrecision(3);
}

/** Below this a score is the rounding of merged moments (they agree within 1e-9), not a measurement: "0.00". */
const SCORE_NOISE = 1e-9;

/** A score beside its threshold: two decimals, or one significant digit below 0.01 (0.00 below 1e-9). */
export function formatScore(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) < SCORE_NOISE) return (0).toFixed(2);
  if (Math.abs(x) < 0.01) return x.toPrecision(1);
  return x.toFixed(2);
}

/** "p < 0.001" or "p = 0.043". */
export function formatPValue(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p < 0.1 ? p.toFixed(3) : p.toFixed(2)}`;
}

function signed(x: number): string {
  return x > 0 ? `+${formatValue(x)}` : formatValue(x);
}

/** What the sentence helpers read from a feature (everything but the sentence itself). */
type Described = Omit<NumericFeatureDrift, 'explanation'> | Omit<CategoricalFeatureDrift, 'explanation'>;

/** Longest name or label quoted in a sentence (the report's tables show the full names). */
const NAME_MAX = 80;

/** Names come from data: quoted by the plain-text rule, so a sentence stays one line without links or bidi tricks in any medium. */
function quoted(name: string): string {
  return plainQuote(name, NAME_MAX);
}

/** The decisive test's clause: "Wasserstein 0.84 σ ≥ 0.10" or "KS p = 0.43 ≥ 0.05". */
function testClause(f: Described): string {
  const entry = driftTests[f.test];
  const label = entry?.label ?? plainText(f.test, NAME_MAX);
  const unit = entry?.unit ?? '';
  if (f.scoreKind === 'p-value') {
    const p = formatPValue(f.score).replace(/^p /, `${label} `);
    return `${p}, ${f.score < f.threshold ? 'below' : 'not below'} the ${formatScore(f.threshold)} threshold`;
  }
  return `${label} ${formatScore(f.score)}${unit} ${f.score >= f.threshold ? '≥' : '<'} ${formatScore(f.threshold)}`;
}

/** The significance test that gated a distance test: its p-value and its name for sentences. */
export interface Significance {
  readonly pValue: number;
  readonly label: string;
  /** The Benjamini–Hochberg adjusted p-value the gate read, and over how many judged features. */
  readonly adjusted?: number;
  readonly family?: number;
}

/** The gating test's clause for a distance test, or "" for a p-value test. */
function significanceClause(f: Described, significance: Significance): string {
  if (f.scoreKind === 'p-value') return '';
  const { label, pValue: raw } = significance;
  const gate = significance.adjusted ?? raw;
  const adjusted =
    // Said only where the adjustment changes the figure shown.
    significance.adjusted !== undefined && (significance.family ?? 1) > 1 && formatPValue(significance.adjusted) !== formatPValue(raw)
      ? ` (${formatPValue(significance.adjusted).replace(/^p /, '')} adjusted over ${significance.family} features)`
      : '';
  const p = `${formatPValue(raw)}${adjusted}`;
  if (f.score >= f.threshold && gate >= SIGNIFICANCE_LEVEL) {
    return `; but ${label} ${p} ≥ ${SIGNIFICANCE_LEVEL} with ${f.count.current} values: not significant, so no drift`;
  }
  return `; ${label} ${p}`;
}

/** Out-of-range shares below this are not worth a clause (tails of a large batch always reach a little further). */
const OUT_OF_RANGE_MENTION = 0.01;

function qualityClause(f: Described, outOfRange: number): string {
  const parts: string[] = [];
  if (Math.abs(f.nullShare.current - f.nullShare.reference) >= 0.01) {
    parts.push(`nulls ${formatShare(f.nullShare.reference)} → ${formatShare(f.nullShare.current)}`);
  }
  if (outOfRange >= OUT_OF_RANGE_MENTION) parts.push(`${formatShare(outOfRange)} of values outside the reference range`);
  return parts.length > 0 ? `; ${parts.join(', ')}` : '';
}

/** One sentence for a feature that was not judged for lack of data. */
export function explainInsufficient(name: string, current: number, reference: number, minimum: number): string {
  if (reference < minimum) return `${quoted(name)}: the reference has only ${reference} values (need ${minimum}); not judged.`;
  return `${quoted(name)}: only ${current} current values (need ${minimum}); not judged.`;
}

/** One sentence for a numeric feature: where it moved most, the deciding test and the significance. */
export function explainNumeric(f: Omit<NumericFeatureDrift, 'explanation'>, significance: Significance, resolved = true): string {
  const moves = f.quantiles.filter((q) => q.p >= 5 && q.p <= 95 && q.reference !== null && q.current !== null);
  const median = moves.find((q) => q.p === 50);
  let where = '';
  if (moves.length > 0 && median !== undefined) {
    const delta = (q: (typeof moves)[number]): number => (q.current as number) - (q.reference as number);
    // A drifted feature names the median unless another percentile moved at least twice as much (a change
    // of spread); a stable one always names the median (its small moves are noise).
    let pick = median;
    if (f.drift) for (const q of moves) if (Math.abs(delta(q)) > 2 * Math.abs(delta(pick))) pick = q;
    const at = pick.p === 50 ? 'the median' : `p${pick.p}`;
    where = f.drift
      ? ` moved ${signed(delta(pick))} at ${at} (${formatValue(pick.reference)} → ${formatValue(pick.current)}),`
      : ` is stable: ${pick.p === 50 ? 'median' : `p${pick.p}`} ${formatValue(pick.reference)} → ${formatValue(pick.current)},`;
  } else {
    where = f.drift ? ' moved,' : ' is stable,';
  }
  const bound = f.resolution !== undefined && f.resolution.source === 'coarse-sketch' ? `, KS between ${formatScore(f.metrics.ksStat)} and ${formatScore(Math.min(1, f.metrics.ksStat + f.resolution.ksError))}` : '';
  const coarse = resolved ? '' : ` (values too large for the sketch to resolve their spread: means compared${bound})`;
  return `${quoted(f.name)}${where} ${testClause(f)}${significanceClause(f, significance)}${coarse}${qualityClause(f, f.outOfRangeShare)}${detectableClause(f)}.`;
}

/**
 * "; this batch would have acted (drift) on a shift of 0.49 σ (0.31 σ would only be flagged: watch)" for a
 * feature that did not drift, so a quiet small batch reads honestly: the first figure is what would change the
 * action, the second what the feature's own rule would flag; "" when it drifted or the figure is absent.
 */
export function detectableClause(f: Pick<Described, 'drift' | 'detectable'>): string {
  if (f.drift || f.detectable === undefined) return '';
  const { effect, flagged, unit } = f.detectable;
  const of = (x: number): string => (unit === 'sd-shift' ? `${formatScore(x)} σ` : `${formatScore(x)}`);
  const what = unit === 'sd-shift' ? 'a shift of' : 'a Jensen–Shannon distance of';
  const only = flagged !== undefined && flagged < effect ? ` (${of(flagged)} would only be flagged: watch)` : '';
  return `; this batch would have acted (drift) on ${what} ${of(effect)}${only}`;
}

/** One sentence for a categorical feature: new categories or the largest share change, the test and significance. */
export function explainCategorical(
  f: Omit<CategoricalFeatureDrift, 'explanation'>,
  unseen: readonly (readonly [string, number])[],
  significance: Significance,
): string {
  let what: string;
  if (f.metrics.unseenShare > 0) {
    const names = unseen.slice(0, 3).map(([v]) => quoted(v)).join(', ');
    const more = unseen.length > 3 ? ` and ${unseen.length - 3} more` : '';
    what = `${formatShare(f.metrics.unseenShare)} of values are new (unseen: ${names}${more})`;
  } else {
    let biggest: (typeof f.categories)[number] | undefined;
    for (const c of f.categories) {
      if (biggest === undefined || Math.abs(c.current - c.reference) > Math.abs(biggest.current - biggest.reference)) biggest = c;
    }
    what =
      biggest === undefined
        ? 'no categories'
        : `largest change ${quoted(biggest.value)} ${formatShare(biggest.reference)} → ${formatShare(biggest.current)}`;
  }
  const lead = f.drift ? `${quoted(f.name)}: ${what}` : `${quoted(f.name)} is stable: ${what}`;
  const topK = f.topK !== undefined ? ` (over the top ${f.topK.k} categories plus "(other)")` : '';
  return `${lead}; ${testClause(f)}${topK}${significanceClause(f, significance)}${qualityClause(f, 0)}${detectableClause(f)}.`;
}

function list(names: readonly string[]): string {
  return names.map(quoted).join(', ');
}

/** Incident sentences listed in the summary before "and N more" (the result lists them all). */
const SUMMARY_INCIDENTS = 5;

/** The dataset summary: the data-quality findings, how many features drifted and which, the action and its rule, what else changed. */
export function explainDataset(input: {
  action: DriftAction;
  features: readonly FeatureDrift[];
  schema: SchemaChanges;
  incidents: readonly Incident[];
  ruleSentence: string;
  minimum: number;
}): string {
  const { features, schema, incidents } = input;
  const tested = features.filter((f) => f.status === 'ok');
  const drifted = tested.filter((f) => f.drift);
  const insufficient = features.filter((f) => f.status === 'insufficient-data');
  const parts: string[] = [];
  if (incidents.length > 0) {
    const more = incidents.length > SUMMARY_INCIDENTS ? ` And ${incidents.length - SUMMARY_INCIDENTS} more.` : '';
    parts.push(`Data quality (${incidents.length} finding${incidents.length === 1 ? '' : 's'}): ${incidents.slice(0, SUMMARY_INCIDENTS).map((i) => i.detail).join(' ')}${more}`);
  }
  if (tested.length === 0) {
    parts.push(features.length === 0 ? 'No features to compare.' : `Not enough data: every feature has fewer than ${input.minimum} values to compare.`);
  } else if (drifted.length > 0) {
    parts.push(`${drifted.length} of ${tested.length} features drifted: ${list(drifted.map((f) => f.name))}.`);
  } else {
    const top = tested[0];
    parts.push(`No feature drifted (0 of ${tested.length}${top ? `; closest: ${quoted(top.name)}, ${testClause(top)}` : ''}).`);
  }
  parts.push(`Action: ${input.action}. Rule: ${input.ruleSentence}`);
  if (insufficient.length > 0 && tested.length > 0) {
    parts.push(`Not judged (too few values): ${list(insufficient.map((f) => f.name))}.`);
  }
  const schemaParts: string[] = [];
  if (schema.missing.length > 0) schemaParts.push(`missing ${list(schema.missing)}`);
  if (schema.added.length > 0) schemaParts.push(`added ${list(schema.added)}`);
  if (schema.retyped.length > 0) {
    schemaParts.push(`retyped ${schema.retyped.map((r) => `${quoted(r.name)} (${plainText(r.reference, NAME_MAX)} → ${plainText(r.current, NAME_MAX)})`).join(', ')}`);
  }
  if (schemaParts.length > 0) parts.push(`Schema: ${schemaParts.join('; ')}.`);
  return parts.join(' ');
}
