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
import { awsLifecycle, clientsFromEnv, readFunctionEnv } from './runtime.js';

/** The lifecycle operations this handler needs. */
export interface CheckPort {
  checkDue(now: Date): Promise<CheckDueOutcome>;
  check(modelId: string, now: Date): Promise<CheckOutcome>;
}

/** What the check handler is built from. */
export interface CheckDeps {
  readonly lifecycle: CheckPort | (() => Promise<CheckPort>);
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
 * const handler = makeCheckHandler({ lifecycle, telemetry: createTelemetry('driftgate-check') });
 * await handler({ source: 'driftgate.schedule', scheduledTime: '2026-01-01T00:00:00Z' });
 */
export function makeCheckHandler(deps: CheckDeps): (event: unknown, context?: Context) => Promise<CheckRunResult> {
  const clock = deps.clock ?? (() => new Date());
  const { logger, metrics } = deps.telemetry;
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    const input = parseWith(checkEventSchema, event, 'check event');
    const lifecycle = typeof deps.lifecycle === 'function' ? await deps.lifecycle() : deps.lifecycle;
    const now = clock();
    try {
      if (!('source' in input)) {
        const outcome = await lifecycle.check(input.modelId, now);
        logCheck(outcome);
        return { kind: 'single', outcome };
      }
      logger.info('scheduled run', { scheduledTime: input.scheduledTime, executionId: input.executionId, now: now.toISOString() });
      const outcome = await lifecycle.checkDue(now);
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
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };

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

let defaultHandler: ((event: unknown, context?: Context) => Promise<CheckRunResult>) | undefined;

/** The Lambda entry point, wired from the environment on first use. */
export async function handler(event: unknown, context?: Context): Promise<CheckRunResult> {
  if (defaultHandler === undefined) {
    const env = readFunctionEnv('check', process.env);
    const clients = clientsFromEnv(process.env);
    const telemetry = createTelemetry(SERVICE_NAME.check);
    defaultHandler = makeCheckHandler({
      lifecycle: () => awsLifecycle('check', { env, clients, log: (entry) => telemetry.logger.debug('lifecycle', entry) }),
      telemetry,
    });
  }
  return defaultHandler(event, context);
}
