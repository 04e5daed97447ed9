/**
 * What a RetrainRequested event tells the retraining system beyond "retrain now" (pure): how much data
 * (`recommendedTrainingRows`, from the last reported learning curve, core/learning/curve.ts) and which
 * data (`trainingWindow`: the batches since the drift's onset, core/learning/change-point.ts, plus
 * batches from before the onset to blend in when the window holds fewer rows than recommended).
 *
 * Both are computed when the proposal opens and stored in it, so the event is the same on every retry.
 * The zod schemas here are the contract of the two event fields.
 */
import { z } from 'zod';
import { CHANGE_POINT_METHOD, driftOnset } from './change-point.js';
import { type CurveHintOptions, learningCurveHint } from './curve.js';
import { type OutcomeHistory, latestLearningCurve } from './outcomes.js';

/** Most batches a training window lists (the newest are kept; `truncated` says so). */
export const MAX_WINDOW_BATCHES = 1000;

const interval = z.tuple([z.number(), z.number()]);

/** The event's `recommendedTrainingRows`: the rows the next retrain needs, or why there is no hint. */
export const recommendedTrainingRowsSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('recommended'),
    /** Training rows at which one more doubling gains less than `epsilon` (in the metric's units). */
    rows: z.number().int().positive(),
    /** 90% bootstrap interval of `rows`. */
    interval,
    /** The fitted plateau of the score (the metric's own units and direction), and its 90% interval. */
    plateau: z.number(),
    plateauInterval: interval,
    epsilon: z.number(),
    /** The metric the curve was reported in, when the manifest named it. */
    metric: z.string().nullable(),
    /** The model version whose manifest reported the curve. */
    fromVersion: z.string(),
    /** The fitted law score(n) = a − b·n^(−c) (on the score negated for a lower-is-better metric), its R² and how many points. */
    fit: z.object({ a: z.number(), b: z.number(), c: z.number(), r2: z.number() }),
    points: z.number().int(),
  }),
  z.object({
    status: z.literal('omitted'),
    /** `no-learning-curve`, `too-few-points`, `poor-fit` or `still-rising`. */
    reason: z.enum(['no-learning-curve', 'too-few-points', 'poor-fit', 'still-rising']),
    message: z.string(),
    fromVersion: z.string().nullable(),
  }),
]);
export type RecommendedTrainingRows = z.infer<typeof recommendedTrainingRowsSchema>;

const batchRowsSchema = z.object({ key: z.string(), rows: z.number().int().nonnegative() });

/** The event's `trainingWindow`: which batches to train on. */
export const trainingWindowSchema = z.object({
  /** The change-point method that found the onset (see change-point.ts). */
  method: z.literal(CHANGE_POINT_METHOD),
  /** The first check of the drift (null when no onset was found: the window is every check since the reference). */
  onset: z.object({ at: z.string(), checkId: z.string() }).nullable(),
  /** Why the window starts where it does. */
  reason: z.string(),
  /** Batches (their upload keys) checked since the onset, oldest first, with their row counts. */
  batches: z.array(batchRowsSchema),
  rows: z.number().int().nonnegative(),
  /**
   * Batches from before the onset (since the reference), newest first, to blend in because the window
   * holds fewer rows than recommended; empty otherwise.
   */
  blend: z.array(batchRowsSchema),
  blendRows: z.number().int().nonnegative(),
  /** Recommended rows the window and the blend still lack (0 when covered or when there is no recommendation). */
  shortBy: z.number().int().nonnegative(),
  /** True when more than MAX_WINDOW_BATCHES batches qualified and only the newest are listed. */
  truncated: z.boolean(),
});
export type TrainingWindow = z.infer<typeof trainingWindowSchema>;

/** Both hints, as the proposal stores them. */
export const retrainHintSchema = z.object({
  recommendedTrainingRows: recommendedTrainingRowsSchema.optional(),
  trainingWindow: trainingWindowSchema.optional(),
});
export type RetrainHint = z.infer<typeof retrainHintSchema>;

/**
 * The recommendation from the newest learning curve in the model's outcome history.
 * @example
 * const rec = recommendTrainingRows(await repo.outcomes(modelId), config.learning);
 */
export function recommendTrainingRows(history: OutcomeHistory | undefined, options: CurveHintOptions): RecommendedTrainingRows {
  const latest = latestLearningCurve(history);
  if (latest === undefined) return { status: 'omitted', reason: 'no-learning-curve', message: 'no retrain has reported a learning curve yet', fromVersion: null };
  const outcome = history?.outcomes.find((o) => o.version === latest.version && o.learningCurve.length > 0);
  const metric = outcome?.metric ?? null;
  // The fit expects higher-is-better: a loss is negated, and the plateau turned back into its units.
  const sign = metric?.direction === 'lower-is-better' ? -1 : 1;
  const hint = learningCurveHint(latest.points.map((p) => ({ rows: p.rows, score: sign * p.score })), options);
  if (hint.status === 'omitted') return { status: 'omitted', reason: hint.reason, message: hint.message, fromVersion: latest.version };
  const plateauInterval: [number, number] = sign === 1 ? [hint.plateauInterval[0], hint.plateauInterval[1]] : [-hint.plateauInterval[1], -hint.plateauInterval[0]];
  return {
    status: 'recommended',
    rows: hint.rows,
    interval: [hint.interval[0], hint.interval[1]],
    plateau: sign * hint.plateau,
    plateauInterval,
    epsilon: hint.epsilon,
    metric: metric?.name ?? null,
    fromVersion: latest.version,
    fit: { a: hint.fit.a, b: hint.fit.b, c: hint.fit.c, r2: hint.fit.r2 },
    points: hint.points,
  };
}

/** A check since the reference as the window needs it: when, its id, its drift index and how many batch signatures it consumed. */
export interface WindowCheck {
  readonly at: string;
  readonly checkId: string;
  readonly driftIndex: number;
  /** Signatures the check consumed (absent on checks recorded before this field existed). */
  readonly signatures?: number;
}

/** Which signatures fall in the window and before it: a pure plan, before their row counts are read. */
export interface WindowPlan {
  readonly onset: { readonly at: string; readonly checkId: string } | null;
  readonly reason: string;
  /** Signature keys of the checks since the onset, oldest first. */
  readonly windowKeys: readonly string[];
  /** Signature keys of the checks before the onset (since the reference), oldest first. */
  readonly beforeKeys: readonly string[];
  readonly truncated: boolean;
}

/**
 * Split the signatures consumed since the reference at the drift's onset. `consumed` is the state's list
 * (appended per check, in check order), `checks` the state's history with the current check last.
 * @example
 * const plan = planTrainingWindow(next.history, next.consumed);
 */
export function planTrainingWindow(checks: readonly WindowCheck[], consumed: readonly string[]): WindowPlan {
  // Only the newest checks that recorded their signature count can be mapped to keys.
  let mapped = checks.length;
  while (mapped > 0 && checks[mapped - 1].signatures !== undefined) mapped--;
  const known = checks.slice(mapped);
  const onset = driftOnset(known.map((c) => c.driftIndex));
  const start = onset.found ? onset.index : 0;
  const count = (from: number): number => known.slice(from).reduce((s, c) => s + (c.signatures ?? 0), 0);
  const inWindow = Math.min(count(start), consumed.length);
  const inAll = Math.min(count(0), consumed.length);
  let windowKeys = consumed.slice(consumed.length - inWindow);
  let beforeKeys = consumed.slice(consumed.length - inAll, consumed.length - inWindow);
  const truncated = windowKeys.length > MAX_WINDOW_BATCHES || beforeKeys.length > MAX_WINDOW_BATCHES;
  windowKeys = windowKeys.slice(-MAX_WINDOW_BATCHES);
  beforeKeys = beforeKeys.slice(-MAX_WINDOW_BATCHES);
  const partial = mapped > 0 ? ` (only the last ${known.length} of ${checks.length} checks recorded their batches)` : '';
  const reason = onset.found
    ? `the drift index shifted up at check ${known[start].checkId} (${CHANGE_POINT_METHOD}) and has stayed above its level after the reference since${partial}`
    : `${onset.reason}: the window is every check since the reference${partial}`;
  return { onset: onset.found ? { at: known[start].at, checkId: known[start].checkId } : null, reason, windowKeys, beforeKeys, truncated };
}

/**
 * The training window: the window's batches with their rows and, when `recommendedRows` exceeds them,
 * batches from before the onset (newest first) until covered. `rowsOf` gives each signature's batch key(s) and rows.
 * @example
 * const window = trainingWindow(plan, rowsOf, rec.status === 'recommended' ? rec.rows : undefined);
 */
export function trainingWindow(
  plan: WindowPlan,
  rowsOf: ReadonlyMap<string, { readonly key: string; readonly rows: number }>,
  recommendedRows?: number,
): TrainingWindow {
  const entry = (k: string): { key: string; rows: number } => rowsOf.get(k) ?? { key: k, rows: 0 };
  const batches = plan.windowKeys.map(entry);
  const rows = batches.reduce((s, b) => s + b.rows, 0);
  const blend: { key: string; rows: number }[] = [];
  let blendRows = 0;
  if (recommendedRows !== undefined && rows < recommendedRows) {
    for (let i = plan.beforeKeys.length - 1; i >= 0 && rows + blendRows < recommendedRows; i--) {
      const b = entry(plan.beforeKeys[i]);
      blend.push(b);
      blendRows += b.rows;
    }
  }
  const shortBy = recommendedRows === undefined ? 0 : Math.max(0, Math.ceil(recommendedRows - rows - blendRows));
  return { method: CHANGE_POINT_METHOD, onset: plan.onset, reason: plan.reason, batches, rows, blend, blendRows, shortBy, truncated: plan.truncated };
}
