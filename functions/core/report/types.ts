import type { ExemptWindow } from '../drift/options.js';
import { z } from 'zod';
import { jsonNumberSchema as num, type DeepReadonly } from '../drift/json-number.js';
import { driftActionSchema, driftResultSchema, driftVerdictSchema, type DriftResult } from '../drift/types.js';
import { retrainOutcomeSchema } from '../learning/outcomes.js';
import { reviewReportSchema } from './review-section.js';

/**
 * CONTRACT (owned by the report module; produced by the lifecycle, rendered by the report module).
 * Documents that are stored (history, cadence, forecast, the report input) are zod schemas with their types
 * inferred; the lifecycle's state document reuses these schemas.
 */

/** An ISO time as stored (parsed where it is read: formatting leaves an unparsable one as it is). */
export const isoTimeSchema = z.string().min(1);

/** One past check of a model. */
export const historyPointSchema = z.object({
  at: isoTimeSchema,
  checkId: z.string(),
  verdict: driftVerdictSchema,
  /** The check's action; absent on points stored before action classes. The cadence skips data-quality points. */
  action: driftActionSchema.optional(),
  score: num,
  driftIndex: num,
  /** Batch signatures the check consumed (the training window maps checks to batches with it); absent in older states. */
  signatures: num.optional(),
});
export type HistoryPoint = DeepReadonly<z.output<typeof historyPointSchema>>;

/** A change of a model's check interval, with its reason. */
export const cadenceChangeSchema = z.object({
  at: isoTimeSchema,
  checkIntervalSeconds: num,
  previousIntervalSeconds: num,
  reason: z.string(),
});
export type CadenceChange = DeepReadonly<z.output<typeof cadenceChangeSchema>>;

/** When the drift index is expected to cross 1 (its threshold). */
export const forecastSchema = z.object({
  /** ISO time of the crossing, or null when the index is flat/falling or already above. */
  crossingAt: isoTimeSchema.nullable(),
  /** Estimated change of the drift index per day (Theil–Sen slope). */
  slopePerDay: num,
  /** Number of history points used. */
  points: num,
  method: z.string(),
});
export type Forecast = DeepReadonly<z.output<typeof forecastSchema>>;

/** Everything the HTML report shows; stored beside it as JSON (report-json.ts) and read back by `driftgate report`. */
export const reportInputSchema = z.object({
  modelId: z.string().min(1),
  checkId: z.string().min(1),
  generatedAt: isoTimeSchema,
  result: driftResultSchema,
  history: z.array(historyPointSchema),
  cadence: z.array(cadenceChangeSchema),
  forecast: forecastSchema.nullable(),
  /** The open proposal this check raised, if any. */
  proposal: z.object({ proposalId: z.string(), expiresAt: isoTimeSchema, retrainBy: isoTimeSchema.optional() }).optional(),
  /** The model's recorded retrain outcomes (core/learning/outcomes.ts), oldest first; absent before the first. */
  outcomes: z.array(retrainOutcomeSchema).optional(),
  /** The last review round answered since the previous check (core/report/review-section.ts); absent when none. */
  review: reviewReportSchema.optional(),
});
export type ReportInput = DeepReadonly<z.output<typeof reportInputSchema>>;

export interface NoticeInput {
  readonly modelId: string;
  readonly proposalId: string;
  readonly result: DriftResult;
  readonly forecast: Forecast | null;
  /** The signed links; an `auto` notice (retrain already requested) has no decision links, only `lower`. */
  readonly links: { readonly report?: string; readonly approve?: string; readonly reject?: string; readonly snooze?: string; readonly lower?: string };
  readonly expiresAt: string;
  /** The model's autonomy level, track record and next step (core/lifecycle/autonomy.ts `autonomyView`). @default not shown */
  readonly autonomy?: { readonly level: string; readonly record: string; readonly nextStep: string };
  /** Level `auto`: the retrain was requested before this notice. @default false */
  readonly autoRetrained?: boolean;
  /** Date by which retraining is advised (the forecast crossing or now). */
  readonly retrainBy?: string;
  /** `veto` mode: the retrain happens at this time unless rejected. */
  readonly vetoAt?: string;
  /** Start of the subject (the model's configured prefix). @default "[driftgate]" */
  readonly subjectPrefix?: string;
  /** Why people, not a test, asked for this proposal (a `human-review`): the first sentence and the subject's verdict. @default none */
  readonly lead?: { readonly sentence: string; readonly verdict: string };
}

/** The SNS message: friendly to email and chat, at most 2 KB of text. */
export interface RenderedNotice {
  /** The final subject: printable ASCII, at most NOTICE_SUBJECT_MAX_BYTES, verdict and deadline complete. */
  readonly subject: string;
  readonly text: string;
}

/** What a person can decide about a retraining proposal. */
export const decisionActions = ['approve', 'reject', 'snooze'] as const;
export type DecisionAction = (typeof decisionActions)[number];

/** The evidence shown on a decision page: enough to decide without opening the report. */
export interface DecisionEvidence {
  readonly verdict: DriftResult['verdict'];
  /** The check's action, shown beside the verdict when given. */
  readonly action?: DriftResult['action'];
  /** One plain sentence (e.g. the notice's first line). */
  readonly headline: string;
  /** Top features with what moved, in rank order. */
  readonly features: readonly { readonly name: string; readonly move: string }[];
  readonly reportUrl?: string;
}

/** The confirmation page returned on GET of a signed decision link. */
export interface DecisionPageInput {
  readonly modelId: string;
  readonly proposalId: string;
  readonly action: DecisionAction;
  /** The signed token, posted back in a hidden field. */
  readonly token: string;
  readonly expiresAt: string;
  readonly evidence: DecisionEvidence;
  /** For snooze: how long the proposal is snoozed. */
  readonly snoozeSeconds?: number;
  /** For veto mode: retraining starts at this time unless rejected. */
  readonly vetoAt?: string;
  /** When set, the link cannot be used (expired, already decided, bad signature): shown instead of the form. */
  readonly error?: string;
  /** The model's autonomy level, track record and next step, with the levels the owner may lower to. @default not shown */
  readonly autonomy?: AutonomyPanel;
}

/** The autonomy panel of the decision page (core/lifecycle/autonomy.ts `autonomyView`). */
export interface AutonomyPanel {
  readonly level: string;
  readonly record: string;
  readonly nextStep: string;
  readonly lowerTo: readonly string[];
}

/** The confirmation page of an owner link: accept an offered level or a suggested config change, or lower the level. */
export interface OwnerPageInput {
  readonly modelId: string;
  readonly action: 'accept-level' | 'accept-config' | 'lower';
  readonly token: string;
  readonly expiresAt: string;
  readonly autonomy: AutonomyPanel;
  readonly offer?: { readonly level: string; readonly expiresAt: string } | null;
  readonly suggestion?: { readonly feature: string; readonly test: string; readonly from: number; readonly to: number; readonly verdicts: readonly string[]; readonly reasons: readonly string[]; readonly window?: ExemptWindow } | null;
  /** When set, nothing is left to do (shown instead of the accept form). */
  readonly error?: string;
}

/** The page returned after the POST of a decision. */
export interface DecisionResultInput {
  readonly modelId: string;
  readonly proposalId: string;
  readonly action: DecisionAction;
  /** `done`: recorded now; `already-decided`: an earlier decision stands; `rejected`: the request was refused. */
  readonly outcome: 'done' | 'already-decided' | 'rejected';
  /** ISO time of the decision that stands. */
  readonly decidedAt?: string;
  /** Extra plain text, e.g. "retrain event abc sent" or why the request was refused. */
  readonly message?: string;
}
