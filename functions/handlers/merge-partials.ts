/**
 * Scale-out merge step (lib/scale-out.ts): one group of one level of the tree merge — partials [start, end)
 * of a level folded one at a time into one partial of the next level, written once.
 */
import { createS3Client, endpointFromEnv } from '../adapters/aws-clients.js';
import { SERVICE_NAME } from '../core/constants.js';
import { parseWith } from '../core/schema-parse.js';
import { createTelemetry, type Telemetry } from '../service/logger.js';
import { mergeGroupSchema, type ScaleOut } from '../service/scale-out.js';
import { type Handler, lambdaEntry, withTelemetry } from './lambda-entry.js';
import { awsScaleOut, readFunctionEnv } from './runtime.js';

/**
 * Build the merge handler.
 * @example
 * const handler = makeMergePartialsHandler({ steps, telemetry: createTelemetry('driftgate-merge-partials') });
 * await handler({ jobId, level: 0, index: 0, start: 0, end: 64 });
 */
export function makeMergePartialsHandler(deps: { readonly steps: Pick<ScaleOut, 'mergeGroup'>; readonly telemetry: Telemetry }): Handler<{ readonly status: 'stored' | 'existing' }> {
  return withTelemetry(deps.telemetry, async (event) => {
    const group = parseWith(mergeGroupSchema, event, 'scale-out merge group');
    const { status } = await deps.steps.mergeGroup(group);
    deps.telemetry.logger.info('partials merged', { ...group, status });
    return { status };
  });
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<{ readonly status: 'stored' | 'existing' }> = lambdaEntry(() => {
  const env = readFunctionEnv('merge-partials', process.env);
  const telemetry = createTelemetry(SERVICE_NAME['merge-partials']);
  const steps = awsScaleOut({ env, clients: { s3: createS3Client({ endpoint: endpointFromEnv(process.env) }) }, log: (entry) => telemetry.logger.debug('use case', entry) });
  return makeMergePartialsHandler({ steps, telemetry });
});
