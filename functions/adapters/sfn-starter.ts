/**
 * Step Functions adapter: starts one execution of the scale-out state machine per job, named after a hash
 * of the job, so a re-delivered event that starts the same job again is answered by the execution that
 * exists (StartExecution is idempotent for a running execution of the same name and input; a finished one
 * answers ExecutionAlreadyExists, which is success here: that job ran).
 */
import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AdapterError } from '../core/errors.js';

/** An SFN client on the same endpoint override as the other clients (moto server in tests). */
export function createSfnClient(options: { readonly endpoint?: string; readonly region?: string } = {}): SFNClient {
  return new SFNClient({ ...(options.endpoint ? { endpoint: options.endpoint } : {}), ...(options.region ? { region: options.region } : {}) });
}

/** The execution name of a job: `<kind>-<40 hex>` (at most 80 characters, as Step Functions allows). */
export function executionNameOf(job: { readonly kind: string }): string {
  return `${job.kind}-${createHash('sha256').update(JSON.stringify(job)).digest('hex').slice(0, 40)}`;
}

/**
 * A starter for one state machine: `start(job)` starts (or finds) the job's execution and returns its name.
 * @example
 * const start = sfnStarter(createSfnClient(), process.env.SCALE_OUT_STATE_MACHINE_ARN!);
 * await start({ kind: 'ingest', modelId: 'fraud', key, etag });
 */
export function sfnStarter(client: SFNClient, stateMachineArn: string): (job: { readonly kind: string }) => Promise<string> {
  return async (job) => {
    const name = executionNameOf(job);
    try {
      await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(job) }));
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return name;
      throw new AdapterError('Step Functions', `StartExecution ${name}`, { cause: error });
    }
    return name;
  };
}
