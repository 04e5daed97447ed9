import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// ajv is installed with asl-validator; it checks the committed JSON Schema files as a consumer would.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { DETAIL_TYPE } from '../../functions/core/constants.js';
import { LIFECYCLE_SCHEMAS, RETRAIN_REQUESTED_REVISION, type LifecycleEventType, lifecycleEventOf, lifecycleSchemaFile } from '../../functions/core/events/lifecycle.js';
import { CHANGE_POINT_METHOD } from '../../functions/core/learning/change-point.js';
import { retrainEventOf } from '../../functions/core/lifecycle/proposal.js';
import type { DecisionLogEntry } from '../../functions/core/lifecycle/types.js';
import { schemaFileText } from '../../schemas/generate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TYPES = Object.keys(LIFECYCLE_SCHEMAS) as LifecycleEventType[];
const at = '2026-01-16T10:00:00.000Z';

/** A validator per committed schema file. */
function committedValidators(): Map<LifecycleEventType, (value: unknown) => boolean> {
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
  (addFormats as unknown as typeof addFormats.default)(ajv);
  return new Map(TYPES.map((type) => [type, ajv.compile(JSON.parse(readFileSync(join(root, lifecycleSchemaFile(type)), 'utf8')) as object)]));
}

const entries: [string, DecisionLogEntry, LifecycleEventType, string][] = [
  [
    'propose',
    { at, modelId: 'fraud', actor: 'driftgate', action: 'propose', proposalId: 'p1', evidence: { verdict: 'drift', driftIndex: 0.4, triggers: ['amount'], driftedFeatures: [{ name: 'amount', score: 0.2, threshold: 0.1, test: 'psi', severity: 2 }], forecast: null, retrainBy: null, reportKey: 'reports/fraud/r.html' } },
    'ProposalOpened',
    'proposal-opened-p1',
  ],
  ['approve', { at, modelId: 'fraud', actor: 'ana@example.com', action: 'approve', proposalId: 'p1', evidence: { fingerprint: 'amount', driftIndex: 0.4, client: '10.0.0.1' } }, 'DecisionTaken', `decision-p1-approve-${at}`],
  ['snooze', { at, modelId: 'fraud', actor: 'ana@example.com', action: 'snooze', proposalId: 'p1', evidence: { fingerprint: 'amount', snoozeUntil: '2026-01-20T10:00:00.000Z', reason: 'holiday' } }, 'DecisionTaken', `decision-p1-snooze-${at}`],
  ['expire', { at, modelId: 'fraud', actor: 'driftgate', action: 'expire', proposalId: 'p1', evidence: { expiresAt: at, noticeDelivered: true } }, 'DecisionTaken', `decision-p1-expire-${at}`],
  ['adopt', { at, modelId: 'fraud', actor: 'driftgate', action: 'adopt', proposalId: 'p1', evidence: { version: 'v2', referenceKey: 'references/fraud/v2.json', trainingData: ['training/a.parquet'], rows: 1200 } }, 'ReferenceAdopted', 'reference-adopted-fraud-v2'],
  ['set-reference', { at, modelId: 'fraud', actor: 'driftgate', action: 'set-reference', evidence: { version: 'v1', referenceKey: 'references/fraud/v1.json', trainingData: [], rows: 10 } }, 'ReferenceAdopted', 'reference-adopted-fraud-v1'],
  ['incident-opened', { at, modelId: 'fraud', actor: 'driftgate', action: 'incident-opened', evidence: { incidentId: 'i1', reason: 'column amount is missing', kinds: ['missing-column'], reportKey: 'reports/fraud/r.html' } }, 'DataQualityIncidentOpened', 'incident-opened-fraud-i1'],
  ['incident-closed', { at, modelId: 'fraud', actor: 'driftgate', action: 'incident-closed', evidence: { incidentId: 'i1', openedAt: at, closedBy: 'c2' } }, 'DataQualityIncidentClosed', 'incident-closed-fraud-i1'],
];

describe('Function: lifecycleJsonSchema (the committed schemas/ files)', () => {
  it.each(TYPES)('commits schemas/ %s as generated from its zod schema (npx tsx schemas/generate.ts)', (type) => {
    // Prepare
    const file = join(root, lifecycleSchemaFile(type));

    // Act
    const committed = readFileSync(file, 'utf8');

    // Assess
    expect(lifecycleSchemaFile(type)).toBe(`schemas/${DETAIL_TYPE[type]}.json`);
    expect(committed).toBe(schemaFileText(type));
  });

  it('lets a consumer of a .v1 schema accept an event with a field added later (additive compatibility)', () => {
    // Prepare
    const validate = committedValidators().get('RetrainRequested')!;
    const event = { ...retrainEventOf(proposalFixture(), at), addedInSomeLaterVersion: 5000 };

    // Act
    const valid = validate(event);

    // Assess
    expect(valid).toBe(true);
    expect(LIFECYCLE_SCHEMAS.RetrainRequested.safeParse(event).success).toBe(true);
    expect(validate({ ...event, schemaVersion: 2 })).toBe(false);
    expect(validate({ ...event, eventId: undefined })).toBe(false);
  });
});

describe('Function: lifecycleEventOf', () => {
  it.each(entries)('maps a %s log entry to its event, with an id derived from the fact, valid against both schemas', (_action, entry, type, eventId) => {
    // Prepare
    const validators = committedValidators();

    // Act
    const event = lifecycleEventOf(entry);
    const again = lifecycleEventOf({ ...entry, entryId: 'another-append-of-the-same-fact' });

    // Assess
    expect(event?.type).toBe(type);
    expect(event?.eventId).toBe(eventId);
    expect(again).toEqual(event);
    expect(LIFECYCLE_SCHEMAS[type].safeParse(event).success).toBe(true);
    expect(validators.get(type)!(event)).toBe(true);
    // Client addresses stay in the decision log, never on the bus.
    expect(JSON.stringify(event)).not.toContain('10.0.0.1');
  });

  it.each(['check', 'check-failed', 'cadence', 'notice', 'notice-failed', 'incident-notice', 'retrain'] as const)('maps a %s entry to no event', (action) => {
    // Act
    const event = lifecycleEventOf({ at, modelId: 'fraud', actor: 'driftgate', action, proposalId: 'p1', evidence: {} });

    // Assess
    expect(event).toBeNull();
  });

  it('refuses an entry whose evidence lacks a field of its event, naming the entry and the field', () => {
    // Act
    const attempt = (): unknown => lifecycleEventOf({ at, modelId: 'fraud', actor: 'driftgate', action: 'incident-closed', evidence: { incidentId: 'i1' } });

    // Assess
    expect(attempt).toThrow(/incident-closed entry of model fraud's decision log.*\n.*openedAt/s);
  });

  it('builds the RetrainRequested of an approved proposal valid against the committed schema', () => {
    // Act
    const event = retrainEventOf(proposalFixture(), at);

    // Assess
    expect(committedValidators().get('RetrainRequested')!(event)).toBe(true);
    expect(event).toMatchObject({ type: 'RetrainRequested', schemaVersion: 1, eventId: 'retrain-p1' });
  });
});

describe('Function: the RetrainRequested schema version (1.0 → 1.1)', () => {
  /** A v1.0 event exactly as wave 1 published it (the README's sample then): no schemaRevision, no hints. */
  const v10 = {
    type: 'RetrainRequested',
    schemaVersion: 1,
    eventId: 'retrain-20260116T080000Z-d6654e93e2',
    modelId: 'fraud',
    proposalId: '20260116T080000Z-d6654e93e2',
    reason: 'approved',
    at: '2026-01-16T10:00:00.000Z',
    decidedBy: 'demo-user@example.com',
    evidence: { driftedFeatures: [{ name: 'amount', score: 0.167, threshold: 0.1 }], reportKey: 'reports/fraud/20260116T080000Z-8cf0d20b.html' },
  };

  it('still validates an old v1.0 event against the new committed schema and the zod schema', () => {
    // Prepare
    const validate = committedValidators().get('RetrainRequested')!;
    const committed = JSON.parse(readFileSync(join(root, lifecycleSchemaFile('RetrainRequested')), 'utf8')) as { version?: string; title?: string };

    // Act
    const valid = validate(v10);

    // Assess
    expect(committed.version).toBe('1.1');
    expect(committed.title).toBe('driftgate.RetrainRequested.v1');
    expect(valid).toBe(true);
    expect(LIFECYCLE_SCHEMAS.RetrainRequested.safeParse(v10).success).toBe(true);
  });

  it('stamps a new event "1.1", with its hints, valid against the new schema; accepts a later 1.x, refuses 2.x', () => {
    // Prepare
    const validate = committedValidators().get('RetrainRequested')!;
    const hint = {
      recommendedTrainingRows: { status: 'omitted', reason: 'too-few-points', message: 'only 3 points', fromVersion: 'v2' },
      trainingWindow: { method: CHANGE_POINT_METHOD, onset: null, reason: 'no onset found', batches: [{ key: 'uploads/fraud/a.parquet', rows: 10 }], rows: 10, blend: [], blendRows: 0, shortBy: 0, truncated: false },
    };

    // Act
    const event = retrainEventOf({ ...proposalFixture(), hint } as Parameters<typeof retrainEventOf>[0], at);

    // Assess
    expect(RETRAIN_REQUESTED_REVISION).toBe('1.1');
    expect(event.schemaRevision).toBe('1.1');
    expect(event.schemaVersion).toBe(1);
    expect(event.trainingWindow?.batches).toHaveLength(1);
    expect(validate(event)).toBe(true);
    expect(LIFECYCLE_SCHEMAS.RetrainRequested.safeParse(event).success).toBe(true);
    expect(validate({ ...event, schemaRevision: '1.7' })).toBe(true);
    expect(validate({ ...event, schemaRevision: '2.0' })).toBe(false);
    expect(validate({ ...event, trainingWindow: { ...hint.trainingWindow, rows: -1 } })).toBe(false);
  });
});

/** An approved proposal, enough for retrainEventOf. */
function proposalFixture(): Parameters<typeof retrainEventOf>[0] {
  return {
    modelId: 'fraud',
    proposalId: 'p1',
    reasons: { verdict: 'drift', driftIndex: 0.4, triggers: [], driftedFeatures: [{ name: 'amount', score: 0.2, threshold: 0.1 }], forecast: null, retrainBy: null },
    reportKey: 'reports/fraud/r.html',
    decision: { action: 'approve', actor: 'ana@example.com' },
    retrainEvent: { eventId: 'retrain-p1' },
  } as unknown as Parameters<typeof retrainEventOf>[0];
}
