import { CfnOutput, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { SqsDestination as LambdaSqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DECISION_ERRORS_METRIC, ENV, KEY_PREFIX, METRICS_NAMESPACE, SERVICE_NAME } from '../functions/core/constants.js';
import { DriftgateAdoption } from './adoption.js';
import { driftgateAlarm } from './alarms.js';
import { notifyObjectCreated } from './bucket-notifications.js';
import { buildSchedules } from './schedules.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { buildDriftgateFunction } from './driftgate-function.js';
import { grantPrefixes } from './grants.js';
import { buildEvents } from './events.js';
import { buildIngest } from './ingest.js';
import { buildScaleOut, type ScaleOut, type ScaleOutOptions } from './scale-out.js';
import { acknowledgeEncryptedTopicPublish, acknowledgeLinkSigningSecret, acknowledgeNoDeadLetterQueue } from './nag.js';
import { buildStorage } from './storage.js';
import { buildTopics } from './topics.js';

/** Key prefixes of the data bucket (from functions/core/constants.ts); the IAM grants and lifecycle rules are scoped by them. */
export { KEY_PREFIX };

/**
 * Message attributes every retrain-requests message carries, for subscription filter policies (the ones
 * functions/adapters/sns-event-sink.ts publishes; `eventId` is the same on every retry of one request).
 */
export const RETRAIN_MESSAGE_ATTRIBUTES = ['type', 'eventId', 'modelId', 'reason'] as const;

/**
 * An example SNS filter policy for a retraining system that only wants approved retrains of one model.
 * Subscribe with `{ filterPolicy: RETRAIN_FILTER_POLICY_EXAMPLE }` (attribute-based filtering).
 */
export const RETRAIN_FILTER_POLICY_EXAMPLE = {
  modelId: ['churn-v3'],
  reason: ['approved'],
} as const;

/** Properties of the driftgate app construct. */
export interface DriftgateProps {
  /**
   * EventBridge Scheduler expression for the check run (`rate(...)` or `cron(...)`); each run only
   * checks the models that are due.
   * @default 'rate(1 hour)'
   */
  readonly checkSchedule?: string;
  /**
   * Email address subscribed to the notices topic: the data owners, who get proposals and decisions (never
   * alarms). It must confirm the subscription.
   * @default - no subscription; subscribe after deploy
   */
  readonly notifyEmail?: string;
  /**
   * Email address subscribed to the ops alarms topic, where every alarm of the stack goes. It must
   * confirm the subscription.
   * @default - no subscription; subscribe after deploy (stack output AlarmsTopicArn)
   */
  readonly alarmEmail?: string;
  /**
   * Concurrent executions reserved for the decision function, which is also their cap: its URL is public,
   * so a flood of requests to it can neither exhaust the account's concurrency nor run up unbounded cost.
   * `'off'` reserves none (an account whose concurrency quota leaves nothing to reserve, e.g. a new account
   * limited to 10); the function then shares the unreserved pool without a cap.
   * @default 10
   */
  readonly decideReservedConcurrency?: number | 'off';
  /**
   * Days to keep batch signatures before S3 expires them.
   * @default 400
   */
  readonly signatureRetentionDays?: number;
  /**
   * Days to keep rendered reports before S3 expires them.
   * @default 400
   */
  readonly reportRetentionDays?: number;
  /**
   * Days to keep noncurrent object versions.
   * @default 30
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * Deliveries of one upload message before it moves to the ingest dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * Retries of the scheduler when invoking the check or the gate function fails.
   * @default 2
   */
  readonly scheduleRetryAttempts?: number;
  /**
   * Retention of every function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the buckets, key and secret when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The EventBridge bus of the lifecycle events (RetrainRequested, ProposalOpened, DecisionTaken,
   * ReferenceAdopted, DataQualityIncidentOpened/Closed): `'default'` the account's default bus, `'create'` a
   * custom bus of the stack, or a bus of yours.
   * @default 'default'
   */
  readonly eventBus?: 'default' | 'create' | events.IEventBus;
  /**
   * The Step Functions scale-out of signing (lib/scale-out.ts): training sets and batches above a size are
   * signed by a Distributed Map of row-group ranges. `{}` turns it on with ScaleOutOptions' defaults (100
   * children at once, adoptions above 2 GiB, batches above 1 GiB).
   * @default - off: every input is signed in one invocation (no state machine, no extra functions)
   */
  readonly scaleOut?: ScaleOutOptions;
}

/** Validates props and returns every problem found (empty when the props are usable). */
export function validateDriftgateProps(props: DriftgateProps): string[] {
  const problems: string[] = [];
  const schedule = props.checkSchedule;
  if (schedule !== undefined && !Token.isUnresolved(schedule) && !/^(rate|cron)\(.+\)$/.test(schedule)) {
    problems.push(`checkSchedule must be "rate(...)" or "cron(...)", got "${schedule}"`);
  }
  for (const [name, email] of [['notifyEmail', props.notifyEmail], ['alarmEmail', props.alarmEmail]] as const) {
    if (email !== undefined && !Token.isUnresolved(email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      problems.push(`${name} must be an email address, got "${email}"`);
    }
  }
  const positive: [string, number | undefined, number][] = [
    ['signatureRetentionDays', props.signatureRetentionDays, 100_000],
    ['reportRetentionDays', props.reportRetentionDays, 100_000],
    ['noncurrentVersionRetentionDays', props.noncurrentVersionRetentionDays, 100_000],
    ['maxReceiveCount', props.maxReceiveCount, 1000],
  ];
  for (const [name, value, max] of positive) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= max)) {
      problems.push(`${name} must be an integer from 1 to ${max}, got ${value}`);
    }
  }
  const retries = props.scheduleRetryAttempts;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 185)) {
    problems.push(`scheduleRetryAttempts must be an integer from 0 to 185, got ${retries}`);
  }
  const reserved = props.decideReservedConcurrency;
  if (
    reserved !== undefined &&
    reserved !== 'off' &&
    !Token.isUnresolved(reserved) &&
    !(Number.isInteger(reserved) && reserved >= 1 && reserved <= 1000)
  ) {
    problems.push(`decideReservedConcurrency must be an integer from 1 to 1000 or "off", got ${JSON.stringify(reserved)}`);
  }
  return problems;
}

/**
 * The whole driftgate app on AWS: data bucket, upload queue and ingest function, scheduled check, the
 * gate, approval endpoint, notice, retrain and alarm topics, HMAC secret, alarms. It composes the small
 * builders (buildStorage, buildTopics, buildIngest, buildDriftgateFunction, buildSchedules) and the
 * DriftgateAdoption construct, and wires the grants between them.
 *
 * IAM enforces the human gate: only the gate and decide functions may read the link-signing secret or
 * publish a retrain request; the check function, which reads the data, can do neither. No function may
 * list the bucket beyond the prefixes it lists (an `s3:prefix` condition on `s3:ListBucket`).
 *
 * The builders add their resources to this construct itself, not to a construct of their own: a
 * resource's construct path is its logical id, and the buckets, key, secret, topics, subscriptions,
 * queues, log groups, function URL and schedule keep the ids of stacks already deployed (a new id is a
 * replacement: orphaned data, new ARNs, a lost URL). test/lib/logical-ids.test.ts holds those paths.
 *
 * @example
 * new Driftgate(stack, 'Driftgate', { notifyEmail: 'ml-oncall@example.com', checkSchedule: 'rate(30 minutes)' });
 */
export class Driftgate extends Construct {
  /** Batches, references, signatures, state, reports, proposals, decisions, tokens and configs. */
  public readonly bucket: s3.Bucket;
  /** Server access logs of the data bucket. */
  public readonly accessLogsBucket: s3.Bucket;
  /** Receives S3 ObjectCreated notifications for `batches/`. */
  public readonly uploadQueue: sqs.Queue;
  /** Upload messages that failed `maxReceiveCount` times. */
  public readonly uploadDeadLetterQueue: sqs.Queue;
  /** Check invocations the scheduler or Lambda could not complete. */
  public readonly checkDeadLetterQueue: sqs.Queue;
  /** Gate invocations (proposal notifications from S3, scheduled runs) that failed every attempt. */
  public readonly gateFailureQueue: sqs.Queue;
  /** Failed deliveries from the SNS subscriptions this construct creates. */
  public readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** Customer-managed key of the topics. */
  public readonly topicsKey: kms.Key;
  /** Notices for the data owners: proposals with approve/reject/snooze links, and decisions. Never alarms. */
  public readonly noticesTopic: sns.Topic;
  /** Every alarm of the stack, for whoever operates driftgate. */
  public readonly alarmsTopic: sns.Topic;
  /** `RetrainRequested` events, with the RETRAIN_MESSAGE_ATTRIBUTES message attributes for filter policies. */
  public readonly retrainTopic: sns.Topic;
  /** HMAC key that signs decision links. */
  public readonly secret: secretsmanager.Secret;
  public readonly ingestFunction: NodejsFunction;
  public readonly checkFunction: NodejsFunction;
  /** Sends notices, runs veto windows and expiries, completes failed retrain publishes. */
  public readonly gateFunction: NodejsFunction;
  public readonly decideFunction: NodejsFunction;
  /** Public URL of the decision endpoint (protected by the signed tokens it checks). */
  public readonly decideUrl: lambda.FunctionUrl;
  public readonly checkSchedule: scheduler.Schedule;
  /** Invokes the gate function at the check schedule's rate. */
  public readonly gateSchedule: scheduler.Schedule;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The adoption path: manifests under `adoptions/` install a model's (new) reference. */
  public readonly adoption: DriftgateAdoption;
  /** The bus the lifecycle events go to (source `driftgate`, detail-types `driftgate.<Event>.v1`). */
  public readonly eventBus: events.IEventBus;
  /** The scale-out state machine and its functions (undefined unless `scaleOut` is given). */
  public readonly scaleOut?: ScaleOut;

  constructor(scope: Construct, id: string, props: DriftgateProps = {}) {
    super(scope, id);
    const problems = validateDriftgateProps(props);
    if (problems.length > 0) {
      throw new Error(`Driftgate "${id}": invalid props:\n- ${problems.join('\n- ')}`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;

    const storage = buildStorage(this, {
      signatureRetentionDays: props.signatureRetentionDays,
      reportRetentionDays: props.reportRetentionDays,
      noncurrentVersionRetentionDays: props.noncurrentVersionRetentionDays,
      removalPolicy,
    });
    this.bucket = storage.bucket;
    this.accessLogsBucket = storage.accessLogsBucket;

    const topics = buildTopics(this, { notifyEmail: props.notifyEmail, alarmEmail: props.alarmEmail, removalPolicy });
    this.topicsKey = topics.key;
    this.noticesTopic = topics.noticesTopic;
    this.alarmsTopic = topics.alarmsTopic;
    this.retrainTopic = topics.retrainTopic;
    this.subscriptionDeadLetterQueue = topics.subscriptionDeadLetterQueue;
    const alarmTopic = this.alarmsTopic;

    this.secret = new secretsmanager.Secret(this, 'LinkSigningSecret', {
      description: 'driftgate: HMAC key that signs approve/reject/snooze links',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    acknowledgeLinkSigningSecret(this.secret);

    // ---- ingest: uploads under batches/ -> upload queue -> ingest function ----------------------
    const ingest = buildIngest(this, {
      bucket: this.bucket,
      alarmTopic,
      maxReceiveCount: props.maxReceiveCount,
      logRetention,
    });
    this.uploadQueue = ingest.uploadQueue;
    this.uploadDeadLetterQueue = ingest.uploadDeadLetterQueue;
    this.ingestFunction = ingest.function;

    // ---- decide: the approval endpoint -----------------------------------------------------------
    const reserved = props.decideReservedConcurrency ?? 10;
    const decide = buildDriftgateFunction(this, 'Decide', {
      handler: 'decide',
      bucket: this.bucket,
      alarmTopic,
      memorySize: 512,
      timeout: Duration.seconds(15),
      logRetention,
      // The URL is public: a cap keeps a flood of requests from taking the account's concurrency.
      reservedConcurrentExecutions: reserved === 'off' ? undefined : reserved,
      environment: {
        [ENV.retrainTopicArn]: this.retrainTopic.topicArn,
        [ENV.secretId]: this.secret.secretArn,
      },
    });
    this.decideFunction = decide.function;
    this.decideUrl = this.decideFunction.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    acknowledgeNoDeadLetterQueue(this.decideFunction, 'functionUrl');

    // ---- check: scheduled, with a dead-letter queue for the scheduler and async invocations -------
    // It reads the data and opens proposals, nothing more: no secret, no topic (the gate notifies).
    const checkDlq = deadLetterQueue(this, 'CheckDeadLetterQueue', {
      topic: alarmTopic,
      description: 'driftgate: messages waiting in CheckDeadLetterQueue',
    });
    this.checkDeadLetterQueue = checkDlq.queue;
    const check = buildDriftgateFunction(this, 'Check', {
      handler: 'check',
      bucket: this.bucket,
      alarmTopic,
      memorySize: 1024,
      timeout: Duration.minutes(5),
      logRetention,
      deadLetterQueue: this.checkDeadLetterQueue,
    });
    this.checkFunction = check.function;

    // ---- gate: proposals/ notifications from S3 and its own schedule ------------------------------
    const gateFailures = deadLetterQueue(this, 'GateFailureQueue', {
      topic: alarmTopic,
      description: 'driftgate: a gate invocation failed every attempt (a notice or retrain request may be late); see GateFailureQueue',
    });
    this.gateFailureQueue = gateFailures.queue;
    const gate = buildDriftgateFunction(this, 'Gate', {
      handler: 'gate',
      bucket: this.bucket,
      alarmTopic,
      memorySize: 512,
      timeout: Duration.minutes(2),
      logRetention,
      retryAttempts: 2,
      onFailure: new LambdaSqsDestination(this.gateFailureQueue),
      environment: {
        [ENV.noticesTopicArn]: this.noticesTopic.topicArn,
        [ENV.retrainTopicArn]: this.retrainTopic.topicArn,
        [ENV.secretId]: this.secret.secretArn,
        // Known only after deploy: a CloudFormation reference to the decision function's URL.
        [ENV.decideUrl]: this.decideUrl.url,
      },
    });
    this.gateFunction = gate.function;
    acknowledgeNoDeadLetterQueue(this.gateFunction, 'onFailureDestination');
    // A new proposal's notice goes out when the check writes it, not at the next scheduled run.
    notifyObjectCreated(this.bucket, new LambdaDestination(this.gateFunction), { prefix: KEY_PREFIX.proposals });

    const schedules = buildSchedules(this, {
      checkFunction: this.checkFunction,
      deadLetterQueue: this.checkDeadLetterQueue,
      gate: { function: this.gateFunction, deadLetterQueue: this.gateFailureQueue },
      schedule: props.checkSchedule,
      retryAttempts: props.scheduleRetryAttempts,
    });
    this.checkSchedule = schedules.checkSchedule;
    this.gateSchedule = schedules.gateSchedule;

    // ---- least-privilege access ----------------------------------------------------------------
    // The lists name each prefix a function lists (ListObjectsV2 Prefix); nobody lists the whole bucket.
    const p = KEY_PREFIX;
    grantPrefixes(this.bucket, check.role, {
      read: [p.config, p.references, p.signatures],
      readWrite: [p.state, p.reports, p.proposals, p.decisions],
      // The configs of every model, a model's new batch signatures, its proposals.
      list: [p.config, p.signatures, p.proposals],
    });
    grantPrefixes(this.bucket, gate.role, {
      // reports/: the notice quotes the report JSON.
      read: [p.config, p.reports],
      readWrite: [p.proposals, p.state, p.decisions],
      list: [p.config, p.proposals],
    });
    grantPrefixes(this.bucket, decide.role, {
      // reports/: served through signed links, so the bucket stays private.
      read: [p.reports],
      // config/: an owner's signed accept link writes a suggested change as a new config version (the old one kept).
      readWrite: [p.proposals, p.tokens, p.state, p.decisions, p.config],
    });
    // Only the gate and the decision function hold the key that signs links and may request a retrain.
    this.noticesTopic.grantPublish(this.gateFunction);
    // Veto mode needs proof that a notice can reach a person: the notifier checks for a confirmed subscription.
    this.gateFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sns:ListSubscriptionsByTopic'], resources: [this.noticesTopic.topicArn] }),
    );
    // A veto window can elapse, or a decision's publish fail, with nobody clicking: the gate publishes then.
    this.retrainTopic.grantPublish(this.gateFunction);
    this.retrainTopic.grantPublish(this.decideFunction);
    acknowledgeEncryptedTopicPublish(gate.role);
    acknowledgeEncryptedTopicPublish(decide.role);
    this.secret.grantRead(this.gateFunction);
    this.secret.grantRead(this.decideFunction);

    // A failed decision request still answers (a 500 page), so the function's Errors metric misses it.
    const decisionErrors = driftgateAlarm(this, 'DecisionErrors', {
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: DECISION_ERRORS_METRIC,
        dimensionsMap: { service: SERVICE_NAME.decide },
        period: Duration.minutes(5),
        statistic: 'Sum',
      }),
      description: 'driftgate: the decide function answered a request with an error page',
      topic: alarmTopic,
    });

    // ---- outputs -------------------------------------------------------------------------------
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'Data bucket' });
    new CfnOutput(this, 'DecideUrl', { value: this.decideUrl.url, description: 'Approval endpoint' });
    new CfnOutput(this, 'NoticesTopicArn', { value: this.noticesTopic.topicArn, description: 'Notices for the data owners (proposals, decisions)' });
    new CfnOutput(this, 'AlarmsTopicArn', { value: this.alarmsTopic.topicArn, description: 'Every alarm of the stack, for its operators' });
    new CfnOutput(this, 'RetrainTopicArn', {
      value: this.retrainTopic.topicArn,
      description: `RetrainRequested events; attributes ${RETRAIN_MESSAGE_ATTRIBUTES.join(', ')}. Filter example: ${JSON.stringify(RETRAIN_FILTER_POLICY_EXAMPLE)}`,
    });

    this.adoption = new DriftgateAdoption(this, 'Adoption', { bucket: this.bucket, alarmTopic, logRetention });
    this.eventBus = buildEvents(this, { eventBus: props.eventBus, functions: { check: this.checkFunction, gate: this.gateFunction, decide: this.decideFunction, adopt: this.adoption.function } });
    if (props.scaleOut !== undefined) {
      this.scaleOut = buildScaleOut(this, { ...props.scaleOut, bucket: this.bucket, alarmTopic, logRetention, adoptFunction: this.adoption.function, ingestFunction: this.ingestFunction, eventBus: this.eventBus });
      this.alarms.push(...this.scaleOut.alarms);
    }
    this.alarms.push(
      ...ingest.alarms,
      checkDlq.depthAlarm,
      gateFailures.depthAlarm,
      topics.subscriptionDeadLetterAlarm,
      check.errorsAlarm,
      gate.errorsAlarm,
      decide.errorsAlarm,
      decisionErrors,
      ...this.adoption.alarms,
    );
  }
}
