/**
 * Wiring of the Lambda handlers: the environment each function needs (validated once, with zod), and
 * each function's use case built over the AWS adapters with only the ports it uses (the ingest and adopt
 * functions get no topic and no secret). Tests call these with clients pointed at moto server, so the
 * production wiring is what they exercise.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { createAwsClients, createEventBridgeClient, endpointFromEnv } from '../adapters/aws-clients.js';
import { EventBridgeSink } from '../adapters/eventbridge-sink.js';
import { S3Store } from '../adapters/s3-store.js';
import { signSources } from '../adapters/sign-sources.js';
import { loadSecret } from '../adapters/secret.js';
import { SnsEventSink } from '../adapters/sns-event-sink.js';
import { SnsNotifier } from '../adapters/sns-notifier.js';
import { ConfigError } from '../core/errors.js';
import type { ModelState } from '../core/lifecycle/types.js';
import type { EventSink, LifecycleEventSink, Log } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { type CheckModel, checkModel } from '../service/check-model.js';
import { type Decider, decider } from '../service/decide.js';
import { type BatchScaleOut, type IngestBatch, ingestBatch } from '../service/ingest-batch.js';
import { type InstallReference, installReference } from '../service/install-reference.js';
import { ModelRepository } from '../service/model-repository.js';
import { fanOutSinks } from '../service/publish-retrain.js';
import { hmacLinks, incidentNoticeSender, noticeSender, ownerNoticeSender } from '../service/notify.js';
import { type RunDueChecks, type TendProposals, runDueChecks, tendProposals } from '../service/run-due-checks.js';
import { reviewNoticeSender, runDueReviews } from '../service/review.js';
import { openBatchFile } from '../adapters/columnar-reader.js';
import type { S3ByteSource } from '../adapters/s3-byte-source.js';
import { createSfnClient, sfnStarter } from '../adapters/sfn-starter.js';
import type { PlanBudget } from '../core/signature/plan.js';
import { type ScaleOut, scaleOut } from '../service/scale-out.js';
import { ENV } from './env.js';
import { REPORT_LINK_TTL_SECONDS, signReportLink, verifyReportLink } from './report-link.js';

/** Which function is being wired: each gets only what it needs. */
export type FunctionRole = 'ingest' | 'check' | 'gate' | 'decide' | 'adopt' | ScaleOutRole;

/** The functions of the scale-out state machine (lib/scale-out.ts): the bucket only. */
export type ScaleOutRole = 'scale-plan' | 'sign-range' | 'merge-partials' | 'scale-finish';

const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name');
const topicArn = z.string().regex(/^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'expected an SNS topic ARN');
const secretId = z.string().min(1, 'expected a Secrets Manager secret name or ARN');
const httpsUrl = z.url({ protocol: /^https?$/, error: 'expected the http(s) URL of the decision endpoint' });
const eventBusName = z
  .string()
  .regex(/^(arn:[a-z-]+:events:[a-z0-9-]+:\d{12}:event-bus\/)?[A-Za-z0-9._\-/]{1,256}$/, 'expected an EventBridge bus name or ARN')
  .optional();

/** Ingest: the bucket and nothing else. */
const ingestEnv = z.object({ [ENV.bucket]: bucket });
/** Check and adopt: the bucket, and the bus their lifecycle events go to (unset: none are published). */
const checkEnv = ingestEnv.extend({ [ENV.eventBusName]: eventBusName });
/** The gate's environment: the only scheduled function with the signing key and the topics. */
const gateEnv = z.object({
  [ENV.bucket]: bucket,
  [ENV.noticesTopicArn]: topicArn,
  [ENV.retrainTopicArn]: topicArn,
  [ENV.secretId]: secretId,
  [ENV.decideUrl]: httpsUrl,
  [ENV.eventBusName]: eventBusName,
});
const decideEnv = z.object({
  [ENV.bucket]: bucket,
  [ENV.retrainTopicArn]: topicArn,
  [ENV.secretId]: secretId,
  [ENV.eventBusName]: eventBusName,
});

/** The validated environment of one function. */
export interface FunctionEnv {
  readonly bucket: string;
  readonly noticesTopicArn?: string;
  readonly retrainTopicArn?: string;
  readonly secretId?: string;
  readonly decideUrl?: string;
  /** The EventBridge bus of lifecycle events; undefined: none are published. */
  readonly eventBusName?: string;
}

/**
 * Validate the environment a function needs; throws ConfigError naming every missing or bad variable.
 * @example
 * const env = readFunctionEnv('check', process.env);
 */
export function readFunctionEnv(role: FunctionRole, env: Readonly<Record<string, string | undefined>>): FunctionEnv {
  const source = `environment of the ${role} function`;
  if (role === 'ingest' || role === 'scale-plan' || role === 'sign-range' || role === 'merge-partials') {
    const parsed = parseWith(ingestEnv, env, source);
    return { bucket: parsed[ENV.bucket] };
  }
  // scale-finish installs references as adopt does, so it emits ReferenceAdopted as adopt does.
  if (role === 'adopt' || role === 'check' || role === 'scale-finish') {
    const parsed = parseWith(checkEnv, env, source);
    return withBus({ bucket: parsed[ENV.bucket] }, parsed[ENV.eventBusName]);
  }
  if (role === 'gate') {
    const parsed = parseWith(gateEnv, env, source);
    return withBus({
      bucket: parsed[ENV.bucket],
      noticesTopicArn: parsed[ENV.noticesTopicArn],
      retrainTopicArn: parsed[ENV.retrainTopicArn],
      secretId: parsed[ENV.secretId],
      decideUrl: parsed[ENV.decideUrl].replace(/\/+$/, ''),
    }, parsed[ENV.eventBusName]);
  }
  const parsed = parseWith(decideEnv, env, source);
  return withBus({
    bucket: parsed[ENV.bucket],
    retrainTopicArn: parsed[ENV.retrainTopicArn],
    secretId: parsed[ENV.secretId],
  }, parsed[ENV.eventBusName]);
}

function withBus(env: FunctionEnv, busName: string | undefined): FunctionEnv {
  return busName === undefined || busName === '' ? env : { ...env, eventBusName: busName };
}

/** The SDK clients the handlers use. */
export interface HandlerClients {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
  /** For lifecycle events; a function whose environment names a bus needs it. */
  readonly events?: EventBridgeClient;
}

/** Clients for the Lambda runtime (or a local endpoint when DRIFTGATE_AWS_ENDPOINT is set). */
export function clientsFromEnv(env: Readonly<Record<string, string | undefined>>): HandlerClients {
  const endpoint = endpointFromEnv(env);
  return { ...createAwsClients({ endpoint }), events: createEventBridgeClient({ endpoint }) };
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

/** The lifecycle-event bus of a function whose environment names one (else undefined: no events). */
function lifecycleSink(options: { env: FunctionEnv; clients: { events?: EventBridgeClient } }, role: FunctionRole): EventBridgeSink | undefined {
  if (options.env.eventBusName === undefined) return undefined;
  return new EventBridgeSink(required(options.clients.events, role, 'EventBridge client'), options.env.eventBusName);
}

function repository(options: AwsWiringOptions, bus: LifecycleEventSink | undefined): ModelRepository {
  return new ModelRepository(new S3Store(options.clients.s3, options.env.bucket), bus);
}

/** The retrain event's sinks: the SNS topic, and the bus when there is one (a failure of either retries both). */
function retrainSinks(topic: EventSink, bus: EventSink | undefined): EventSink {
  return bus === undefined ? topic : fanOutSinks(topic, bus);
}

/**
 * The ingest function's use case: the repository only (no topic, no secret: IAM grants it none either).
 * @example
 * const port = awsIngest({ env: readFunctionEnv('ingest', process.env), clients });
 */
export function awsIngest(options: AwsWiringOptions & { readonly scaleOut?: BatchScaleOut }): { ingest: IngestBatch } {
  return { ingest: ingestBatch({ repo: repository(options, undefined), sign: signSources, log: options.log, scaleOut: options.scaleOut }) };
}

/**
 * The check function's use cases: checks only, over the repository. It holds no signing key and no
 * topic, so IAM, not only code, keeps it from notifying or retraining; the gate function does both.
 * @example
 * const port = awsCheck({ env: readFunctionEnv('check', process.env), clients });
 */
export function awsCheck(options: AwsWiringOptions): { check: CheckModel; checkDue: RunDueChecks } {
  const repo = repository(options, lifecycleSink(options, 'check'));
  const check = checkModel({ repo, log: options.log });
  return { check, checkDue: runDueChecks({ repo, check, reviews: runDueReviews({ repo, log: options.log }), log: options.log }) };
}

/**
 * The gate function's use case: tend proposals — send each new proposal's notice (links signed with the
 * secret from its five-minute cache), run opted-in veto windows and expiries, complete a failed publish.
 * @example
 * const port = await awsGate({ env: readFunctionEnv('gate', process.env), clients });
 */
export async function awsGate(options: AwsWiringOptions): Promise<{ tend: TendProposals }> {
  const { env, clients, log } = options;
  const bus = lifecycleSink(options, 'gate');
  const repo = repository(options, bus);
  const secret = await loadSecret(clients.secrets, required(env.secretId, 'gate', 'secret'));
  const baseUrl = required(env.decideUrl, 'gate', 'decision URL');
  const clock = options.clock ?? (() => new Date());
  // Notices link the report through the decision function: the bucket itself stays private.
  const reportLink = async (key: string) => signReportLink(baseUrl, key, Math.floor(clock().getTime() / 1000) + REPORT_LINK_TTL_SECONDS, secret);
  const notifier = new SnsNotifier(clients.sns, required(env.noticesTopicArn, 'gate', 'notices topic'));
  const links = hmacLinks({ secret, baseUrl, reportLink });
  const sendNotice = noticeSender({ repo, notifier, links, log });
  const sendIncidentNotice = incidentNoticeSender({ repo, notifier, links, log });
  const events = retrainSinks(new SnsEventSink(clients.sns, required(env.retrainTopicArn, 'gate', 'retrain topic')), bus);
  const sendOwnerNotices = ownerNoticeSender({ repo, notifier, links, log });
  const sendReviewNotice = reviewNoticeSender({ repo, notifier, links, log });
  return { tend: tendProposals({ repo, sendNotice, sendIncidentNotice, sendOwnerNotices, sendReviewNotice, events, log }) };
}

/**
 * The decision function's use case: verify links and decide, with the retrain topic.
 * @example
 * const port = await awsDecide({ env: readFunctionEnv('decide', process.env), clients });
 */
export async function awsDecide(options: AwsWiringOptions): Promise<Decider> {
  const { env, clients, log } = options;
  const secret = await loadSecret(clients.secrets, required(env.secretId, 'decide', 'secret'));
  const bus = lifecycleSink(options, 'decide');
  const events = retrainSinks(new SnsEventSink(clients.sns, required(env.retrainTopicArn, 'decide', 'retrain topic')), bus);
  return decider({ repo: repository(options, bus), events, secret, log });
}

/**
 * The adopt function's use case and the store it reads manifests from: no topic, no secret.
 * @example
 * const { port, store } = awsAdopt({ env: readFunctionEnv('adopt', process.env), clients });
 */
export function awsAdopt(options: Pick<AwsWiringOptions, 'env' | 'log'> & { readonly clients: Pick<HandlerClients, 's3' | 'events'> }): { port: InstallReference & Pick<ModelRepository, 'decisionLog'> & { state(modelId: string): Promise<ModelState | undefined> }; store: S3Store } {
  const store = new S3Store(options.clients.s3, options.env.bucket);
  const repo = new ModelRepository(store, lifecycleSink(options, 'adopt'));
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

// ---- scale-out (lib/scale-out.ts) ------------------------------------------------------------------

const positiveInt = z.coerce.number().int().positive();

/** The adopt and ingest functions' hand-over to the scale-out state machine: both variables, or neither. */
const scaleOutStartEnv = z.object({
  [ENV.scaleOutStateMachineArn]: z.string().regex(/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, 'expected a Step Functions state machine ARN'),
  [ENV.scaleOutThresholdBytes]: positiveInt,
});

/**
 * The state machine and threshold the adopt or ingest function hands large inputs to; undefined when the
 * stack has no scale-out (neither variable set). ConfigError naming each bad variable otherwise.
 */
export function readScaleOutStart(role: 'adopt' | 'ingest', env: Readonly<Record<string, string | undefined>>): { stateMachineArn: string; thresholdBytes: number } | undefined {
  if (env[ENV.scaleOutStateMachineArn] === undefined && env[ENV.scaleOutThresholdBytes] === undefined) return undefined;
  const parsed = parseWith(scaleOutStartEnv, env, `scale-out environment of the ${role} function`);
  return { stateMachineArn: parsed[ENV.scaleOutStateMachineArn], thresholdBytes: parsed[ENV.scaleOutThresholdBytes] };
}

/** The plan function's budget and fan-in. */
const scalePlanEnv = z.object({
  [ENV.scaleOutItemBytes]: positiveInt,
  [ENV.scaleOutUnitBytes]: positiveInt,
  [ENV.scaleOutFanIn]: positiveInt.min(2),
});

/** The plan's per-item budget and the merge fan-in, from the plan function's environment. */
export function readScalePlanEnv(env: Readonly<Record<string, string | undefined>>): { budget: PlanBudget; fanIn: number } {
  const parsed = parseWith(scalePlanEnv, env, 'environment of the scale-plan function');
  return { budget: { maxItemBytes: parsed[ENV.scaleOutItemBytes], maxUnitDecodedBytes: parsed[ENV.scaleOutUnitBytes] }, fanIn: parsed[ENV.scaleOutFanIn] };
}

/** A starter of scale-out executions for the adopt or ingest function (one execution per job). */
export function scaleOutStarter(config: { stateMachineArn: string }, env: Readonly<Record<string, string | undefined>>): (job: { readonly kind: string }) => Promise<string> {
  return sfnStarter(createSfnClient({ endpoint: endpointFromEnv(env) }), config.stateMachineArn);
}

/**
 * The scale-out steps over S3: the reader's units for the plan, signSources for the items, and (finish)
 * installReference over the same repository. Which step a function runs is its handler's choice; IAM
 * grants each only what its step touches (lib/scale-out.ts).
 * @example
 * const steps = awsScaleOut({ env: readFunctionEnv('sign-range', process.env), clients });
 */
export function awsScaleOut(
  options: Pick<AwsWiringOptions, 'env' | 'log'> & { readonly clients: Pick<HandlerClients, 's3' | 'events'>; readonly plan?: { budget: PlanBudget; fanIn: number } },
): ScaleOut {
  // The bus only where the environment names one (the finish function's): its installReference appends the
  // decision-log lines that emit ReferenceAdopted, as the adopt function's does.
  const repo = new ModelRepository(new S3Store(options.clients.s3, options.env.bucket), lifecycleSink(options, 'scale-finish'));
  return scaleOut({
    repo,
    bucket: options.env.bucket,
    sign: signSources,
    describe: async (source) => ({ units: await (await openBatchFile(source)).units(), etag: (source as Partial<S3ByteSource>).etag }),
    versionOf: (source) => (source as Partial<S3ByteSource>).etag,
    // Only the plan step reads the budget; the other steps never plan.
    budget: options.plan?.budget ?? { maxItemBytes: Number.MAX_SAFE_INTEGER, maxUnitDecodedBytes: Number.MAX_SAFE_INTEGER },
    fanIn: options.plan?.fanIn,
    install: installReference({ repo, sign: signSources, log: options.log }),
    log: options.log,
  });
}

/** Bytes of `keys` in the store (one HEAD each), summed until past `over`. */
export async function trainingBytes(store: Pick<S3Store, 'open'>, keys: readonly string[], over: number): Promise<number> {
  let total = 0;
  for (const key of keys) {
    // A missing file is left to the installation, whose error names it.
    const source = await store.open(key).catch(() => undefined);
    total += source?.byteLength ?? 0;
    if (total > over) break;
  }
  return total;
}
