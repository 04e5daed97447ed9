import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';

/** Properties of the driftgate topics. */
export interface DriftgateTopicsProps {
  /**
   * Email address subscribed to the notices topic (it must confirm the subscription).
   * @default - no subscription; subscribe after deploy
   */
  readonly notifyEmail?: string;
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The notices and retrain-requests topics, TLS only and encrypted with one rotating customer key that
 * CloudWatch alarms of this account may use; the optional email subscription redrives failed
 * deliveries to a dead-letter queue, whose depth raises an alarm on the notices topic.
 *
 * @example
 * const topics = new DriftgateTopics(this, 'Topics', { notifyEmail: 'ml-oncall@example.com' });
 */
export class DriftgateTopics extends Construct {
  /** Customer-managed key of both topics. */
  public readonly key: kms.Key;
  /** Notices for humans (proposals with approve/reject/snooze links, alarms). */
  public readonly noticesTopic: sns.Topic;
  /** `RetrainRequested` events, with `modelId` and `reason` message attributes for filter policies. */
  public readonly retrainTopic: sns.Topic;
  /** Failed deliveries from the SNS subscriptions this construct creates. */
  public readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** Fires when a failed delivery waits in the subscription dead-letter queue. */
  public readonly subscriptionDeadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DriftgateTopicsProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'driftgate: encrypts the notices and retrain-requests topics',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // CloudWatch alarm actions publish to the encrypted notices topic.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only this account's alarms (confused-deputy guard).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.noticesTopic = new sns.Topic(this, 'Notices', {
      displayName: 'driftgate notices',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.retrainTopic = new sns.Topic(this, 'Retrain', {
      displayName: 'driftgate retrain requests',
      masterKey: this.key,
      enforceSSL: true,
    });

    const subscriptionDlq = deadLetterQueue(this, 'SubscriptionDeadLetterQueue', {
      topic: this.noticesTopic,
      description: 'driftgate: messages waiting in SubscriptionDeadLetterQueue',
    });
    this.subscriptionDeadLetterQueue = subscriptionDlq.queue;
    this.subscriptionDeadLetterAlarm = subscriptionDlq.depthAlarm;
    if (props.notifyEmail !== undefined) {
      this.noticesTopic.addSubscription(
        new subscriptions.EmailSubscription(props.notifyEmail, { deadLetterQueue: this.subscriptionDeadLetterQueue }),
      );
    }
  }
}
