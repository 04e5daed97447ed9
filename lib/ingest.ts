import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KEY_PREFIX } from '../functions/core/constants.js';
import { notifyObjectCreated } from './bucket-notifications.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { DriftgateFunction } from './driftgate-function.js';
import { grantPrefixes } from './grants.js';
import { acknowledgeNoDeadLetterQueue, acknowledgeSqsEventSource } from './nag.js';

/** Properties of the ingest path. */
export interface DriftgateIngestProps {
  /** The data bucket: batches arrive under `batches/`, signatures are stored under `signatures/`. */
  readonly bucket: s3.Bucket;
  /** Where the errors and dead-letter alarms notify (the notices topic). */
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

/**
 * The ingest path: S3 sends each upload under `batches/` to the upload queue (SSE-SQS, redriven to a
 * dead-letter queue), whose messages the ingest function reads in batches with partial batch responses,
 * storing each batch's signature. Its errors and the dead-letter queue's depth raise alarms.
 *
 * @example
 * new DriftgateIngest(this, 'Ingest', { bucket, alarmTopic: noticesTopic, maxReceiveCount: 3 });
 */
export class DriftgateIngest extends Construct {
  /** Receives S3 ObjectCreated notifications for `batches/`. */
  public readonly uploadQueue: sqs.Queue;
  /** Upload messages that failed `maxReceiveCount` times. */
  public readonly uploadDeadLetterQueue: sqs.Queue;
  public readonly function: NodejsFunction;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: DriftgateIngestProps) {
    super(scope, id);
    const { bucket } = props;
    const timeout = Duration.minutes(2);

    const dlq = deadLetterQueue(this, 'UploadDeadLetterQueue', {
      topic: props.alarmTopic,
      description: 'driftgate: messages waiting in UploadDeadLetterQueue',
    });
    this.uploadDeadLetterQueue = dlq.queue;
    this.uploadQueue = new sqs.Queue(this, 'UploadQueue', {
      // SSE-SQS: S3 event notifications cannot use the AWS-managed SQS KMS key.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's guidance: at least six times the function timeout, so retries are not redelivered early.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.uploadDeadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 3 },
    });
    notifyObjectCreated(bucket, new SqsDestination(this.uploadQueue), { prefix: KEY_PREFIX.batches });

    const ingest = new DriftgateFunction(this, 'Function', {
      handler: 'ingest',
      bucket,
      alarmTopic: props.alarmTopic,
      memorySize: 1024,
      timeout,
      logRetention: props.logRetention,
    });
    this.function = ingest.function;
    this.function.addEventSource(
      new SqsEventSource(this.uploadQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );
    acknowledgeNoDeadLetterQueue(this.function, 'sqsEventSource');
    acknowledgeSqsEventSource(this.function);

    const p = KEY_PREFIX;
    grantPrefixes(bucket, ingest.role, {
      read: [p.batches, p.config, p.references, p.state, p.signatures],
      put: [p.signatures],
    });
    this.alarms = [dlq.depthAlarm, ingest.errorsAlarm];
  }
}
