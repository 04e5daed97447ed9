/**
 * Wiring of the Lambda handlers: the environment each function needs (validated once, with zod), and
 * each function's use case built over the AWS adapters with only the ports it uses (the ingest and adopt
 * functions get no topic and no secret). Tests call these with clients pointed at moto server, so the
 * production wiring is what they exercise.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { createAwsClients, endpointFromEnv } from '../adapters/aws-clients.js';
import { S3Store } from '../adapters/s3-store.js';
import { signSources } from '../adapters/sign-sources.js';
import { loadSecret } from '../adapters/secret.js';
import { SnsEventSink } from '../adapters/sns-event-sink.js';
import { SnsNotifier } from '../adapters/sns-notifier.js';
import { ConfigError } from '../core/errors.js';
import type { ModelState } from '../core/lifecycle/types.js';
import type { Log } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { type CheckModel, checkModel } from '../service/check-model.js';
import { type Decider, decider } from '../service/decide.js';
import { type IngestBatch, ingestBatch } from '../service/ingest-batch.js';
import { type InstallReference, installReference } from '../service/install-reference.js';
import { ModelRepository } from '../service/model-repository.js';
import { hmacLinks, incidentNoticeSender, noticeSender, ownerNoticeSender } from '../service/notify.js';
import { type RunDueChecks, type TendProposals, runDueChecks, tendProposals } from '../service/run-due-checks.js';
import { ENV } from './env.js';
import { REPORT_LINK_TTL_SECONDS, signReportLink, verifyReportLink } from './report-link.js';

/** Which function is being wired: each gets only what it needs. */
export type FunctionRole = 'ingest' | 'check' | 'gate' | 'decide' | 'adopt';

const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name');
const topicArn = z.string().regex(/^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'expected an SNS topic ARN');
const secretId = z.string().min(1, 'expected a Secrets Manager secret name or ARN');
const httpsUrl = z.url({ protocol: /^https?$/, error: 'expected the http(s) URL of the decision endpoint' });

/** Ingest, check and adopt: the bucket and nothing else. */
const ingestEnv = z.object({ [ENV.bucket]: bucket });
/** The gate's environment: the only scheduled function with the signing key and the topics. */
const gateEnv = z.object({
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
  if (role === 'ingest' || role === 'adopt' || role === 'check') {
    const parsed = parseWith(ingestEnv, env, source);
    return { bucket: parsed[ENV.bucket] };
  }
  if (role === 'gate') {
    const parsed = parseWith(gateEnv, env, source);
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

/** Options of the AWS wiring of one function. */
export interface AwsWiringOptions {
  readonly env: FunctionEnv;
  readonly clients: HandlerClients;
  /** Structured log sink for the use cases' steps. @default none */
  readonly log?: Log;
  /**
   * The clock report links expire by.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

function required<T>(value: T | undefined, role: FunctionRole, what: string): T {
  if (value === undefined) throw new ConfigError(`${role} function`, `has no ${what}`);
  return value;
}

function repository(options: AwsWiringOptions): ModelRepository {
  return new ModelRepository(new S3Store(options.clients.s3, options.env.bucket));
}

/**
 * The ingest function's use case: the repository only (no topic, no secret: IAM grants it none either).
 * @example
 * const port = awsIngest({ env: readFunctionEnv('ingest', process.env), clients });
 */
export function awsIngest(options: AwsWiringOptions): { ingest: IngestBatch } {
  return { ingest: ingestBatch({ repo: repository(options), sign: signSources, log: options.log }) };
}

/**
 * The check function's use cases: checks only, over the repository. It holds no signing key and no
 * topic, so IAM, not only code, keeps it from notifying or retraining; the gate function does both.
 * @example
 * const port = awsCheck({ env: readFunctionEnv('check', process.env), clients });
 */
export function awsCheck(options: AwsWiringOptions): { check: CheckModel; checkDue: RunDueChecks } {
  const repo = repository(options);
  const check = checkModel({ repo, log: options.log });
  return { check, checkDue: runDueChecks({ repo, check, log: options.log }) };
}

/**
 * The gate function's use case: tend proposals — send each new proposal's notice (links signed with the
 * secret from its five-minute cache), run opted-in veto windows and expiries, complete a failed publish.
 * @example
 * const port = await awsGate({ env: readFunctionEnv('gate', process.env), clients });
 */
export async function awsGate(options: AwsWiringOptions): Promise<{ tend: TendProposals }> {
  const { env, clients, log } = options;
  const repo = repository(options);
  const secret = await loadSecret(clients.secrets, required(env.secretId, 'gate', 'secret'));
  const baseUrl = required(env.decideUrl, 'gate', 'decision URL');
  const clock = options.clock ?? (() => new Date());
  // Notices link the report through the decision function: the bucket itself stays private.
  const reportLink = async (key: string) => signReportLink(baseUrl, key, Math.floor(clock().getTime() / 1000) + REPORT_LINK_TTL_SECONDS, secret);
  const notifier = new SnsNotifier(clients.sns, required(env.noticesTopicArn, 'gate', 'notices topic'));
  const links = hmacLinks({ secret, baseUrl, reportLink });
  const sendNotice = noticeSender({ repo, notifier, links, log });
  const sendIncidentNotice = incidentNoticeSender({ repo, notifier, links, log });
  const events = new SnsEventSink(clients.sns, required(env.retrainTopicArn, 'gate', 'retrain topic'));
  const sendOwnerNotices = ownerNoticeSender({ repo, notifier, links, log });
  return { tend: tendProposals({ repo, sendNotice, sendIncidentNotice, sendOwnerNotices, events, log }) };
}

/**
 * The decision function's use case: verify links and decide, with the retrain topic.
 * @example
 * const port = await awsDecide({ env: readFunctionEnv('decide', process.env), clients });
 */
export async function awsDecide(options: AwsWiringOptions): Promise<Decider> {
  const { env, clients, log } = options;
  const secret = await loadSecret(clients.secrets, required(env.secretId, 'decide', 'secret'));
  const events = new SnsEventSink(clients.sns, required(env.retrainTopicArn, 'decide', 'retrain topic'));
  return decider({ repo: repository(options), events, secret, log });
}

/**
 * The adopt function's use case and the store it reads manifests from: no topic, no secret.
 * @example
 * const { port, store } = awsAdopt({ env: readFunctionEnv('adopt', process.env), clients });
 */
export function awsAdopt(options: Pick<AwsWiringOptions, 'env' | 'log'> & { readonly clients: Pick<HandlerClients, 's3'> }): { port: InstallReference & Pick<ModelRepository, 'decisionLog'> & { state(modelId: string): Promise<ModelState | undefined> }; store: S3Store } {
  const store = new S3Store(options.clients.s3, options.env.bucket);
  const repo = new ModelRepository(store);
  const references = installReference({ repo, sign: signSources, log: options.log });
  return {
    port: {
      ...references,
      decisionLog: (modelId) => repo.decisionLog(modelId),
      state: async (modelId) => (await repo.state(modelId))?.value,
    },
    store,
  };
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
