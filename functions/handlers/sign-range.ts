/**
 * Scale-out sign step (one Distributed Map child per work item, lib/scale-out.ts): signs units [start, end)
 * of one file and stores the partial signature under the item's key. An unreadable file is stored as a
 * failure naming it (the finish step reports it); a transient failure throws, for the state's retries.
 */
import { createS3Client, endpointFromEnv } from '../adapters/aws-clients.js';
import { SERVICE_NAME } from '../core/constants.js';
import { parseWith } from '../core/schema-parse.js';
import { createTelemetry, type Telemetry } from '../service/logger.js';
import { scaleOutItemSchema, type ScaleOut } from '../service/scale-out.js';
import { type Handler, lambdaEntry, withTelemetry } from './lambda-entry.js';
import { awsScaleOut, readFunctionEnv } from './runtime.js';

/** What one item did (small: a Distributed Map's results stay far below its output limit). */
export interface SignRangeResult {
  readonly index: number;
  readonly status: 'stored' | 'existing' | 'failed';
}

/**
 * Build the sign-range handler.
 * @example
 * const handler = makeSignRangeHandler({ steps, telemetry: createTelemetry('driftgate-sign-range') });
 * await handler({ jobId, modelId: 'fraud', kind: 'adopt', index: 0, key: 'training/fraud/v2/part-0.parquet', range: { start: 0, end: 4 } });
 */
export function makeSignRangeHandler(deps: { readonly steps: Pick<ScaleOut, 'signRange'>; readonly telemetry: Telemetry }): Handler<SignRangeResult> {
  return withTelemetry(deps.telemetry, async (event) => {
    const item = parseWith(scaleOutItemSchema, event, 'scale-out work item');
    const { status } = await deps.steps.signRange(item);
    const log = status === 'failed' ? deps.telemetry.logger.warn : deps.telemetry.logger.info;
    log.call(deps.telemetry.logger, status === 'failed' ? 'work item failed: its file is unreadable' : 'work item signed', { jobId: item.jobId, modelId: item.modelId, index: item.index, key: item.key, range: item.range, status });
    return { index: item.index, status };
  });
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<SignRangeResult> = lambdaEntry(() => {
  const env = readFunctionEnv('sign-range', process.env);
  const telemetry = createTelemetry(SERVICE_NAME['sign-range']);
  const steps = awsScaleOut({ env, clients: { s3: createS3Client({ endpoint: endpointFromEnv(process.env) }) }, log: (entry) => telemetry.logger.debug('use case', entry) });
  return makeSignRangeHandler({ steps, telemetry });
});
