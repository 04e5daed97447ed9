/**
 * Gate handler: the only scheduled function that holds the link-signing key and may publish a retrain
 * event. S3 invokes it when a proposal is written (`proposals/` ObjectCreated), so a new proposal's
 * notice goes out at once; its own schedule runs veto windows, expiries and retries of a failed notice or
 * publish. Each run tends the active proposals of the models named (all of them on the schedule); every
 * step is a conditional transition, so overlapping invocations do each thing once. When any model
 * fails, the handler throws after the others are done, so Lambda retries and finally dead-letters it.
 */
import { z } from 'zod';
import { GATE_SCHEDULE_SOURCE, KEY_PREFIX, SERVICE_NAME } from '../core/constants.js';
import { DriftgateError } from '../core/errors.js';
import type { CheckDueOutcome } from '../core/lifecycle/types.js';
import { parseWith } from '../core/schema-parse.js';
import { METRIC, createTelemetry, recordFailure, type Telemetry } from '../service/logger.js';
import type { TendProposals } from '../service/run-due-checks.js';
import { type Handler, type PortOrFactory, lambdaEntry, portOf, withTelemetry } from './lambda-entry.js';
import { awsGate, clientsFromEnv, readFunctionEnv } from './runtime.js';
import { objectsOf, s3NotificationSchema, s3TestEventSchema } from './s3-event.js';

/** The use case this handler needs. */
export interface GatePort {
  readonly tend: TendProposals;
}

/** What the gate handler is built from. */
export interface GateDeps {
  /** The use case, built per invocation (the secret comes from its cache) or once. */
  readonly gate: PortOrFactory<GatePort>;
  readonly telemetry: Telemetry;
  /**
   * The clock.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

const scheduleEventSchema = z.looseObject({
  source: z.literal(GATE_SCHEDULE_SOURCE),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
  executionId: z.string().optional(),
});

/** A manual run for one model (`aws lambda invoke --payload '{"modelId":"fraud"}'`). */
const manualEventSchema = z.strictObject({ modelId: z.string().min(1) });

const runEventSchema = z.union([scheduleEventSchema, manualEventSchema]);

/** One or more models failed during a run; the message lists them. */
export class GateRunError extends DriftgateError {
  constructor(readonly failed: readonly { modelId: string; error: string }[]) {
    super(`gate failed for ${failed.map((f) => `${f.modelId} (${f.error})`).join('; ')}`);
  }
}

/** The models a proposal notification names (`proposals/<modelId>/<proposalId>.json`). */
function modelsNamed(event: z.infer<typeof s3NotificationSchema>): string[] {
  const ids = objectsOf(event)
    .filter((o) => o.eventName.startsWith('ObjectCreated:') && o.key.startsWith(KEY_PREFIX.proposals))
    .map((o) => o.key.slice(KEY_PREFIX.proposals.length).split('/')[0])
    .filter((id) => id !== '');
  return [...new Set(ids)];
}

/**
 * Build the gate handler over injected dependencies.
 * @example
 * const handler = makeGateHandler({ gate: { tend }, telemetry: createTelemetry('driftgate-gate') });
 * await handler({ source: 'driftgate.gate' });
 */
export function makeGateHandler(deps: GateDeps): Handler<CheckDueOutcome> {
  const clock = deps.clock ?? (() => new Date());
  const { logger, metrics } = deps.telemetry;
  return withTelemetry(deps.telemetry, async (event) => {
    const now = clock();
    if (s3TestEventSchema.safeParse(event).success) {
      logger.info('ignored the S3 test event');
      return { at: now.toISOString(), models: [] };
    }
    const notification = s3NotificationSchema.safeParse(event);
    let modelIds: string[] | undefined;
    if (notification.success) modelIds = modelsNamed(notification.data);
    else {
      const input = parseWith(runEventSchema, event, 'gate event');
      const manual = manualEventSchema.safeParse(input);
      modelIds = manual.success ? [manual.data.modelId] : undefined;
    }
    if (modelIds !== undefined && modelIds.length === 0) return { at: now.toISOString(), models: [] };
    const { tend } = await portOf(deps.gate);
    const outcome = await tend(now, modelIds);
    const failed: { modelId: string; error: string }[] = [];
    for (const model of outcome.models) {
      for (const activity of model.proposals) logger.info('proposal event', { modelId: model.modelId, ...activity });
      if (model.error !== undefined) {
        logger.error('model gate failed', { modelId: model.modelId, error: model.error });
        recordFailure(metrics, METRIC.checkFailures);
        failed.push({ modelId: model.modelId, error: model.error });
      }
    }
    logger.info('gate run finished', { models: outcome.models.length, failed: failed.length });
    if (failed.length > 0) throw new GateRunError(failed);
    return outcome;
  });
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<CheckDueOutcome> = lambdaEntry(() => {
  const env = readFunctionEnv('gate', process.env);
  const clients = clientsFromEnv(process.env);
  const telemetry = createTelemetry(SERVICE_NAME.gate);
  return makeGateHandler({ gate: () => awsGate({ env, clients, log: (entry) => telemetry.logger.debug('use case', entry) }), telemetry });
});
