/**
 * Wiring shared by the Lambda handlers: the environment each function needs (validated once, with zod),
 * and the Lifecycle built over the AWS adapters from it. Tests call `awsLifecycle` with clients pointed
 * at moto server, so the production wiring is what they exercise.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { createAwsClients, endpointFromEnv } from '../adapters/aws-clients.js';
import { S3Store } from '../adapters/s3-store.js';
import { loadSecret } from '../adapters/secret.js';
import { SnsEventSink } from '../adapters/sns-event-sink.js';
import { SnsNotifier } from '../adapters/sns-notifier.js';
import { ConfigError } from '../core/errors.js';
import type { EventSink, Notifier } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { Lifecycle } from '../service/lifecycle.js';
import { ENV } from './env.js';
import { REPORT_LINK_TTL_SECONDS, signReportLink, verifyReportLink } from './report-link.js';

/** Which function is being wired: each gets only what it needs. */
export type FunctionRole = 'ingest' | 'check' | 'decide';

const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name');
const topicArn = z.string().regex(/^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'expected an SNS topic ARN');
const secretId = z.string().min(1, 'expected a Secrets Manager secret name or ARN');
const httpsUrl = z.url({ protocol: /^https?$/, error: 'expected the http(s) URL of the decision endpoint' });

const ingestEnv = z.object({ [ENV.bucket]: bucket });
const checkEnv = z.object({
  [ENV.bucket]: bucket,
  [ENV.noticesTopicArn]: topicArn,
  [ENV.retrainTopicArn]: topicArn,
  [ENV.secretId]: secretId,
  [ENV.decideUrl]: httpsUrl,
});
const decideEnv = z.object({
  [ENV.bucket]: bucket,
  [ENV.retrainTopicArn]: topicArn,
  [ENV.secretId]: secretId,
});

/** The validated environment of one function. */
export interface FunctionEnv {
  readonly bucket: string;
  readonly noticesTopicArn?: string;
  readonly retrainTopicArn?: string;
  readonly secretId?: string;
  readonly decideUrl?: string;
}

/**
 * Validate the environment a function needs; throws ConfigError naming every missing or bad variable.
 * @example
 * const env = readFunctionEnv('check', process.env);
 */
export function readFunctionEnv(role: FunctionRole, env: Readonly<Record<string, string | undefined>>): FunctionEnv {
  const source = `environment of the ${role} function`;
  if (role === 'ingest') {
    const parsed = parseWith(ingestEnv, env, source);
    return { bucket: parsed[ENV.bucket] };
  }
  if (role === 'check') {
    const parsed = parseWith(checkEnv, env, source);
    return {
      bucket: parsed[ENV.bucket],
      noticesTopicArn: parsed[ENV.noticesTopicArn],
      retrainTopicArn: parsed[ENV.retrainTopicArn],
      secretId: parsed[ENV.secretId],
      decideUrl: parsed[ENV.decideUrl].replace(/\/+$/, ''),
    };
  }
  const parsed = parseWith(decideEnv, env, source);
  return {
    bucket: parsed[ENV.bucket],
    retrainTopicArn: parsed[ENV.retrainTopicArn],
    secretId: parsed[ENV.secretId],
  };
}

/** The SDK clients the handlers use. */
export interface HandlerClients {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
}

/** Clients for the Lambda runtime (or a local endpoint when DRIFTGATE_AWS_ENDPOINT is set). */
export function clientsFromEnv(env: Readonly<Record<string, string | undefined>>): HandlerClients {
  return createAwsClients({ endpoint: endpointFromEnv(env) });
}

/** Options of awsLifecycle. */
export interface AwsLifecycleOptions {
  readonly env: FunctionEnv;
  readonly clients: HandlerClients;
  /**
   * Base of decision links; the decision function passes its own URL (from the request).
   * @default env.decideUrl
   */
  readonly decideBaseUrl?: string;
  /** Structured log sink for the lifecycle's steps. */
  readonly log?: (entry: Record<string, unknown>) => void;
  /**
   * The clock report links expire by.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

/** A port the function is not allowed to use: fails loudly instead of needing IAM to refuse it. */
function refusingNotifier(role: FunctionRole): Notifier {
  return {
    send: () => Promise.reject(new ConfigError(`${role} function`, 'has no notices topic: it must not send notices')),
  };
}

function refusingEvents(role: FunctionRole): EventSink {
  return {
    publish: () =>
      Promise.reject(new ConfigError(`${role} function`, 'has no retrain topic: it must not emit retrain events')),
  };
}

/**
 * Build the Lifecycle over S3, SNS and Secrets Manager for one function (the secret comes from its
 * five-minute cache, so a rotation is picked up without a cold start).
 * @example
 * const lifecycle = await awsLifecycle('check', { env: readFunctionEnv('check', process.env), clients });
 */
export async function awsLifecycle(role: FunctionRole, options: AwsLifecycleOptions): Promise<Lifecycle> {
  const { env, clients } = options;
  const store = new S3Store(clients.s3, env.bucket);
  const notifier =
    env.noticesTopicArn !== undefined ? new SnsNotifier(clients.sns, env.noticesTopicArn) : refusingNotifier(role);
  const events =
    env.retrainTopicArn !== undefined ? new SnsEventSink(clients.sns, env.retrainTopicArn) : refusingEvents(role);
  // The ingest function has no access to the secret; nothing it does signs or verifies a link.
  const secret = env.secretId !== undefined ? await loadSecret(clients.secrets, env.secretId) : new Uint8Array(0);
  const decideBaseUrl = options.decideBaseUrl ?? env.decideUrl ?? '';
  const clock = options.clock ?? (() => new Date());
  // Notices link the report through the decision function: the bucket itself stays private.
  const reportUrl =
    role === 'check' && env.decideUrl !== undefined
      ? async (key: string) => signReportLink(decideBaseUrl, key, Math.floor(clock().getTime() / 1000) + REPORT_LINK_TTL_SECONDS, secret)
      : undefined;
  return new Lifecycle({ store, notifier, events, secret, decideBaseUrl, log: options.log, ...(reportUrl ? { reportUrl } : {}) });
}

/** Reads the report a signed link names: undefined when it is no longer stored; DecisionTokenError when the link is bad. */
export type ReportReader = (query: Readonly<Record<string, string | undefined>>, now: Date) => Promise<string | undefined>;

/**
 * The decision function's report reader over S3 (verifies the link with the link-signing secret).
 * @example
 * const html = await awsReportReader({ env, clients })({ key, exp, sig }, new Date());
 */
export function awsReportReader(options: { env: FunctionEnv; clients: HandlerClients }): ReportReader {
  const { env, clients } = options;
  const store = new S3Store(clients.s3, env.bucket);
  return async (query, now) => {
    if (env.secretId === undefined) throw new ConfigError('report reader', 'has no secret to verify links with');
    const key = verifyReportLink(query, await loadSecret(clients.secrets, env.secretId), now);
    const stored = await store.get(key);
    return stored === undefined ? undefined : Buffer.from(stored.body).toString('utf8');
  };
}
