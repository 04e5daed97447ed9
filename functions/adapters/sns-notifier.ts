/**
 * Notifier over an SNS topic: the notice text is the message body (e-mail subscribers read it as is),
 * the subject is made SNS-safe, and the model and proposal ids ride along as message attributes.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AdapterError } from '../core/errors.js';
import type { Notice, Notifier } from '../core/ports.js';

/** SNS rejects subjects longer than this. */
export const MAX_SUBJECT_LENGTH = 100;
/** SNS rejects messages larger than 256 KiB; keep headroom for the attributes. */
export const MAX_MESSAGE_BYTES = 250 * 1024;

const FALLBACK_SUBJECT = 'driftgate notice';
const TRUNCATION_MARK = '\n\n[message truncated: it exceeded the SNS size limit]';

/**
 * Publishes notices to one SNS topic.
 * @example
 * const notifier = new SnsNotifier(createSnsClient(), process.env.NOTICES_TOPIC_ARN);
 * const { messageId } = await notifier.send(notice);
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    readonly topicArn: string,
  ) {}

  /** Publish the notice; resolves with the SNS message id once SNS accepted it. */
  async send(notice: Notice): Promise<{ messageId: string }> {
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
      throw new AdapterError('sns', `Publish notice ${notice.proposalId} to ${this.topicArn}`, { cause: error });
    }
  }
}

/**
 * Make a subject SNS accepts: printable ASCII only (accents stripped, anything else replaced), one line,
 * at most 100 characters, never empty.
 */
export function snsSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?')
    .trim();
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
