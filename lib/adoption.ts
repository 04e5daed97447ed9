import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination as LambdaSqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ADOPTIONS_PREFIX, TRAINING_PREFIX } from '../functions/core/lifecycle/adoption.js';
import { ENV } from '../functions/handlers/env.js';
import { functionBundling } from './bundling.js';
import { grantPrefixes } from './grants.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLER_ENTRY = fileURLToPath(new URL('../functions/handlers/adopt.ts', import.meta.url));

/** Key prefixes the adopt function reads and writes, and why. */
export const ADOPTION_ACCESS = {
  /** Manifests, the model configs, the training data (only `training/`) and the stored signatures (listed to mark them consumed). */
  read: [ADOPTIONS_PREFIX, 'config/', TRAINING_PREFIX, 'signatures/'],
  /** The reference signatures it creates, the state it replaces, the proposal it closes, the log it appends to. */
  readWrite: ['references/', 'state/', 'proposals/', 'decisions/'],
} as const;

/** The same banner as the other functions (lib/driftgate.ts): ESM bundles define require/__filename/__dirname. */

/** Properties of the adoption path. */
export interface DriftgateAdoptionProps {
  /** The data bucket: manifests arrive under `adoptions/`, training data lives under `training/`. */
  readonly bucket: s3.Bucket;
  /** Where the errors and dead-letter alarms notify (the notices topic). */
  readonly alarmTopic: sns.ITopic;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Retries of a failed asynchronous invocation before the event goes to the on-failure queue (0-2).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long Lambda keeps trying an event before it goes to the on-failure queue (1 minute to 6 hours).
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /**
   * Memory of the function in MB: signing the training data streams its columns.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Timeout of one invocation (at most 15 minutes): it signs every training file of the version.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
}

/** Validates props and returns every problem found (empty when the props are usable). */
export function validateDriftgateAdoptionProps(props: DriftgateAdoptionProps): string[] {
  const problems: string[] = [];
  const retries = props.retryAttempts;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 2)) {
    problems.push(`retryAttempts must be an integer from 0 to 2, got ${retries}`);
  }
  const memory = props.memorySize;
  if (memory !== undefined && !Token.isUnresolved(memory) && !(Number.isInteger(memory) && memory >= 128 && memory <= 10_240)) {
    problems.push(`memorySize must be an integer from 128 to 10240 MB, got ${memory}`);
  }
  const age = props.maxEventAge;
  if (age !== undefined && !age.isUnresolved() && (age.toSeconds() < 60 || age.toSeconds() > 6 * 3600)) {
    problems.push(`maxEventAge must be from 1 minute to 6 hours, got ${age.toHumanString()}`);
  }
  const timeout = props.timeout;
  if (timeout !== undefined && !timeout.isUnresolved() && (timeout.toSeconds() < 1 || timeout.toSeconds() > 900)) {
    problems.push(`timeout must be from 1 second to 15 minutes, got ${timeout.toHumanString()}`);
  }
  return problems;
}

/**
 * The adoption path: an upload of `adoptions/<modelId>/<version>.json` invokes the adopt function
 * asynchronously (2 retries, then an encrypted on-failure queue), which installs the version's training
 * data as the model's reference. Its errors and the queue's depth raise alarms on the notices topic.
 *
 * @example
 * new DriftgateAdoption(this, 'Adoption', { bucket: this.bucket, alarmTopic: this.noticesTopic, logRetention });
 */
export class DriftgateAdoption extends Construct {
  public readonly function: NodejsFunction;
  /** Adoption events that failed every attempt (the on-failure destination: the event, the error, the attempts). */
  public readonly failureQueue: sqs.Queue;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DriftgateAdoptionProps) {
    super(scope, id);
    const problems = validateDriftgateAdoptionProps(props);
    if (problems.length > 0) {
      throw new Error(`DriftgateAdoption "${id}": invalid props:\n- ${problems.join('\n- ')}`);
    }
    const { bucket } = props;

    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter (on-failure) queue of the adopt function.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself a dead-letter queue; its depth raises an alarm instead.' },
    );

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy: logs only to its group.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'driftgate adopt function',
    });
    logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(10),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
      onFailure: new LambdaSqsDestination(this.failureQueue),
      environment: {
        [ENV.bucket]: bucket.bucketName,
        POWERTOOLS_SERVICE_NAME: 'driftgate-adopt',
        POWERTOOLS_METRICS_NAMESPACE: 'Driftgate',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: functionBundling(),
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked asynchronously by S3; failed events go to the on-failure destination (an SQS queue), which records the event, the error and the attempts, unlike a classic DLQ.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
    });

    grantPrefixes(bucket, role, ADOPTION_ACCESS);

    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new LambdaDestination(this.function), {
      prefix: ADOPTIONS_PREFIX,
      suffix: '.json',
    });
    acknowledgeNotificationsHandler(Stack.of(this));

    const alarmAction = new SnsAction(props.alarmTopic);
    const errors = this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }).createAlarm(this, 'Errors', {
      alarmDescription: 'driftgate: the adopt function failed (a bad manifest or unreadable training data; it is retried)',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const depth = this.failureQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'FailureQueueDepth', {
        alarmDescription: 'driftgate: an adoption manifest failed every attempt; see the adopt failure queue',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    for (const alarm of [errors, depth]) {
      alarm.addAlarmAction(alarmAction);
      this.alarms.push(alarm);
    }
  }
}


/** Acknowledges findings on the CDK-managed custom resource that configures bucket notifications. */
function acknowledgeNotificationsHandler(stack: Stack): void {
  const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (handler === undefined) return;
  Validations.of(handler).acknowledge(
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
