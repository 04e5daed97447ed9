/**
 * Step Functions adapter: starts one execution of the scale-out state machine per job, named after a hash
 * of the job, so a re-delivered event that starts the same job again is answered by the execution that
 * exists (StartExecution is idempotent for a running execution of the same name and input). A closed one
 * answers ExecutionAlreadyExists: when it succeeded (or still runs), that is success here; when it failed,
 * timed out or was aborted (a corrupt file since replaced, a manifest uploaded again), the job runs again as
 * `<name>-2`, `<name>-3`, …, since Step Functions keeps a closed execution's name for 90 days.
 */
import { createHash } from 'node:crypto';
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AdapterError } from '../core/errors.js';

/** An SFN client on the same endpoint override as the other clients (moto server in tests). */
export function createSfnClient(options: { readonly endpoint?: string; readonly region?: string } = {}): SFNClient {
  return new SFNClient({ ...(options.endpoint ? { endpoint: options.endpoint } : {}), ...(options.region ? { region: options.region } : {}) });
}

/** The execution name of a job: `<kind>-<40 hex>` (at most 80 characters, as Step Functions allows). */
export function executionNameOf(job: { readonly kind: string }): string {
  return `${job.kind}-${createHash('sha256').update(JSON.stringify(job)).digest('hex').slice(0, 40)}`;
}

/** Statuses of a closed execution after which its job runs again under the next name. */
const RUN_AGAIN_AFTER = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** Runs of one job (names `<name>`, `<name>-2`, …) before the starter gives up. */
export const MAX_RUNS_PER_JOB = 20;

/**
 * A starter for one state machine: `start(job)` starts (or finds) the job's execution and returns its name.
 * @example
 * const start = sfnStarter(createSfnClient(), process.env.SCALE_OUT_STATE_MACHINE_ARN!);
 * await start({ kind: 'ingest', modelId: 'fraud', key, etag });
 */
export function sfnStarter(client: SFNClient, stateMachineArn: string): (job: { readonly kind: string }) => Promise<string> {
  // arn:<partition>:states:<region>:<account>:stateMachine:<name> -> ...:execution:<name>:<execution>
  const executionArn = (name: string): string => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  return async (job) => {
    const base = executionNameOf(job);
    for (let run = 1; run <= MAX_RUNS_PER_JOB; run++) {
      const name = run === 1 ? base : `${base}-${run}`;
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(job) }));
        return name;
      } catch (error) {
        if (!(error instanceof ExecutionAlreadyExists)) throw new AdapterError('Step Functions', `StartExecution ${name}`, { cause: error });
      }
      let status: string | undefined;
      try {
        status = (await client.send(new DescribeExecutionCommand({ executionArn: executionArn(name) }))).status;
      } catch (error) {
        throw new AdapterError('Step Functions', `DescribeExecution ${name}`, { cause: error });
      }
      if (!RUN_AGAIN_AFTER.has(String(status))) return name;
    }
    throw new AdapterError('Step Functions', `StartExecution ${base}: its last ${MAX_RUNS_PER_JOB} runs failed; look at their errors`);
  };
}
