import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { KEY_PREFIX } from '../functions/core/constants.js';
import { notifyObjectCreated } from './bucket-notifications.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { buildDriftgateFunction } from './driftgate-function.js';
import { grantPrefixes } from './grants.js';
import { acknowledgeNoDeadLetterQueue, acknowledgeSqsEventSource } from './nag.js';

/** Properties of the ingest path. */
export interface DriftgateIngestProps {
  /** The data bucket: batches arrive under `batches/`, signatures are stored under `signatures/`. */
  readonly bucket: s3.Bucket;
  /** Where the errors and dead-letter alarms notify (the ops alarms topic). */
  readonly alarmTopic: sns.ITopic;
  /**
   * Deliveries of one upload message before it moves to the dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The ingest path's queues, function and alarms. */
export interface DriftgateIngest {
  /** Receives S3 ObjectCreated notifications for `batches/`. */
  readonly uploadQueue: sqs.Queue;
  /** Upload messages that failed `maxReceiveCount` times. */
  readonly uploadDeadLetterQueue: sqs.Queue;
  readonly function: NodejsFunction;
  readonly alarms: cloudwatch.Alarm[];
}

/**
 * Adds the ingest path to `scope`: S3 sends each upload under `batches/` to `UploadQueue` (SSE-SQS,
 * redriven to `UploadDeadLetterQueue`), whose messages the `Ingest` function reads in batches with
 * partial batch responses, storing each batch's signature. Its errors and the dead-letter queue's depth
 * raise alarms. Created in the caller's scope so the queues keep the logical ids of deployed stacks
 * (a replaced queue loses the messages waiting in it).
 *
 * @example
 * buildIngest(this, { bucket, alarmTopic: alarmsTopic, maxReceiveCount: 3 });
 */
export function buildIngest(scope: Construct, props: DriftgateIngestProps): DriftgateIngest {
  const { bucket } = props;
  const timeout = Duration.minutes(2);

  const dlq = deadLetterQueue(scope, 'UploadDeadLetterQueue', {
    topic: props.alarmTopic,
    description: 'driftgate: messages waiting in UploadDeadLetterQueue',
  });
  const uploadQueue = new sqs.Queue(scope, 'UploadQueue', {
    // SSE-SQS: S3 event notifications cannot use the AWS-managed SQS KMS key.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // Lambda's guidance: at least six times the function timeout, so retries are not redelivered early.
    visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
    deadLetterQueue: { queue: dlq.queue, maxReceiveCount: props.maxReceiveCount ?? 3 },
  });
  notifyObjectCreated(bucket, new SqsDestination(uploadQueue), { prefix: KEY_PREFIX.batches });

  const ingest = buildDriftgateFunction(scope, 'Ingest', {
    handler: 'ingest',
    bucket,
    alarmTopic: props.alarmTopic,
    memorySize: 1024,
    timeout,
    logRetention: props.logRetention,
  });
  ingest.function.addEventSource(
    new SqsEventSource(uploadQueue, {
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(5),
      reportBatchItemFailures: true,
    }),
  );
  acknowledgeNoDeadLetterQueue(ingest.function, 'sqsEventSource');
  acknowledgeSqsEventSource(ingest.function);

  const p = KEY_PREFIX;
  grantPrefixes(bucket, ingest.role, {
    read: [p.batches, p.config, p.references, p.state, p.signatures],
    put: [p.signatures],
    // The model configs, to find the model an upload belongs to.
    list: [p.config],
  });
  return {
    uploadQueue,
    uploadDeadLetterQueue: dlq.queue,
    function: ingest.function,
    alarms: [dlq.depthAlarm, ingest.errorsAlarm],
  };
}
