/**
 * Per-slice drift (pure): each slice of the current window (signature/slices.ts) is compared with the
 * same slice of the reference by the same rules as the aggregate (`compare`), so a shift confined to one
 * segment (one country) is found even when the aggregate hides it.
 *
 * - A slice with fewer than `minRows` rows (current or reference) is `insufficient-data`, never drift.
 * - Multiplicity across slices: the gate p-values of every judged (slice, feature) pair form one family,
 *   Benjamini–Hochberg adjusted together (`benjaminiHochberg`, noise.ts, the same helper compare uses
 *   across features); a slice alarms only when its own check says `drift` AND one of its drifted features
 *   has an adjusted p-value (q) below SIGNIFICANCE_LEVEL, i.e. the false discovery rate over slices ×
 *   features is held at that level.
 * - Weight: a slice drives the action like a feature would, its severity (drift index) weighted by
 *   min(1, share / minActionShare), where share is its share of the current rows. A weighted severity ≥ 1
 *   makes the action `drift`, a smaller one `watch`; the drift index is at least the largest weighted one.
 * - Slices never raise data-quality: a slice whose own check finds an incident is reported, not acted on.
 */
import { formatShare } from '../format.js';
import { plainQuote } from '../text/plain.js';
import type { DatasetSignature } from '../signature/types.js';
import { compare } from './compare.js';
import { ACTION_LABEL } from './action.js';
import { benjaminiHochberg } from './noise.js';
import type { CompareOptionsInput } from './options.js';
import { SIGNIFICANCE_LEVEL } from './registry.js';
import type { SliceDrift } from './slice-types.js';
import type { DriftResult, FeatureDrift } from './types.js';

/** The name of the slice that holds every value outside the top K. */
export const OTHER_SLICE = 'other';

export { sliceDriftSchema, type SliceDrift } from './slice-types.js';

/** How slices are judged (the model config's `sliceOptions`). */
export interface SliceJudging {
  readonly minRows: number;
  readonly minActionShare: number;
}

function featurePValue(f: FeatureDrift): number {
  return f.kind === 'numeric' ? f.metrics.ksPValue : f.metrics.chi2PValue;
}

/**
 * Compare every slice of `current` with the same slice of `reference`; empty when either has no slices.
 * @example
 * const slices = compareSlices(reference, current, config.features, config.sliceOptions);
 */
export function compareSlices(reference: DatasetSignature, current: DatasetSignature, options: CompareOptionsInput, judging: SliceJudging): SliceDrift[] {
  if (reference.slices === undefined || current.slices === undefined) return [];
  const pairs: { column: string; value: string; isOther: boolean; ref: DatasetSignature; cur: DatasetSignature }[] = [];
  for (const column of Object.keys(reference.slices).sort()) {
    const ref = reference.slices[column];
    const cur = Object.hasOwn(current.slices, column) ? current.slices[column] : undefined;
    if (cur === undefined) continue;
    for (const value of Object.keys(ref.values).sort()) {
      if (Object.hasOwn(cur.values, value)) pairs.push({ column, value, isOther: false, ref: ref.values[value], cur: cur.values[value] });
    }
    if (ref.other !== null && cur.other !== null) pairs.push({ column, value: OTHER_SLICE, isOther: true, ref: ref.other, cur: cur.other });
  }
  const judged = pairs.map((p) => {
    const enough = p.ref.rowCount >= judging.minRows && p.cur.rowCount >= judging.minRows;
    return { ...p, enough, result: enough ? compare(p.ref, p.cur, options) : undefined };
  });
  // One family over every judged feature of every judged slice, adjusted once.
  const family: { slice: number; feature: string; p: number }[] = [];
  judged.forEach((j, slice) => {
    if (j.result === undefined || j.result.verdict === 'insufficient-data') return;
    for (const f of j.result.features) if (f.status === 'ok') family.push({ slice, feature: f.name, p: featurePValue(f) });
  });
  const qOf = new Map<string, number>();
  benjaminiHochberg(family.map((f) => f.p)).forEach((q, i) => qOf.set(`${family[i].slice}\u0000${family[i].feature}`, q));
  return judged.map((j, slice): SliceDrift => {
    const share = current.rowCount > 0 ? j.cur.rowCount / current.rowCount : 0;
    const base = { column: j.column, value: j.value, isOther: j.isOther, rows: { reference: j.ref.rowCount, current: j.cur.rowCount }, share };
    const r: DriftResult | undefined = j.result;
    if (r === undefined || r.verdict === 'insufficient-data') {
      return { ...base, status: 'insufficient-data', action: 'none', severity: 0, weighted: 0, pValue: 1, qValue: 1, level: 0, alarm: false, drifted: [] };
    }
    const level = SIGNIFICANCE_LEVEL;
    const driftedFeatures = r.features.filter((f) => f.drift);
    const pValue = driftedFeatures.length > 0 ? Math.min(...driftedFeatures.map(featurePValue)) : 1;
    const qValue = driftedFeatures.length > 0 ? Math.min(...driftedFeatures.map((f) => qOf.get(`${slice}\u0000${f.name}`) ?? 1)) : 1;
    const weighted = r.driftIndex * Math.min(1, share / judging.minActionShare);
    const drifted = driftedFeatures.map((f) => ({ name: f.name, test: f.test, score: f.score, threshold: f.threshold, explanation: f.explanation }));
    if (r.action === 'data-quality') return { ...base, status: 'data-quality', action: r.action, severity: r.driftIndex, weighted, pValue, qValue, level, alarm: false, drifted };
    return { ...base, status: 'ok', action: r.action, severity: r.driftIndex, weighted, pValue, qValue, level, alarm: r.action === 'drift' && qValue < level, drifted };
  });
}

function sliceName(s: Pick<SliceDrift, 'column' | 'value' | 'isOther'>): string {
  return s.isOther ? `${plainQuote(s.column)} (other values)` : `${plainQuote(s.column)} = ${plainQuote(s.value)}`;
}

/** One sentence naming a drifted slice, its share and what moved. */
export function sliceSentence(s: SliceDrift): string {
  const moved = s.drifted.slice(0, 3).map((f) => plainQuote(f.name)).join(', ');
  return `slice ${sliceName(s)} (${formatShare(s.share)} of rows) drifted: ${moved}`;
}

/**
 * The check's result with its slices: an alarmed slice makes the action `drift` (weighted severity ≥ 1)
 * or `watch`, unless the aggregate already says `drift` or `data-quality`; the drift index is at least the
 * largest alarmed slice's weighted severity.
 * @example
 * const result = withSlices(compare(reference, current, config.features), compareSlices(reference, current, config.features, config.sliceOptions));
 */
export function withSlices(result: DriftResult, slices: readonly SliceDrift[]): DriftResult {
  if (slices.length === 0) return result;
  const alarmed = slices.filter((s) => s.alarm).sort((a, b) => b.weighted - a.weighted);
  const top = alarmed[0];
  const driftIndex = top === undefined ? result.driftIndex : Math.max(result.driftIndex, top.weighted);
  if (top === undefined || result.action === 'drift' || result.action === 'data-quality') return { ...result, driftIndex, slices: [...slices] };
  const action = top.weighted >= 1 ? 'drift' : 'watch';
  const more = alarmed.length > 1 ? ` (and ${alarmed.length - 1} more slice${alarmed.length > 2 ? 's' : ''})` : '';
  const actionReason =
    action === 'drift'
      ? `${ACTION_LABEL.drift}: ${sliceSentence(top)}${more}, while the whole population shows no drift.`
      : `${ACTION_LABEL.watch}: ${sliceSentence(top)}${more}; the slice is too small a share of the rows to retrain for.`;
  return { ...result, action, drift: action === 'drift', verdict: action === 'drift' ? 'drift' : result.verdict, actionReason, driftIndex, slices: [...slices] };
}

/**
 * The drifted features of the alarmed slices, named `<column>=<value>/<feature>` (`<column>=other/…` for
 * the rest): what a proposal lists and a rejection remembers beside the aggregate's drifted features.
 * @example
 * sliceDriftedFeatures(result); // [{ name: 'country=DE/amount', score: 2.1, threshold: 0.1, test: 'wasserstein', severity: 21 }]
 */
export function sliceDriftedFeatures(result: Pick<DriftResult, 'slices'>): { name: string; score: number; threshold: number; test: string; severity: number }[] {
  return (result.slices ?? [])
    .filter((s) => s.alarm)
    .flatMap((s) => s.drifted.map((f) => ({ name: `${s.column}=${s.isOther ? OTHER_SLICE : s.value}/${f.name}`, score: f.score, threshold: f.threshold, test: f.test, severity: s.severity })));
}
