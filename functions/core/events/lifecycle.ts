/**
 * The lifecycle events driftgate publishes (EventBridge `detail`, and the RetrainRequested SNS message):
 * one zod schema per event, the TypeScript types derived from them, and the one mapping from a decision-log
 * entry to its event. The JSON Schema files under `schemas/` are generated from these schemas
 * (`npx tsx schemas/generate.ts`; test/core/events.test.ts fails when they differ).
 *
 * Compatibility: every object is a loose object (its JSON Schema allows other properties), so a new optional
 * field is additive: it keeps `schemaVersion: 1` and the `.v1` detail-type, and consumers validating with
 * the committed schema keep accepting the events. Removing or retyping a field is a new version.
 *
 * Event ids are derived from the lifecycle fact (the proposal, the decision and its time, the reference
 * version, the incident), never drawn at random: a write retried after a lost answer, or an event published
 * again, carries the same `eventId`, so consumers deduplicate on it.
 */
import { recommendedTrainingRowsSchema, trainingWindowSchema } from '../learning/retrain-hint.js';
import { z } from 'zod';
import { DETAIL_TYPE } from '../constants.js';
import type { DecisionLogEntry } from '../lifecycle/types.js';
import { parseWith } from '../schema-parse.js';

/** The event types, each with its versioned EventBridge detail-type. */
export type LifecycleEventType = keyof typeof DETAIL_TYPE;

const isoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 time');
const schemaVersion = z.literal(1).describe('1 for every .v1 detail-type; new optional fields keep it');

/** The fields every event carries. */
function envelope<T extends LifecycleEventType>(type: T) {
  return {
    type: z.literal(type),
    schemaVersion,
    eventId: z.string().min(1).describe('Stable id of this lifecycle fact: the same on every retry; deduplicate on it'),
    modelId: z.string().min(1),
    at: isoTime.describe('When the fact happened'),
  };
}

const driftedFeature = z.looseObject({ name: z.string(), score: z.number(), threshold: z.number() });

/**
 * The RetrainRequested schema's `major.minor` version, carried by every new event as `schemaRevision`.
 * 1.0 (no `schemaRevision`): the fields of wave 1. 1.1: `schemaRevision` itself, `recommendedTrainingRows`
 * and `trainingWindow`. A minor bump only adds optional fields, so a 1.0 event validates against the 1.1
 * schema; the major stays `schemaVersion: 1` and the `.v1` detail-type.
 */
export const RETRAIN_REQUESTED_REVISION = '1.1';

/** A retraining request: one per approved (or veto-window-elapsed) proposal. */
export const retrainRequestedSchema = z
  .looseObject({
    ...envelope('RetrainRequested'),
    schemaRevision: z
      .string()
      .regex(/^1\.\d+$/)
      .optional()
      .describe(`The schema's major.minor version ("${RETRAIN_REQUESTED_REVISION}" now); absent in 1.0 events. Any 1.x is accepted: minor versions only add optional fields`),
    proposalId: z.string().min(1),
    reason: z.string().describe('`approved`, `veto-window-elapsed` or `auto` (a model that earned that level)'),
    decidedBy: z.string().describe('Who approved (from the decision request), or `driftgate` when a veto window elapsed'),
    evidence: z.looseObject({
      driftedFeatures: z.array(driftedFeature),
      reportKey: z.string().optional(),
    }),
    recommendedTrainingRows: recommendedTrainingRowsSchema
      .optional()
      .describe('How many training rows the next retrain needs, from the last reported learning curve, or why there is no hint (absent in events before wave 2)'),
    trainingWindow: trainingWindowSchema
      .optional()
      .describe('Which batches to train on: those since the drift onset, plus older ones to blend in (absent in events before wave 2)'),
  })
  .meta({
    title: 'driftgate.RetrainRequested.v1',
    description: `An approved proposal asks for its model to be retrained (exactly one per approval). Schema version ${RETRAIN_REQUESTED_REVISION}: backward compatible with 1.0 (events without schemaRevision).`,
    version: RETRAIN_REQUESTED_REVISION,
  });

/** A drift check opened a proposal to retrain (it now awaits a human decision). */
export const proposalOpenedSchema = z
  .looseObject({
    ...envelope('ProposalOpened'),
    proposalId: z.string().min(1),
    driftIndex: z.number().describe('The dataset drift index of the check that opened it'),
    driftedFeatures: z.array(driftedFeature),
    retrainBy: isoTime.nullable().describe('When the forecast says the model should be retrained by, if known'),
    reportKey: z.string().optional(),
  })
  .meta({ title: 'driftgate.ProposalOpened.v1', description: 'A drift check opened a retrain proposal, which awaits a decision.' });

/** The decisions a proposal can take: a person's (approve, reject, snooze) or the clock's. */
export const DECISIONS = ['approve', 'reject', 'snooze', 'veto-window-elapsed', 'expire'] as const;

/** A proposal was decided: approved, rejected, snoozed, approved by an elapsed veto window, or expired. */
export const decisionTakenSchema = z
  .looseObject({
    ...envelope('DecisionTaken'),
    proposalId: z.string().min(1),
    decision: z.enum(DECISIONS),
    decidedBy: z.string().describe('Who decided (from the decision request), or `driftgate` for the clock'),
    reason: z.string().optional().describe('The reason the person gave, if any'),
    snoozeUntil: isoTime.optional(),
  })
  .meta({ title: 'driftgate.DecisionTaken.v1', description: 'A retrain proposal was decided.' });

/** A model's reference was set (first baseline) or adopted (a retrained model's training data). */
export const referenceAdoptedSchema = z
  .looseObject({
    ...envelope('ReferenceAdopted'),
    version: z.string().min(1),
    referenceKey: z.string(),
    rows: z.number().int().nonnegative(),
    origin: z.enum(['adopt', 'set-reference']).describe('`adopt`: a retrained model reported; `set-reference`: a baseline set'),
    proposalId: z.string().optional().describe('The proposal the adoption closed, if any'),
  })
  .meta({ title: 'driftgate.ReferenceAdopted.v1', description: 'A new reference signature is in force for the model.' });

/** A check found a data-quality problem (missing columns, null surges, …) and opened an incident. */
export const dataQualityIncidentOpenedSchema = z
  .looseObject({
    ...envelope('DataQualityIncidentOpened'),
    incidentId: z.string().min(1),
    reason: z.string(),
    kinds: z.array(z.string()),
    reportKey: z.string().optional(),
  })
  .meta({ title: 'driftgate.DataQualityIncidentOpened.v1', description: 'A data-quality incident was opened for the model.' });

/** A later check found the data clean again and closed the incident. */
export const dataQualityIncidentClosedSchema = z
  .looseObject({
    ...envelope('DataQualityIncidentClosed'),
    incidentId: z.string().min(1),
    openedAt: isoTime,
  })
  .meta({ title: 'driftgate.DataQualityIncidentClosed.v1', description: 'A data-quality incident of the model was closed.' });

/** Every event's schema, by type. */
export const LIFECYCLE_SCHEMAS = {
  RetrainRequested: retrainRequestedSchema,
  ProposalOpened: proposalOpenedSchema,
  DecisionTaken: decisionTakenSchema,
  ReferenceAdopted: referenceAdoptedSchema,
  DataQualityIncidentOpened: dataQualityIncidentOpenedSchema,
  DataQualityIncidentClosed: dataQualityIncidentClosedSchema,
} as const satisfies Record<LifecycleEventType, z.ZodType>;

export type RetrainRequested = z.infer<typeof retrainRequestedSchema>;
export type ProposalOpened = z.infer<typeof proposalOpenedSchema>;
export type DecisionTaken = z.infer<typeof decisionTakenSchema>;
export type ReferenceAdopted = z.infer<typeof referenceAdoptedSchema>;
export type DataQualityIncidentOpened = z.infer<typeof dataQualityIncidentOpenedSchema>;
export type DataQualityIncidentClosed = z.infer<typeof dataQualityIncidentClosedSchema>;
/** Any lifecycle event. */
export type LifecycleEvent = RetrainRequested | ProposalOpened | DecisionTaken | ReferenceAdopted | DataQualityIncidentOpened | DataQualityIncidentClosed;

/** The JSON Schema (draft 2020-12) of one event, as committed under `schemas/`. */
export function lifecycleJsonSchema(type: LifecycleEventType): Record<string, unknown> {
  return z.toJSONSchema(LIFECYCLE_SCHEMAS[type]) as Record<string, unknown>;
}

/** The committed file of one event's JSON Schema, relative to the repository root. */
export function lifecycleSchemaFile(type: LifecycleEventType): string {
  return `schemas/${DETAIL_TYPE[type]}.json`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The lifecycle event a decision-log entry records, or null for entries that are not lifecycle facts
 * (checks, notices, cadence changes; `retrain` is published by the retrain publisher under its claim).
 * @example
 * const event = lifecycleEventOf({ at, modelId, actor: 'driftgate', action: 'incident-closed', evidence: { incidentId, openedAt } });
 */
export function lifecycleEventOf(entry: DecisionLogEntry): Exclude<LifecycleEvent, RetrainRequested> | null {
  const { at, modelId, evidence: e } = entry;
  const proposalId = entry.proposalId;
  const source = `the ${entry.action} entry of model ${modelId}'s decision log`;
  switch (entry.action) {
    case 'propose': {
      if (!proposalId) return null;
      return parseWith(proposalOpenedSchema, {
        type: 'ProposalOpened',
        schemaVersion: 1,
        eventId: `proposal-opened-${proposalId}`,
        modelId,
        at,
        proposalId,
        driftIndex: e.driftIndex,
        driftedFeatures: Array.isArray(e.driftedFeatures)
          ? (e.driftedFeatures as { name: string; score: number; threshold: number }[]).map((f) => ({ name: f.name, score: f.score, threshold: f.threshold }))
          : [],
        retrainBy: str(e.retrainBy) ?? null,
        ...(str(e.reportKey) ? { reportKey: str(e.reportKey) } : {}),
      }, source);
    }
    case 'approve':
    case 'reject':
    case 'snooze':
    case 'veto-window-elapsed':
    case 'expire': {
      if (!proposalId) return null;
      // A proposal is decided once, except snoozes (one per snooze): the time tells them apart.
      return parseWith(decisionTakenSchema, {
        type: 'DecisionTaken',
        schemaVersion: 1,
        eventId: `decision-${proposalId}-${entry.action}-${at}`,
        modelId,
        at,
        proposalId,
        decision: entry.action,
        decidedBy: entry.actor,
        ...(str(e.reason) ? { reason: str(e.reason) } : {}),
        ...(str(e.snoozeUntil) ? { snoozeUntil: str(e.snoozeUntil) } : {}),
      }, source);
    }
    case 'adopt':
    case 'set-reference':
      return parseWith(referenceAdoptedSchema, {
        type: 'ReferenceAdopted',
        schemaVersion: 1,
        eventId: `reference-adopted-${modelId}-${String(e.version)}`,
        modelId,
        at,
        version: e.version,
        referenceKey: e.referenceKey,
        rows: e.rows,
        origin: entry.action,
        ...(proposalId ? { proposalId } : {}),
      }, source);
    case 'incident-opened':
      return parseWith(dataQualityIncidentOpenedSchema, {
        type: 'DataQualityIncidentOpened',
        schemaVersion: 1,
        eventId: `incident-opened-${modelId}-${String(e.incidentId)}`,
        modelId,
        at,
        incidentId: e.incidentId,
        reason: e.reason,
        kinds: e.kinds,
        ...(str(e.reportKey) ? { reportKey: str(e.reportKey) } : {}),
      }, source);
    case 'incident-closed':
      return parseWith(dataQualityIncidentClosedSchema, {
        type: 'DataQualityIncidentClosed',
        schemaVersion: 1,
        eventId: `incident-closed-${modelId}-${String(e.incidentId)}`,
        modelId,
        at,
        incidentId: e.incidentId,
        openedAt: e.openedAt,
      }, source);
    default:
      return null;
  }
}
