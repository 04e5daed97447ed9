import { z } from 'zod';
import { AUTONOMY_LEVELS, type AutonomyView, REJECTION_REASONS, autonomyStateSchema } from './autonomy.js';
import { incidentSchema } from './incident.js';
import { retrainHintSchema } from '../learning/retrain-hint.js';
import { type DriftResult, driftVerdictSchema } from '../drift/types.js';
import { featureImportanceSchema } from '../drift/options.js';
import { type CadenceChange, type Forecast, type HistoryPoint, cadenceChangeSchema, forecastSchema, historyPointSchema, isoTimeSchema } from '../report/types.js';

/** What a decision link can do. */
export const DECISION_ACTIONS = ['approve', 'reject', 'snooze'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** Every action recorded in the decision log. */
export const LOG_ACTIONS = [
  'set-reference',
  'check',
  'check-failed',
  'incident-opened',
  'incident-closed',
  'incident-notice',
  'cadence',
  'propose',
  'notice',
  'notice-failed',
  'approve',
  'reject',
  'snooze',
  'expire',
  'veto-window-elapsed',
  'retrain',
  'adopt',
  'auto-approve',
  'autonomy',
  'owner-notice',
  'config-suggested',
  'config-change',
  'retrain-outcome',
  /** A retrain that failed or was rolled back (core/learning/outcomes.ts `isRetrainLesson`): its evidence is kept. */
  'lesson',
  /** Review samples (core/lifecycle/review.ts): a round opened, its request or reminder sent, its verdicts, its expiry. */
  'review-request',
  'review-notice',
  'review-verdicts',
  'review-expired',
] as const;
export type LogAction = (typeof LOG_ACTIONS)[number];

/** One line of `decisions/<modelId>.jsonl`. */
export interface DecisionLogEntry {
  readonly at: string;
  readonly modelId: string;
  /** `driftgate` for automatic steps, else who clicked (from the request). */
  readonly actor: string;
  readonly action: LogAction;
  readonly proposalId?: string;
  readonly evidence: Record<string, unknown>;
  /** A random id per line, so a retried append recognises a line it already wrote. */
  readonly entryId?: string;
}

const isoTime = isoTimeSchema;

const drifted = z.object({ name: z.string(), score: z.number(), threshold: z.number(), test: z.string().optional(), severity: z.number().optional() });

/** The model's state document (`state/<modelId>.json`); every update is conditional on its etag. */
/**
 * A random id written with every version of a document: after a conditional write whose answer was lost
 * (the retried request sees 412 because the first one already landed), the writer recognises its own write.
 */
const revision = z.string().optional();

export const modelStateSchema = z.object({
  schemaVersion: z.literal(1),
  revision,
  modelId: z.string(),
  reference: z.object({
    version: z.string(),
    key: z.string(),
    at: isoTime,
    /** The adoption manifest's feature importances for this version; checks use them unless the config names its own. Absent in older states. */
    featureImportance: featureImportanceSchema.optional(),
  }),
  /** The last adoption (or initial reference): the origin of the retrain interval. */
  lastRetrainAt: isoTime,
  checkIntervalSeconds: z.number(),
  nextCheckAt: isoTime,
  lastCheckAt: isoTime.nullable(),
  /** Signature keys already merged into a check (or older than the reference). */
  consumed: z.array(z.string()),
  /** Checks since the current reference, oldest first (at most HISTORY_LIMIT). */
  history: z.array(historyPointSchema),
  /** Cadence changes since the current reference (at most HISTORY_LIMIT). */
  cadence: z.array(cadenceChangeSchema),
  forecast: forecastSchema.nullable(),
  /** The proposal that blocks new ones (open, or approved and awaiting adoption). */
  activeProposalId: z.string().nullable(),
  /** Evidence of the last rejection: the same evidence does not re-notify. */
  rejected: z.object({ fingerprint: z.string(), driftIndex: z.number(), at: isoTime }).nullable(),
  snoozedUntil: isoTime.nullable(),
  /** The open data-quality incident (no proposal opens while there is one); absent in older documents. */
  incident: incidentSchema.nullable().default(null),
  /** Earned autonomy and what people taught (core/lifecycle/autonomy.ts); absent in older documents. */
  autonomy: autonomyStateSchema.default(() => autonomyStateSchema.parse({})),
  /**
   * A committed check's remaining writes (its proposal, its decision-log lines), finished idempotently by
   * whoever runs next (the check's retry, the next check, the gate) and then cleared; absent in older documents.
   */
  pendingCheck: z.lazy(() => pendingCheckSchema).optional(),
});
export type ModelState = z.infer<typeof modelStateSchema>;

export const PROPOSAL_STATUSES = ['open', 'approved', 'rejected', 'snoozed', 'expired', 'adopted'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/** Version of the stored proposal document; version 1 documents are upgraded on read. */
export const PROPOSAL_SCHEMA_VERSION = 2;

/** The stable id of a proposal's one RetrainRequested event: the same on every retry, for consumers to deduplicate. */
export function retrainEventId(proposalId: string): string {
  return `retrain-${proposalId}`;
}

const proposalV2Schema = z.object({
  schemaVersion: z.literal(PROPOSAL_SCHEMA_VERSION),
  revision,
  proposalId: z.string(),
  modelId: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime,
  /** The autonomy level in force when it was opened (`auto`: the gate retrains, then notifies). */
  mode: z.enum(AUTONOMY_LEVELS),
  vetoWindowSeconds: z.number(),
  status: z.enum(PROPOSAL_STATUSES),
  checkId: z.string(),
  reportKey: z.string(),
  /** Why: the verdict, the drift index, the top drifted features, the forecast. */
  reasons: z.object({
    verdict: driftVerdictSchema,
    driftIndex: z.number(),
    triggers: z.array(z.string()),
    driftedFeatures: z.array(drifted),
    forecast: forecastSchema.nullable(),
    retrainBy: isoTime.nullable(),
  }),
  /** Sorted drifted feature names: what a rejection remembers. */
  fingerprint: z.string(),
  /** Proof of delivery (the notifier's message id); veto mode needs it. */
  notice: z.object({ messageId: z.string(), sentAt: isoTime }).nullable(),
  /** A sender holds the right to send the one notice (a lease: a crashed sender's claim lapses). */
  noticeClaim: z.object({ at: isoTime }).nullable(),
  decision: z
    .object({
      action: z.string(),
      at: isoTime,
      actor: z.string(),
      reason: z.string().optional(),
      /** Why a rejection was made (the decision page asks). */
      reasonKind: z.enum(REJECTION_REASONS).optional(),
      snoozeUntil: isoTime.optional(),
      /** The decision link that made this decision (`tokenUseId`): its single use is part of this transition. */
      tokenId: z.string().optional(),
    })
    .nullable(),
  /**
   * The one RetrainRequested event of an approved proposal: claimed in the approving write, so exactly one
   * caller publishes; `messageId` is set once it was published. A claim whose publish failed (or whose
   * publisher died) is taken again by the scheduled run, with the same `eventId`.
   */
  retrainEvent: z
    .object({
      eventId: z.string(),
      claimedAt: isoTime.nullable(),
      messageId: z.string().nullable(),
      at: isoTime.nullable(),
      error: z.string().optional(),
    })
    .nullable(),
  adoptedVersion: z.string().nullable(),
  /** The autonomy rules of the config when it was opened (the decision path reads no config). */
  autonomyRules: z.object({ configured: z.enum(['manual', 'veto']), promoteAfter: z.number().int(), suggestAfter: z.number().int() }).optional(),
  /** How much and which data to retrain on (core/learning/retrain-hint.ts), fixed when the proposal opened; absent in older proposals. */
  hint: retrainHintSchema.optional(),
});

/** A version 1 proposal (wave 1) as version 2: no notice claim; a published event gets its stable id. */
function upgradeProposal(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || (raw as { schemaVersion?: unknown }).schemaVersion !== 1) return raw;
  const v1 = raw as Record<string, unknown> & { proposalId?: unknown; retrainEvent?: { messageId?: unknown; at?: unknown } | null };
  const published = v1.retrainEvent ?? null;
  return {
    ...v1,
    schemaVersion: PROPOSAL_SCHEMA_VERSION,
    noticeClaim: null,
    retrainEvent:
      published === null
        ? null
        : { eventId: retrainEventId(String(v1.proposalId)), claimedAt: null, messageId: published.messageId, at: published.at },
  };
}

/** What a committed check still has to write (see `ModelState.pendingCheck` and service/check-model.ts). */
const pendingCheckSchema = z.object({
  checkId: z.string(),
  at: isoTime,
  /** The proposal the check opened (created with putIfAbsent, so finishing twice creates it once). */
  proposal: z.lazy(() => proposalV2Schema).nullable(),
  /** Decision-log lines with ids derived from the check, so an append finished twice is written once. */
  log: z.array(z.object({ entryId: z.string(), action: z.enum(LOG_ACTIONS), proposalId: z.string().optional(), evidence: z.record(z.string(), z.unknown()) })),
});
export type PendingCheck = z.infer<typeof pendingCheckSchema>;

/** A retrain proposal (`proposals/<modelId>/<proposalId>.json`); its status moves only by `transition` (proposal.ts). */
export const proposalSchema = z.preprocess(upgradeProposal, proposalV2Schema);
export type Proposal = z.infer<typeof proposalV2Schema>;

export type { CadenceChange, Forecast, HistoryPoint };

/** Result of `Lifecycle.ingest`. */
export type IngestOutcome =
  | { readonly status: 'stored'; readonly modelId: string; readonly signatureKey: string; readonly rows: number }
  | { readonly status: 'duplicate'; readonly modelId: string; readonly signatureKey: string }
  | { readonly status: 'ignored'; readonly key: string; readonly reason: string };

/** Result of `Lifecycle.check`. */
export type CheckOutcome =
  | { readonly status: 'no-reference'; readonly modelId: string }
  | {
      readonly status: 'no-data';
      readonly modelId: string;
      readonly nextCheckAt: string;
      readonly checkIntervalSeconds: number;
    }
  | {
      readonly status: 'checked';
      readonly modelId: string;
      readonly checkId: string;
      readonly verdict: HistoryPoint['verdict'];
      /** What the check asks people to do (none, watch, drift, data-quality). */
      readonly action: DriftResult['action'];
      readonly actionReason: string;
      /** The open data-quality incident after this check, and whether this check opened it. */
      readonly incident: { readonly incidentId: string; readonly opened: boolean } | null;
      readonly driftIndex: number;
      readonly score: number;
      readonly signatures: number;
      /** How many features this check found drifted (every one, not only the top ones a proposal lists). */
      readonly driftedFeatures: number;
      /** The drifted feature names, sorted (the same list a rejection's fingerprint remembers). */
      readonly driftedFeatureNames: readonly string[];
      readonly reportKeys: { readonly json: string; readonly html: string };
      readonly forecast: Forecast | null;
      /** Set when the interval changed. */
      readonly cadenceChange: CadenceChange | null;
      readonly checkIntervalSeconds: number;
      readonly nextCheckAt: string;
      /** Set when this check opened a proposal. */
      readonly proposal: ProposalOpened | null;
      /** Why no proposal was opened although drift was seen (active proposal, snooze, rejected evidence). */
      readonly suppressed: string | null;
    };

/** A proposal opened by a check and the fate of its notice. */
export interface ProposalOpened {
  readonly proposalId: string;
  readonly expiresAt: string;
  readonly triggers: readonly string[];
  /** The notifier's message id, or null when not sent yet (sent by the gate) or sending failed (retried by it). */
  readonly noticeMessageId: string | null;
  readonly noticeError?: string;
}

/** Result of `Lifecycle.decide`. */
export type DecideOutcome =
  | {
      readonly status: 'decided';
      readonly modelId: string;
      readonly proposalId: string;
      readonly action: DecisionAction;
      /** The RetrainRequested event's stable id (approve only): the same on every retry of its publish. */
      readonly eventId?: string;
      /** The RetrainRequested event's message id (approve only). */
      readonly retrainMessageId?: string;
      /** Approve only: the decision is recorded but publishing the event failed; checkDue republishes it. */
      readonly retrainPending?: { readonly error: string };
      readonly snoozedUntil?: string;
    }
  | { readonly status: 'already-decided'; readonly modelId: string; readonly proposalId: string; readonly proposalStatus: ProposalStatus };

/** Result of `Lifecycle.describeToken`: what a confirmation page shows. */
export interface TokenDescription {
  readonly modelId: string;
  readonly proposalId: string;
  readonly action: DecisionAction;
  readonly expiresAt: string;
  readonly consumed: boolean;
  readonly proposal: Proposal;
  /** The model's level, track record and next step (absent when the model has no state). */
  readonly autonomy?: AutonomyView;
}

/** Result of `Lifecycle.adopt` / `setReference`. */
export interface AdoptOutcome {
  /** `not-adopted`: the manifest reported a failed or rolled-back retrain; it was recorded as a lesson, the reference stays. */
  readonly status: 'adopted' | 'already-adopted' | 'not-adopted';
  readonly modelId: string;
  readonly version: string;
  readonly referenceKey: string;
  readonly rows: number;
  /** The proposal closed as `adopted`, if one was active. */
  readonly proposalId: string | null;
  readonly nextCheckAt: string;
}

/** What happened to a proposal during `checkDue` (expiry, veto, notice retry, a pending publish completed). */
export interface ProposalActivity {
  readonly proposalId: string;
  readonly action: 'expire' | 'veto-window-elapsed' | 'auto-approve' | 'owner-notice' | 'owner-notice-failed' | 'notice' | 'notice-failed' | 'retrain' | 'retrain-failed' | 'released' | 'incident-notice' | 'incident-notice-failed';
  readonly retrainMessageId?: string;
  readonly noticeMessageId?: string;
  readonly error?: string;
}

/** Result of `Lifecycle.checkDue`: one entry per model; one model's failure never stops the others. */
export interface CheckDueOutcome {
  readonly at: string;
  readonly models: readonly {
    readonly modelId: string;
    readonly proposals: readonly ProposalActivity[];
    readonly check?: CheckOutcome;
    readonly error?: string;
  }[];
}

/** Default number of history points / cadence changes kept in the state. */
export const HISTORY_LIMIT = 60;
