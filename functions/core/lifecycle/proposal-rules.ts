import type { ExemptWindow } from '../drift/options.js';
import { sliceDriftedFeatures } from '../drift/slices.js';
import { activeExemption, windowText } from './autonomy.js';
import type { DriftResult } from '../drift/types.js';
import type { Forecast } from '../report/types.js';
import type { ModelState } from './types.js';

/**
 * When a check opens a retrain proposal (pure).
 *
 * Triggers: the dataset verdict is drift; or the forecast crossing falls inside the next check interval;
 * or the maximum retrain interval has elapsed since the last retrain/adoption.
 * Suppressed by: an active proposal (open, or approved and awaiting adoption), a snooze still running,
 * and a rejection of the same evidence (the same drifted features, not STRONGER_FACTOR times stronger).
 * After any rejection the max-retrain-interval trigger is suppressed for minRetrainInterval (counted from
 * the rejection): otherwise a rejected "retrain, it has been too long" proposal would come back at the
 * very next check. Once that time has passed the trigger fires again, whatever was rejected.
 * A feature inside one of its exempt windows (`features.overrides[f].exemptWindows`, written by an accepted
 * suggestion) is still reported, marked "exempt: recurring window …", but does not drive a proposal: the
 * drift trigger needs at least one drifted feature that is not exempt now (the dataset verdict itself is
 * not recomputed without it).
 */

/** minRetrainInterval when the caller does not pass one (the config's default). */
export const DEFAULT_MIN_RETRAIN_INTERVAL_SECONDS = 86_400;

/** A rejected set of features re-notifies only when the index grew by this factor or new features drifted. */
export const STRONGER_FACTOR = 1.5;
/** How many drifted features a proposal lists. */
export const TOP_FEATURES = 5;

export interface DriftedFeature {
  readonly name: string;
  readonly score: number;
  readonly threshold: number;
  readonly test: string;
  /** The feature's stored severity (≥ 1 exactly when it drifts): the order the notice and report use. */
  readonly severity: number;
}

/** The drifted features, strongest first (at most TOP_FEATURES); features in `exempt` come after the others, so they never drive. */
export function driftedFeatures(result: DriftResult, exempt: readonly string[] = []): DriftedFeature[] {
  const all = [
    ...result.features.filter((f) => f.drift).map((f) => ({ name: f.name, score: f.score, threshold: f.threshold, test: f.test, severity: f.severity })),
    ...sliceDriftedFeatures(result),
  ];
  const skip = new Set(exempt);
  return [...all.filter((f) => !skip.has(f.name)), ...all.filter((f) => skip.has(f.name))].slice(0, TOP_FEATURES);
}

/** The evidence a rejection remembers: every drifted feature name, sorted, joined with commas. */
export function evidenceFingerprint(result: DriftResult): string {
  return [...result.features.filter((f) => f.drift).map((f) => f.name), ...sliceDriftedFeatures(result).map((f) => f.name)]
    .sort()
    .join(',');
}

/**
 * The result with every drifted feature that is inside one of its exempt windows at `now` marked in its
 * explanation, and those features' names (the drift trigger ignores them).
 */
export function markExemptFeatures<R extends DriftResult>(
  result: R,
  overrides: Readonly<Record<string, { readonly exemptWindows?: readonly ExemptWindow[] }>>,
  now: Date,
): { readonly result: R; readonly exempt: string[] } {
  const exempt: string[] = [];
  const features = result.features.map((f) => {
    const window = f.drift && Object.hasOwn(overrides, f.name) ? activeExemption(overrides[f.name].exemptWindows, now) : null;
    if (window === null) return f;
    exempt.push(f.name);
    return { ...f, explanation: `${f.explanation} Exempt: recurring window ${windowText(window)}, so it drives no retrain proposal.` };
  });
  // The same features drifting within an alarmed slice are exempt too (named as slices.ts names them): the
  // window is the feature's, wherever its drift is seen.
  const exemptSlices = result.slices?.map((s) => ({ ...s, drifted: s.drifted.filter((f) => Object.hasOwn(overrides, f.name) && activeExemption(overrides[f.name].exemptWindows, now) !== null) }));
  if (exemptSlices !== undefined) exempt.push(...sliceDriftedFeatures({ slices: exemptSlices }).map((f) => f.name));
  return exempt.length === 0 ? { result, exempt } : { result: features.some((f, i) => f !== result.features[i]) ? ({ ...result, features } as R) : result, exempt };
}

export interface ProposalDecision {
  readonly propose: boolean;
  readonly triggers: string[];
  /** Why a triggered proposal was not opened. */
  readonly suppressed: string | null;
}

/** Decide whether this check opens a proposal. */
export function decideProposal(input: {
  result: DriftResult;
  forecast: Forecast | null;
  nextCheckAt: string;
  state: Pick<ModelState, 'activeProposalId' | 'snoozedUntil' | 'rejected' | 'lastRetrainAt'>;
  activeBlocks: boolean;
  /** A data-quality incident is open (or this check opened one): fix the pipeline before retraining. @default false */
  incident?: { readonly incidentId: string; readonly reason: string } | null;
  maxRetrainIntervalSeconds: number;
  /** How long a rejection suppresses the max-retrain-interval trigger. @default 1 day */
  minRetrainIntervalSeconds?: number;
  /** Drifted features inside an exempt window now (markExemptFeatures): they do not make the drift trigger. @default [] */
  exempt?: readonly string[];
  now: Date;
}): ProposalDecision {
  const { result, forecast, state, now } = input;
  const minRetrain = input.minRetrainIntervalSeconds ?? DEFAULT_MIN_RETRAIN_INTERVAL_SECONDS;
  const triggers: string[] = [];
  const exempt = new Set(input.exempt ?? []);
  const driving = [...result.features.filter((f) => f.drift).map((f) => f.name), ...sliceDriftedFeatures(result).map((f) => f.name)].filter((n) => !exempt.has(n));
  const exemptOnly = result.verdict === 'drift' && exempt.size > 0 && driving.length === 0;
  if (result.verdict === 'drift' && !exemptOnly) triggers.push('drift');
  if (forecast?.crossingAt && Date.parse(forecast.crossingAt) <= Date.parse(input.nextCheckAt)) {
    triggers.push('forecast-crossing-before-next-check');
  }
  if (now.getTime() - Date.parse(state.lastRetrainAt) >= input.maxRetrainIntervalSeconds * 1000) {
    triggers.push('max-retrain-interval');
  }
  if (triggers.length === 0) return { propose: false, triggers, suppressed: exemptOnly ? `drift only in features inside an exempt recurring window (${[...exempt].sort().join(', ')})` : null };
  if (input.incident) {
    return { propose: false, triggers, suppressed: `data-quality incident ${input.incident.incidentId} is open: ${input.incident.reason}` };
  }
  if (input.activeBlocks) {
    return { propose: false, triggers, suppressed: `proposal ${state.activeProposalId} is still active` };
  }
  if (state.snoozedUntil && now.getTime() < Date.parse(state.snoozedUntil)) {
    return { propose: false, triggers, suppressed: `snoozed until ${state.snoozedUntil}` };
  }
  if (state.rejected && triggers.includes('max-retrain-interval') && now.getTime() - Date.parse(state.rejected.at) < minRetrain * 1000) {
    const until = new Date(Date.parse(state.rejected.at) + minRetrain * 1000).toISOString();
    const others = triggers.filter((t) => t !== 'max-retrain-interval');
    const suppressed = `a proposal was rejected at ${state.rejected.at}: max-retrain-interval is suppressed until ${until} (minRetrainInterval)`;
    if (others.length === 0) return { propose: false, triggers, suppressed };
    // The other triggers (drift, forecast) still go through the rejected-evidence rule.
    return decideProposal({ ...input, state: { ...state, lastRetrainAt: now.toISOString() } });
  }
  if (state.rejected && !triggers.includes('max-retrain-interval')) {
    const fingerprint = evidenceFingerprint(result);
    const rejectedNames = new Set(state.rejected.fingerprint.split(',').filter(Boolean));
    const hasNew = fingerprint.split(',').some((n) => n && !rejectedNames.has(n));
    const stronger = result.driftIndex >= state.rejected.driftIndex * STRONGER_FACTOR;
    if (!hasNew && !stronger) {
      return { propose: false, triggers, suppressed: `the same evidence (${state.rejected.fingerprint || 'no drifted feature'}) was rejected at ${state.rejected.at}` };
    }
  }
  return { propose: true, triggers, suppressed: null };
}
