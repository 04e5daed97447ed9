/**
 * Notifier over an SNS topic: the notice text is the message body (e-mail subscribers read it as is),
 * the subject is made SNS-safe, and the model and proposal ids ride along as message attributes.
 *
 * SNS accepts a publish (and returns a MessageId) even when nobody will receive it, and veto mode treats a
 * sent notice as delivered; so a notice is only published once the topic has at least one confirmed
 * subscription (needs `sns:ListSubscriptionsByTopic` on the topic). A positive answer is cached for
 * SUBSCRIPTION_CACHE_MS.
 */
import { ListSubscriptionsByTopicCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AdapterError } from '../core/errors.js';
import type { Notice, Notifier } from '../core/ports.js';
import { NOTICE_SUBJECT_MAX_BYTES, toSubjectAscii } from '../core/report/notice-subject.js';

/** SNS accepts subjects shorter than 100 characters (the notice subject's own budget). */
export const MAX_SUBJECT_LENGTH = NOTICE_SUBJECT_MAX_BYTES;
/** SNS rejects messages larger than 256 KiB; keep headroom for the attributes. */
export const MAX_MESSAGE_BYTES = 250 * 1024;

const FALLBACK_SUBJECT = 'driftgate notice';
/** How long a "the topic has a confirmed subscription" answer is trusted. */
export const SUBSCRIPTION_CACHE_MS = 5 * 60 * 1000;
/** The SubscriptionArn SNS lists for a subscription not confirmed yet. */
const PENDING = 'PendingConfirmation';
const TRUNCATION_MARK = '\n\n[message truncated: it exceeded the SNS size limit]';

/**
 * Publishes notices to one SNS topic.
 * @example
 * const notifier = new SnsNotifier(createSnsClient(), process.env.NOTICES_TOPIC_ARN);
 * const { messageId } = await notifier.send(notice);
 */
export class SnsNotifier implements Notifier {
  private confirmedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: SNSClient,
    readonly topicArn: string,
    /** Milliseconds since epoch, for the subscription cache. @default Date.now */
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Publish the notice; resolves with the SNS message id once SNS accepted it. Throws AdapterError when the
   * topic has no confirmed subscription (nobody would read it, so it must not count as delivered).
   */
  async send(notice: Notice): Promise<{ messageId: string }> {
    const operation = `Publish notice ${notice.proposalId} to ${this.topicArn}`;
    let confirmed: boolean;
    try {
      confirmed = await this.hasConfirmedSubscription();
    } catch (error) {
      throw new AdapterError('sns', operation, { cause: error });
    }
    if (!confirmed) {
      throw new AdapterError('sns', operation, { cause: new Error(`no confirmed subscription on topic ${this.topicArn}`) });
    }
    try {
      const response = await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(notice.subject),
          Message: fitMessage(notice.text),
          MessageAttributes: {
            modelId: { DataType: 'String', StringValue: notice.modelId },
            proposalId: { DataType: 'String', StringValue: notice.proposalId },
          },
        }),
      );
      if (response.MessageId === undefined) throw new Error('response has no MessageId');
      return { messageId: response.MessageId };
    } catch (error) {
      throw new AdapterError('sns', operation, { cause: error });
    }
  }

  /** Whether any subscription of the topic is confirmed (every page read; a yes is cached). */
  private async hasConfirmedSubscription(): Promise<boolean> {
    if (this.clock() < this.confirmedUntil) return true;
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListSubscriptionsByTopicCommand({ TopicArn: this.topicArn, NextToken: nextToken }));
      if ((page.Subscriptions ?? []).some((s) => s.SubscriptionArn !== undefined && s.SubscriptionArn !== PENDING && s.SubscriptionArn.startsWith('arn:'))) {
        this.confirmedUntil = this.clock() + SUBSCRIPTION_CACHE_MS;
        return true;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return false;
  }
}

/**
 * Make a subject SNS accepts: printable ASCII only (accents stripped, anything else replaced), one line,
 * at most 100 characters, never empty.
 */
export function snsSubject(subject: string): string {
  // The notice's subject is already final (noticeSubject); this is the same ASCII rule, as a safety net
  // for any other caller, cut to the SNS limit.
  const ascii = toSubjectAscii(subject);
  if (ascii === '') return FALLBACK_SUBJECT;
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}

/** Cut a message that would exceed the SNS size limit at a character boundary, saying so at the end. */
export function fitMessage(text: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).byteLength <= MAX_MESSAGE_BYTES) return text;
  const budget = MAX_MESSAGE_BYTES - encoder.encode(TRUNCATION_MARK).byteLength;
  const bytes = encoder.encode(text).subarray(0, budget);
  // A cut inside a multi-byte character decodes to U+FFFD at the end; drop it.
  const head = new TextDecoder().decode(bytes).replace(/\uFFFD+$/, '');
  return head + TRUNCATION_MARK;
}
