import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DriftgateAdoption } from './adoption.js';
import { functionBundling } from './bundling.js';
import { grantPrefixes } from './grants.js';
import { DECISION_ERRORS_METRIC, ENV, SCHEDULE_SOURCE, SERVICE_NAME } from '../functions/handlers/env.js';
import { METRICS_NAMESPACE } from '../functions/service/logger.js';

/** Key prefixes of the data bucket; the IAM grants and the lifecycle rules are scoped by them. */
export const KEY_PREFIX = {
  batches: 'batches/',
  config: 'config/',
  references: 'references/',
  signatures: 'signatures/',
  state: 'state/',
  reports: 'reports/',
  proposals: 'proposals/',
  decisions: 'decisions/',
  tokens: 'tokens/',
} as const;

/** Message attributes every retrain-requests message carries, for subscription filter policies. */
export const RETRAIN_MESSAGE_ATTRIBUTES = ['type', 'modelId', 'reason'] as const;

/**
 * An example SNS filter policy for a retraining system that only wants approved retrains of one model.
 * Subscribe with `{ filterPolicy: RETRAIN_FILTER_POLICY_EXAMPLE }` (attribute-based filtering).
 */
export const RETRAIN_FILTER_POLICY_EXAMPLE = {
  modelId: ['churn-v3'],
  reason: ['approved'],
} as const;


const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLERS_DIR = fileURLToPath(new URL('../functions/handlers/', import.meta.url));


/** Properties of the driftgate app construct. */
export interface DriftgateProps {
  /**
   * EventBridge Scheduler expression for the check run (`rate(...)` or `cron(...)`); each run only
   * checks the models that are due.
   * @default 'rate(1 hour)'
   */
  readonly checkSchedule?: string;
  /**
   * Email address subscribed to the notices topic (it must confirm the subscription).
   * @default - no subscription; subscribe after deploy
   */
  readonly notifyEmail?: string;
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
   * Retries of the scheduler when invoking the check function fails.
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
}

/** Validates props and returns every problem found (empty when the props are usable). */
export function validateDriftgateProps(props: DriftgateProps): string[] {
  const problems: string[] = [];
  const schedule = props.checkSchedule;
  if (schedule !== undefined && !Token.isUnresolved(schedule) && !/^(rate|cron)\(.+\)$/.test(schedule)) {
    problems.push(`checkSchedule must be "rate(...)" or "cron(...)", got "${schedule}"`);
  }
  const email = props.notifyEmail;
  if (email !== undefined && !Token.isUnresolved(email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    problems.push(`notifyEmail must be an email address, got "${email}"`);
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
  return problems;
}

/**
 * The whole driftgate app on AWS: data bucket, upload queue and ingest function, scheduled check,
 * approval endpoint, notice and retrain topics, HMAC secret, alarms.
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
  /** Failed deliveries from the SNS subscriptions this construct creates. */
  public readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** Customer-managed key of both topics. */
  public readonly topicsKey: kms.Key;
  /** Notices for humans (proposals with approve/reject/snooze links, alarms). */
  public readonly noticesTopic: sns.Topic;
  /** `RetrainRequested` events, with `modelId` and `reason` message attributes for filter policies. */
  public readonly retrainTopic: sns.Topic;
  /** HMAC key that signs decision links. */
  public readonly secret: secretsmanager.Secret;
  public readonly ingestFunction: NodejsFunction;
  public readonly checkFunction: NodejsFunction;
  public readonly decideFunction: NodejsFunction;
  /** Public URL of the decision endpoint (protected by the signed tokens it checks). */
  public readonly decideUrl: lambda.FunctionUrl;
  public readonly checkSchedule: scheduler.Schedule;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The adoption path: manifests under `adoptions/` install a model's (new) reference. */
  public readonly adoption: DriftgateAdoption;

  constructor(scope: Construct, id: string, props: DriftgateProps = {}) {
    super(scope, id);
    const problems = validateDriftgateProps(props);
    if (problems.length > 0) {
      throw new Error(`Driftgate "${id}": invalid props:\n- ${problems.join('\n- ')}`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const maxReceiveCount = props.maxReceiveCount ?? 3;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;

    // ---- storage -------------------------------------------------------------------------------
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy,
      autoDeleteObjects: false,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log destination; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Data', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules: [
        {
          id: 'expire-signatures',
          prefix: KEY_PREFIX.signatures,
          expiration: Duration.days(props.signatureRetentionDays ?? 400),
        },
        {
          id: 'expire-reports',
          prefix: KEY_PREFIX.reports,
          expiration: Duration.days(props.reportRetentionDays ?? 400),
        },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionRetentionDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });

    // ---- queues --------------------------------------------------------------------------------
    const dlq = (queueId: string): sqs.Queue => {
      const queue = new sqs.Queue(this, queueId, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue.',
      });
      Validations.of(queue).acknowledge({
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; its depth raises an alarm instead.',
      });
      return queue;
    };
    this.uploadDeadLetterQueue = dlq('UploadDeadLetterQueue');
    this.checkDeadLetterQueue = dlq('CheckDeadLetterQueue');
    this.subscriptionDeadLetterQueue = dlq('SubscriptionDeadLetterQueue');

    const ingestTimeout = Duration.minutes(2);
    this.uploadQueue = new sqs.Queue(this, 'UploadQueue', {
      // SSE-SQS: S3 event notifications cannot use the AWS-managed SQS KMS key.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance: at least six times the function timeout, so retries are not redelivered early.
      visibilityTimeout: Duration.seconds(ingestTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.uploadDeadLetterQueue, maxReceiveCount },
    });
    this.bucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new SqsDestination(this.uploadQueue),
      { prefix: KEY_PREFIX.batches },
    );

    // ---- topics and secret ---------------------------------------------------------------------
    this.topicsKey = new kms.Key(this, 'TopicsKey', {
      description: 'driftgate: encrypts the notices and retrain-requests topics',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch alarm actions publish to the encrypted notices topic.
    this.topicsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only this account's alarms (confused-deputy guard).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.noticesTopic = new sns.Topic(this, 'NoticesTopic', {
      displayName: 'driftgate notices',
      masterKey: this.topicsKey,
      enforceSSL: true,
    });
    if (props.notifyEmail !== undefined) {
      this.noticesTopic.addSubscription(
        new subscriptions.EmailSubscription(props.notifyEmail, {
          deadLetterQueue: this.subscriptionDeadLetterQueue,
        }),
      );
    }
    this.retrainTopic = new sns.Topic(this, 'RetrainTopic', {
      displayName: 'driftgate retrain requests',
      masterKey: this.topicsKey,
      enforceSSL: true,
    });

    this.secret = new secretsmanager.Secret(this, 'LinkSigningSecret', {
      description: 'driftgate: HMAC key that signs approve/reject/snooze links',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the link-signing key invalidates every outstanding approval link; rotate by hand between proposals.',
    });

    // ---- functions -----------------------------------------------------------------------------
    const common = {
      BUCKET: this.bucket.bucketName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    };
    this.ingestFunction = this.makeFunction('Ingest', {
      entry: 'ingest.ts',
      memorySize: 1024,
      timeout: ingestTimeout,
      logRetention,
      environment: { ...common, POWERTOOLS_SERVICE_NAME: SERVICE_NAME.ingest },
    });
    this.decideFunction = this.makeFunction('Decide', {
      entry: 'decide.ts',
      memorySize: 512,
      timeout: Duration.seconds(15),
      logRetention,
      environment: {
        ...common,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME.decide,
        [ENV.retrainTopicArn]: this.retrainTopic.topicArn,
        [ENV.secretId]: this.secret.secretArn,
      },
    });
    this.decideUrl = this.decideFunction.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    this.checkFunction = this.makeFunction('Check', {
      entry: 'check.ts',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      logRetention,
      deadLetterQueue: this.checkDeadLetterQueue,
      environment: {
        ...common,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME.check,
        [ENV.noticesTopicArn]: this.noticesTopic.topicArn,
        [ENV.retrainTopicArn]: this.retrainTopic.topicArn,
        [ENV.secretId]: this.secret.secretArn,
        // Known only after deploy: a CloudFormation reference to the decision function's URL.
        [ENV.decideUrl]: this.decideUrl.url,
      },
    });

    this.ingestFunction.addEventSource(
      new SqsEventSource(this.uploadQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );
    Validations.of(this.ingestFunction).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'SQS event source mappings do not support on-failure destinations; the upload queue redrives to its dead-letter queue.',
    });

    // ---- least-privilege access ----------------------------------------------------------------
    const p = KEY_PREFIX;
    grantPrefixes(this.bucket, roleOf(this.ingestFunction), {
      read: [p.batches, p.config, p.references, p.state, p.signatures],
      put: [p.signatures],
    });
    grantPrefixes(this.bucket, roleOf(this.checkFunction), {
      read: [p.config, p.references, p.signatures],
      readWrite: [p.state, p.reports, p.proposals, p.decisions],
    });
    grantPrefixes(this.bucket, roleOf(this.decideFunction), {
      // reports/: served through signed links, so the bucket stays private.
      read: [p.reports],
      readWrite: [p.proposals, p.tokens, p.state, p.decisions],
    });
    this.noticesTopic.grantPublish(this.checkFunction);
    // Veto mode needs proof that a notice can reach a person: the notifier checks for a confirmed subscription.
    this.checkFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sns:ListSubscriptionsByTopic'], resources: [this.noticesTopic.topicArn] }),
    );
    // The veto window can elapse during a scheduled check, which then emits the retrain event itself.
    this.retrainTopic.grantPublish(this.checkFunction);
    this.retrainTopic.grantPublish(this.decideFunction);
    for (const fn of [this.checkFunction, this.decideFunction]) {
      Validations.of(fn.role as iam.IRole).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to a KMS-encrypted topic needs GenerateDataKey* on the topics key only.',
      });
    }
    this.secret.grantRead(this.checkFunction);
    this.secret.grantRead(this.decideFunction);

    // ---- schedule ------------------------------------------------------------------------------
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'driftgate: lets EventBridge Scheduler invoke the check function',
    });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.checkFunction.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason: 'Invoke grant covers the check function and its versions only.',
    });
    this.checkSchedule = new scheduler.Schedule(this, 'CheckSchedule', {
      description: 'driftgate: run the drift check for the models that are due',
      schedule: scheduler.ScheduleExpression.expression(props.checkSchedule ?? 'rate(1 hour)'),
      target: new LambdaInvoke(this.checkFunction, {
        role: schedulerRole,
        retryAttempts: props.scheduleRetryAttempts ?? 2,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.checkDeadLetterQueue,
        input: scheduler.ScheduleTargetInput.fromObject({
          source: SCHEDULE_SOURCE,
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
          executionId: scheduler.ContextAttribute.executionId,
        }),
      }),
    });

    // ---- alarms --------------------------------------------------------------------------------
    const alarmAction = new SnsAction(this.noticesTopic);
    const queues: [string, sqs.Queue][] = [
      ['UploadDeadLetterQueue', this.uploadDeadLetterQueue],
      ['CheckDeadLetterQueue', this.checkDeadLetterQueue],
      ['SubscriptionDeadLetterQueue', this.subscriptionDeadLetterQueue],
    ];
    for (const [name, queue] of queues) {
      const alarm = queue
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
        .createAlarm(this, `${name}Depth`, {
          alarmDescription: `driftgate: messages waiting in ${name}`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      alarm.addAlarmAction(alarmAction);
      this.alarms.push(alarm);
    }
    const functions: [string, NodejsFunction][] = [
      ['Ingest', this.ingestFunction],
      ['Check', this.checkFunction],
      ['Decide', this.decideFunction],
    ];
    for (const [name, fn] of functions) {
      const alarm = fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }).createAlarm(this, `${name}Errors`, {
        alarmDescription: `driftgate: the ${name.toLowerCase()} function failed`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(alarmAction);
      this.alarms.push(alarm);
    }

    // A failed decision request still answers (a 500 page), so the function's Errors metric misses it.
    const decisionErrors = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: DECISION_ERRORS_METRIC,
      dimensionsMap: { service: SERVICE_NAME.decide },
      period: Duration.minutes(5),
      statistic: 'Sum',
    }).createAlarm(this, 'DecisionErrors', {
      alarmDescription: 'driftgate: the decide function answered a request with an error page',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    decisionErrors.addAlarmAction(alarmAction);
    this.alarms.push(decisionErrors);

    // ---- outputs -------------------------------------------------------------------------------
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'Data bucket' });
    new CfnOutput(this, 'DecideUrl', { value: this.decideUrl.url, description: 'Approval endpoint' });
    new CfnOutput(this, 'NoticesTopicArn', { value: this.noticesTopic.topicArn, description: 'Notices for humans' });
    new CfnOutput(this, 'RetrainTopicArn', {
      value: this.retrainTopic.topicArn,
      description:
        'RetrainRequested events; attributes modelId, reason. Filter example: {"modelId":["churn-v3"],"reason":["approved"]}',
    });

    this.adoption = new DriftgateAdoption(this, 'Adoption', { bucket: this.bucket, alarmTopic: this.noticesTopic, logRetention });
    this.alarms.push(...this.adoption.alarms);
    this.acknowledgeFrameworkFindings();
  }

  /** A NodejsFunction bundled locally with esbuild (never Docker), with its own role and log group. */
  private makeFunction(
    name: string,
    options: {
      entry: string;
      memorySize: number;
      timeout: Duration;
      logRetention: logs.RetentionDays;
      environment: Record<string, string>;
      deadLetterQueue?: sqs.IQueue;
    },
  ): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${name}Logs`, {
      retention: options.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy: logs only to its group.
    const role = new iam.Role(this, `${name}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `driftgate ${name.toLowerCase()} function`,
    });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, `${name}Function`, {
      entry: `${HANDLERS_DIR}${options.entry}`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: options.memorySize,
      timeout: options.timeout,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: options.deadLetterQueue,
      environment: options.environment,
      bundling: functionBundling(),
    });
    if (options.deadLetterQueue === undefined) {
      Validations.of(fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          name === 'Ingest'
            ? 'Invoked synchronously by the SQS event source; failed messages go to the upload queue dead-letter queue.'
            : 'Invoked synchronously through its function URL; the caller sees the failure.',
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
    });
    return fn;
  }

  /** Acknowledges findings on resources CDK itself creates (custom resources, scheduler role). */
  private acknowledgeFrameworkFindings(): void {
    const stack = Stack.of(this);
    const notificationsHandler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (notificationsHandler !== undefined) {
      Validations.of(notificationsHandler).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'CDK-managed custom resource that configures the bucket notification (not our code).',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'CDK-managed custom resource: s3:PutBucketNotification needs the bucket set at deploy time.',
        },
      );
    }
  }
}

function roleOf(fn: NodejsFunction): iam.IRole {
  if (fn.role === undefined) throw new Error(`${fn.node.path} has no role`);
  return fn.role;
}
