/**
 * Scale-out plan step (the state machine's first state, lib/scale-out.ts): the execution input names a job
 * (an adoption manifest, or one large batch); this reads the files' footers, writes the manifest of work
 * items the Distributed Map reads, and returns the merge levels. Re-running it writes the same bytes.
 */
import { createS3Client, endpointFromEnv } from '../adapters/aws-clients.js';
import { SERVICE_NAME } from '../core/constants.js';
import { parseWith } from '../core/schema-parse.js';
import { createTelemetry, type Telemetry } from '../service/logger.js';
import { scaleOutJobSchema, type ScaleOut, type ScalePlan } from '../service/scale-out.js';
import { type Handler, lambdaEntry, withTelemetry } from './lambda-entry.js';
import { awsScaleOut, readFunctionEnv, readScalePlanEnv } from './runtime.js';

/**
 * Build the plan handler.
 * @example
 * const handler = makeScalePlanHandler({ steps, telemetry: createTelemetry('driftgate-scale-plan') });
 * const plan = await handler({ kind: 'ingest', modelId: 'fraud', key: 'batches/fraud/huge.parquet', etag: '"e"' });
 */
export function makeScalePlanHandler(deps: { readonly steps: Pick<ScaleOut, 'plan'>; readonly telemetry: Telemetry }): Handler<ScalePlan> {
  return withTelemetry(deps.telemetry, async (event) => {
    const plan = await deps.steps.plan(parseWith(scaleOutJobSchema, event, 'scale-out job (execution input)'));
    deps.telemetry.logger.info('scale-out planned', { jobId: plan.jobId, items: plan.itemCount, levels: plan.levels.length });
    return plan;
  });
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<ScalePlan> = lambdaEntry(() => {
  const env = readFunctionEnv('scale-plan', process.env);
  const telemetry = createTelemetry(SERVICE_NAME['scale-plan']);
  const steps = awsScaleOut({ env, clients: { s3: createS3Client({ endpoint: endpointFromEnv(process.env) }) }, plan: readScalePlanEnv(process.env), log: (entry) => telemetry.logger.debug('use case', entry) });
  return makeScalePlanHandler({ steps, telemetry });
});
