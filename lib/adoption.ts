import { Duration, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsDestination as LambdaSqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KEY_PREFIX } from '../functions/core/constants.js';
import { notifyObjectCreated } from './bucket-notifications.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { buildDriftgateFunction } from './driftgate-function.js';
import { grantPrefixes } from './grants.js';
import { acknowledgeNoDeadLetterQueue } from './nag.js';

/** Key prefixes the adopt function reads and writes, and why. */
export const ADOPTION_ACCESS = {
  /** Manifests, the model configs, the training data (only `training/`) and the stored signatures (listed to mark them consumed). */
  read: [KEY_PREFIX.adoptions, KEY_PREFIX.config, KEY_PREFIX.training, KEY_PREFIX.signatures],
  /** The reference signatures it creates, the state it replaces, the proposal it closes, the log it appends to. */
  readWrite: [KEY_PREFIX.references, KEY_PREFIX.state, KEY_PREFIX.proposals, KEY_PREFIX.decisions],
  /** The model configs and a model's batch signatures (the ones the new reference consumes). */
  list: [KEY_PREFIX.config, KEY_PREFIX.signatures],
} as const;

/** Properties of the adoption path. */
export interface DriftgateAdoptionProps {
  /** The data bucket: manifests arrive under `adoptions/`, training data lives under `training/`. */
  readonly bucket: s3.Bucket;
  /** Where the errors and dead-letter alarms notify (the ops alarms topic). */
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
 * data as the model's reference. Its errors and the queue's depth raise alarms on the alarms topic.
 *
 * @example
 * new DriftgateAdoption(this, 'Adoption', { bucket: this.bucket, alarmTopic: this.alarmsTopic, logRetention });
 */
export class DriftgateAdoption extends Construct {
  public readonly function: NodejsFunction;
  /** Adoption events that failed every attempt (the on-failure destination: the event, the error, the attempts). */
  public readonly failureQueue: sqs.Queue;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DriftgateAdoptionProps) {
    super(scope, id);
    const problems = validateDriftgateAdoptionProps(props);
    if (problems.length > 0) {
      throw new Error(`DriftgateAdoption "${id}": invalid props:\n- ${problems.join('\n- ')}`);
    }
    const { bucket } = props;

    const failures = deadLetterQueue(this, 'FailureQueue', {
      topic: props.alarmTopic,
      description: 'driftgate: an adoption manifest failed every attempt; see the adopt failure queue',
    });
    this.failureQueue = failures.queue;

    // Logs, Role, Function and Errors directly in this construct: the ids of deployed stacks.
    const adopt = buildDriftgateFunction(this, '', {
      handler: 'adopt',
      bucket,
      alarmTopic: props.alarmTopic,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(10),
      logRetention: props.logRetention,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
      onFailure: new LambdaSqsDestination(this.failureQueue),
      errorsAlarmDescription: 'driftgate: the adopt function failed (a bad manifest or unreadable training data; it is retried)',
    });
    this.function = adopt.function;
    acknowledgeNoDeadLetterQueue(this.function, 'onFailureDestination');
    grantPrefixes(bucket, adopt.role, ADOPTION_ACCESS);

    notifyObjectCreated(bucket, new LambdaDestination(this.function), { prefix: KEY_PREFIX.adoptions, suffix: '.json' });
    this.alarms = [adopt.errorsAlarm, failures.depthAlarm];
  }
}
