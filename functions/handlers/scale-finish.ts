/**
 * Scale-out finish step (lib/scale-out.ts): the merged signature becomes the model's reference (adoption:
 * installReference, as the adopt function does) or the batch's signature (ingest: the same key the ingest
 * function would use). A partial that failed fails the execution here with InvalidInputError naming its
 * file, before anything is installed. Re-running it stores nothing new.
 */
import { createEventBridgeClient, createS3Client, endpointFromEnv } from '../adapters/aws-clients.js';
import { SERVICE_NAME } from '../core/constants.js';
import type { AdoptOutcome, IngestOutcome } from '../core/lifecycle/types.js';
import { parseWith } from '../core/schema-parse.js';
import { createTelemetry, type Telemetry } from '../service/logger.js';
import { finishInputSchema, type ScaleOut } from '../service/scale-out.js';
import { type Handler, lambdaEntry, withTelemetry } from './lambda-entry.js';
import { awsScaleOut, readFunctionEnv } from './runtime.js';

/**
 * Build the finish handler.
 * @example
 * const handler = makeScaleFinishHandler({ steps, telemetry: createTelemetry('driftgate-scale-finish') });
 * await handler({ jobId, finalLevel: 2 });
 */
export function makeScaleFinishHandler(deps: { readonly steps: Pick<ScaleOut, 'finish'>; readonly telemetry: Telemetry; readonly clock?: () => Date }): Handler<AdoptOutcome | IngestOutcome> {
  const clock = deps.clock ?? (() => new Date());
  const { logger } = deps.telemetry;
  return withTelemetry(deps.telemetry, async (event) => {
    const input = parseWith(finishInputSchema, event, 'scale-out finish input');
    try {
      const outcome = await deps.steps.finish({ jobId: input.jobId, finalLevel: input.finalLevel }, clock());
      logger.info('scale-out finished', { jobId: input.jobId, ...outcome });
      return outcome;
    } catch (error) {
      // One line naming the job and why; the execution fails with this error (its name and message).
      logger.error(`scale-out job ${input.jobId} failed: ${error instanceof Error ? error.message : String(error)}`, { jobId: input.jobId });
      throw error;
    }
  });
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<AdoptOutcome | IngestOutcome> = lambdaEntry(() => {
  const env = readFunctionEnv('scale-finish', process.env);
  const telemetry = createTelemetry(SERVICE_NAME['scale-finish']);
  const endpoint = endpointFromEnv(process.env);
  const clients = { s3: createS3Client({ endpoint }), ...(env.eventBusName !== undefined ? { events: createEventBridgeClient({ endpoint }) } : {}) };
  const steps = awsScaleOut({ env, clients, log: (entry) => telemetry.logger.debug('use case', entry) });
  return makeScaleFinishHandler({ steps, telemetry });
});
