/**
 * Check handler: EventBridge Scheduler invokes it on the configured rate; each run checks only the
 * models that are due (and expires or notifies open proposals). A direct invocation with a `modelId`
 * checks that one model now. When any model fails, the handler throws after the others are done, so
 * Lambda retries (the models already checked are no longer due) and finally dead-letters the run.
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { DriftgateError } from '../core/errors.js';
import type { CheckDueOutcome, CheckOutcome } from '../core/lifecycle/types.js';
import { parseWith } from '../core/schema-parse.js';
import { METRIC, createTelemetry, recordCheck, recordFailure, type Telemetry } from '../service/logger.js';
import { SCHEDULE_SOURCE, SERVICE_NAME } from './env.js';
import { type Handler, type PortOrFactory, lambdaEntry, portOf, withTelemetry } from './lambda-entry.js';
import { awsCheck, clientsFromEnv, readFunctionEnv } from './runtime.js';

/** The use cases this handler needs. */
export interface CheckPort {
  checkDue(now: Date): Promise<CheckDueOutcome>;
  check(modelId: string, now: Date): Promise<CheckOutcome>;
}

/** What the check handler is built from. */
export interface CheckDeps {
  /** The use cases, built per invocation (the secret comes from its cache) or once. */
  readonly checks: PortOrFactory<CheckPort>;
  readonly telemetry: Telemetry;
  /**
   * The clock.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

/** The schedule's input: `{ source, scheduledTime, executionId }` (Scheduler context attributes). */
const scheduleEventSchema = z.looseObject({
  source: z.literal(SCHEDULE_SOURCE),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
  executionId: z.string().optional(),
});

/** A manual run for one model (`aws lambda invoke --payload '{"modelId":"fraud"}'`). */
const manualEventSchema = z.strictObject({ modelId: z.string().min(1) });

const checkEventSchema = z.union([scheduleEventSchema, manualEventSchema]);

/** What one invocation did. */
export type CheckRunResult =
  | { readonly kind: 'due'; readonly outcome: CheckDueOutcome }
  | { readonly kind: 'single'; readonly outcome: CheckOutcome };

/** One or more models failed during a run; the message lists them. */
export class CheckRunError extends DriftgateError {
  constructor(readonly failed: readonly { modelId: string; error: string }[]) {
    super(`check failed for ${failed.map((f) => `${f.modelId} (${f.error})`).join('; ')}`);
  }
}

/**
 * Build the scheduled check handler over injected dependencies.
 * @example
 * const handler = makeCheckHandler({ checks: lifecycle, telemetry: createTelemetry('driftgate-check') });
 * await handler({ source: 'driftgate.schedule', scheduledTime: '2026-01-01T00:00:00Z' });
 */
export function makeCheckHandler(deps: CheckDeps): Handler<CheckRunResult> {
  const clock = deps.clock ?? (() => new Date());
  const { logger, metrics } = deps.telemetry;
  return withTelemetry(deps.telemetry, async (event) => {
    const input = parseWith(checkEventSchema, event, 'check event');
    const checks = await portOf(deps.checks);
    const now = clock();
    if (!('source' in input)) {
      const outcome = await checks.check(input.modelId, now);
      logCheck(outcome);
      return { kind: 'single', outcome };
    }
    logger.info('scheduled run', { scheduledTime: input.scheduledTime, executionId: input.executionId, now: now.toISOString() });
    const outcome = await checks.checkDue(now);
    const failed: { modelId: string; error: string }[] = [];
    for (const model of outcome.models) {
      for (const event of model.proposals) {
        logger.info('proposal event', { modelId: model.modelId, ...event });
      }
      if (model.check !== undefined) logCheck(model.check);
      if (model.error !== undefined) {
        logger.error('model check failed', { modelId: model.modelId, error: model.error });
        recordFailure(metrics, METRIC.checkFailures);
        failed.push({ modelId: model.modelId, error: model.error });
      }
    }
    logger.info('run finished', { models: outcome.models.length, failed: failed.length });
    if (failed.length > 0) throw new CheckRunError(failed);
    return { kind: 'due', outcome };
  });

  function logCheck(outcome: CheckOutcome): void {
    recordCheck(metrics, outcome, outcome.status === 'checked' ? outcome.driftedFeatures : undefined);
    if (outcome.status !== 'checked') {
      logger.info('model not checked', { ...outcome });
      return;
    }
    logger.info('model checked', {
      modelId: outcome.modelId,
      checkId: outcome.checkId,
      verdict: outcome.verdict,
      score: outcome.score,
      driftIndex: outcome.driftIndex,
      signatures: outcome.signatures,
      driftedFeatures: outcome.driftedFeatureNames,
      nextCheckAt: outcome.nextCheckAt,
      cadenceChange: outcome.cadenceChange,
      proposal: outcome.proposal,
      suppressed: outcome.suppressed,
    });
  }
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<CheckRunResult> = lambdaEntry(() => {
  const env = readFunctionEnv('check', process.env);
  const clients = clientsFromEnv(process.env);
  const telemetry = createTelemetry(SERVICE_NAME.check);
  return makeCheckHandler({ checks: awsCheck({ env, clients, log: (entry) => telemetry.logger.debug('use case', entry) }), telemetry });
});
