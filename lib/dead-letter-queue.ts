import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { driftgateAlarm, queueDepth } from './alarms.js';
import { acknowledgeDeadLetterQueue } from './nag.js';

/** A dead-letter (or on-failure) queue and the alarm on its depth. */
export interface DeadLetterQueue {
  readonly queue: sqs.Queue;
  /** Fires when a message is waiting in the queue. */
  readonly depthAlarm: cloudwatch.Alarm;
}

/**
 * A dead-letter queue (SSE-SQS, TLS only, 14 days) with id `id`, and its depth alarm `<id>Depth`, both in
 * `scope`: nothing reads such a queue, so a waiting message must reach a person.
 */
export function deadLetterQueue(
  scope: Construct,
  id: string,
  alarm: { readonly topic: sns.ITopic; readonly description: string },
): DeadLetterQueue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeDeadLetterQueue(queue);
  const depthAlarm = driftgateAlarm(scope, `${id}Depth`, { metric: queueDepth(queue), ...alarm });
  return { queue, depthAlarm };
}
