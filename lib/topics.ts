import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';

/** Properties of the driftgate topics. */
export interface DriftgateTopicsProps {
  /**
   * Email address subscribed to the notices topic (it must confirm the subscription).
   * @default - no subscription; subscribe after deploy
   */
  readonly notifyEmail?: string;
  /**
   * Email address subscribed to the ops alarms topic (it must confirm the subscription).
   * @default - no subscription; subscribe after deploy
   */
  readonly alarmEmail?: string;
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The three topics of driftgate, their key, and the dead-letter queue of their subscriptions. */
export interface DriftgateTopics {
  /** Customer-managed key of the topics. */
  readonly key: kms.Key;
  /** Notices for the data owners: proposals with approve/reject/snooze links, and decisions. Never alarms. */
  readonly noticesTopic: sns.Topic;
  /** Operational alarms (failed functions, waiting dead letters, error pages), for whoever runs driftgate. */
  readonly alarmsTopic: sns.Topic;
  /** `RetrainRequested` events, with `type`, `eventId`, `modelId` and `reason` message attributes for filter policies. */
  readonly retrainTopic: sns.Topic;
  /** Failed deliveries from the SNS subscriptions created here. */
  readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** Fires when a failed delivery waits in the subscription dead-letter queue. */
  readonly subscriptionDeadLetterAlarm: cloudwatch.Alarm;
}

/**
 * Adds the notices, retrain-requests and ops alarms topics (`NoticesTopic`, `RetrainTopic`, `AlarmsTopic`)
 * to `scope`, TLS only and encrypted with one rotating customer key (`TopicsKey`) that CloudWatch alarms
 * of this account may use; the optional email subscriptions redrive failed deliveries to
 * `SubscriptionDeadLetterQueue`, whose depth raises an alarm on the alarms topic. Alarms have a topic of
 * their own so the data owners subscribed to notices get decisions only. They are created in the
 * caller's scope so their logical ids stay those of deployed stacks: a new topic has a new ARN and every
 * subscriber must confirm again.
 *
 * @example
 * const topics = buildTopics(this, { notifyEmail: 'ml-owners@example.com', alarmEmail: 'ml-oncall@example.com' });
 */
export function buildTopics(scope: Construct, props: DriftgateTopicsProps = {}): DriftgateTopics {
  const key = new kms.Key(scope, 'TopicsKey', {
    description: 'driftgate: encrypts the notices, retrain-requests and alarms topics',
    enableKeyRotation: true,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  // CloudWatch alarm actions publish to the encrypted alarms topic.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      // Only this account's alarms (confused-deputy guard).
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  const noticesTopic = new sns.Topic(scope, 'NoticesTopic', {
    displayName: 'driftgate notices',
    masterKey: key,
    enforceSSL: true,
  });
  const retrainTopic = new sns.Topic(scope, 'RetrainTopic', {
    displayName: 'driftgate retrain requests',
    masterKey: key,
    enforceSSL: true,
  });
  const alarmsTopic = new sns.Topic(scope, 'AlarmsTopic', {
    displayName: 'driftgate alarms',
    masterKey: key,
    enforceSSL: true,
  });

  const subscriptionDlq = deadLetterQueue(scope, 'SubscriptionDeadLetterQueue', {
    topic: alarmsTopic,
    description: 'driftgate: messages waiting in SubscriptionDeadLetterQueue',
  });
  if (props.notifyEmail !== undefined) {
    noticesTopic.addSubscription(
      new subscriptions.EmailSubscription(props.notifyEmail, { deadLetterQueue: subscriptionDlq.queue }),
    );
  }
  if (props.alarmEmail !== undefined) {
    alarmsTopic.addSubscription(
      new subscriptions.EmailSubscription(props.alarmEmail, { deadLetterQueue: subscriptionDlq.queue }),
    );
  }
  return {
    key,
    noticesTopic,
    alarmsTopic,
    retrainTopic,
    subscriptionDeadLetterQueue: subscriptionDlq.queue,
    subscriptionDeadLetterAlarm: subscriptionDlq.depthAlarm,
  };
}
