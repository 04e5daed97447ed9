/**
 * EventSink over an SNS topic: retraining systems subscribe to it. The message is the RetrainRequested JSON;
 * `modelId`, `reason` and `type` are also message attributes, so a subscription can filter without parsing.
 *
 * A subscriber that retrains only on human approvals, for two models, sets this subscription FilterPolicy
 * (FilterPolicyScope `MessageAttributes`, the default):
 *
 * ```json
 * { "reason": ["approved"], "modelId": ["churn-v3", "fraud-v7"] }
 * ```
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AdapterError } from '../core/errors.js';
import type { EventSink, RetrainRequested } from '../core/ports.js';
import { snsSubject } from './sns-notifier.js';

/**
 * Publishes RetrainRequested events to one SNS topic.
 * @example
 * const sink = new SnsEventSink(createSnsClient(), process.env.RETRAIN_TOPIC_ARN);
 * await sink.publish(event);
 */
export class SnsEventSink implements EventSink {
  constructor(
    private readonly client: SNSClient,
    readonly topicArn: string,
  ) {}

  /** Publish the event as JSON with filterable attributes; resolves with the SNS message id. */
  async publish(event: RetrainRequested): Promise<{ messageId: string }> {
    try {
      const response = await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(`RetrainRequested ${event.modelId}`),
          Message: JSON.stringify(event),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: event.type },
            eventId: { DataType: 'String', StringValue: event.eventId },
            modelId: { DataType: 'String', StringValue: event.modelId },
            reason: { DataType: 'String', StringValue: event.reason },
          },
        }),
      );
      if (response.MessageId === undefined) throw new Error('response has no MessageId');
      return { messageId: response.MessageId };
    } catch (error) {
      throw new AdapterError('sns', `Publish RetrainRequested ${event.proposalId} to ${this.topicArn}`, {
        cause: error,
      });
    }
  }
}
