import type { DriftResult } from '../drift/types.js';

/**
 * CONTRACT (owned by the report module; produced by the lifecycle, rendered by the report module).
 */

/** One past check of a model. */
export interface HistoryPoint {
  readonly at: string;
  readonly checkId: string;
  readonly verdict: DriftResult['verdict'];
  readonly score: number;
  readonly driftIndex: number;
}

/** A change of a model's check interval, with its reason. */
export interface CadenceChange {
  readonly at: string;
  readonly checkIntervalSeconds: number;
  readonly previousIntervalSeconds: number;
  readonly reason: string;
}

/** When the drift index is expected to cross 1 (its threshold). */
export interface Forecast {
  /** ISO time of the crossing, or null when the index is flat/falling or already above. */
  readonly crossingAt: string | null;
  /** Estimated change of the drift index per day (Theil–Sen slope). */
  readonly slopePerDay: number;
  /** Number of history points used. */
  readonly points: number;
  readonly method: string;
}

export interface ReportInput {
  readonly modelId: string;
  readonly checkId: string;
  readonly generatedAt: string;
  readonly result: DriftResult;
  readonly history: readonly HistoryPoint[];
  readonly cadence: readonly CadenceChange[];
  readonly forecast: Forecast | null;
  /** The open proposal this check raised, if any. */
  readonly proposal?: { readonly proposalId: string; readonly expiresAt: string; readonly retrainBy?: string };
}

export interface NoticeInput {
  readonly modelId: string;
  readonly proposalId: string;
  readonly result: DriftResult;
  readonly forecast: Forecast | null;
  readonly links: { readonly report?: string; readonly approve: string; readonly reject: string; readonly snooze: string };
  readonly expiresAt: string;
  /** Date by which retraining is advised (the forecast crossing or now). */
  readonly retrainBy?: string;
  /** `veto` mode: the retrain happens at this time unless rejected. */
  readonly vetoAt?: string;
}

/** The SNS message: friendly to email and chat, at most 2 KB of text. */
export interface RenderedNotice {
  readonly subject: string;
  readonly text: string;
}

/** What a person can decide about a retraining proposal. */
export const decisionActions = ['approve', 'reject', 'snooze'] as const;
export type DecisionAction = (typeof decisionActions)[number];

/** The evidence shown on a decision page: enough to decide without opening the report. */
export interface DecisionEvidence {
  readonly verdict: DriftResult['verdict'];
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
