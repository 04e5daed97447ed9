import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitMessage, MAX_MESSAGE_BYTES, snsSubject, SnsNotifier } from '../../functions/adapters/sns-notifier.js';
import { AdapterError } from '../../functions/core/errors.js';
import type { Notice } from '../../functions/core/ports.js';
import {
  awsTestClientConfig,
  receiveEnvelopes,
  startMoto,
  subscribeQueue,
  type MotoServer,
} from '../support/moto.js';

let moto: MotoServer;
let sns: SNSClient;
let sqs: SQSClient;
let topicArn: string;
let queueUrl: string;

beforeAll(async () => {
  moto = await startMoto();
  sns = new SNSClient(awsTestClientConfig(moto.endpoint));
  sqs = new SQSClient(awsTestClientConfig(moto.endpoint));
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'driftgate-notices' }))).TopicArn!;
  ({ queueUrl } = await subscribeQueue(sns, sqs, topicArn, 'notices-inbox'));
});

afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
  await moto?.stop();
});

describe('Function: SnsNotifier.send', () => {
  it('publishes the text as the message, a safe subject, and modelId/proposalId attributes', async () => {
    // Prepare
    const notice: Notice = {
      modelId: 'churn-v3',
      proposalId: 'p-2026-11-26-001',
      subject: 'Drift détectée — churn-v3: 4 features drifted',
      text: 'Model churn-v3 drifted.\nApprove: https://example.test/a?sig=1\nReject: https://example.test/r?sig=2',
    };
    const notifier = new SnsNotifier(sns, topicArn);
    // Act
    const { messageId } = await notifier.send(notice);
    const received = await receiveEnvelopes(sqs, queueUrl);
    // Assess
    expect(received).toHaveLength(1);
    const [envelope] = received;
    expect(envelope.MessageId).toBe(messageId);
    expect(envelope.TopicArn).toBe(topicArn);
    expect(envelope.Subject).toBe('Drift detectee - churn-v3: 4 features drifted');
    expect(envelope.Message).toBe(notice.text);
    expect(envelope.MessageAttributes).toEqual({
      modelId: { Type: 'String', Value: 'churn-v3' },
      proposalId: { Type: 'String', Value: 'p-2026-11-26-001' },
    });
  });

  it('cuts a subject longer than 100 characters so SNS accepts it', async () => {
    // Prepare
    const notice: Notice = { modelId: 'm1', proposalId: 'p1', subject: `Drift on ${'x'.repeat(200)}`, text: 'body' };
    const notifier = new SnsNotifier(sns, topicArn);
    // Act
    await notifier.send(notice);
    const [envelope] = await receiveEnvelopes(sqs, queueUrl);
    // Assess
    expect(envelope.Subject).toHaveLength(100);
    expect(envelope.Subject?.endsWith('...')).toBe(true);
    // The raw subject is what SNS (and moto) reject.
    await expect(
      sns.send(new PublishCommand({ TopicArn: topicArn, Subject: notice.subject, Message: 'body' })),
    ).rejects.toThrow(/Subject/);
  });

  it('names the topic and proposal when the topic does not exist', async () => {
    // Prepare
    const missing = topicArn.replace('driftgate-notices', 'no-such-topic');
    const notifier = new SnsNotifier(sns, missing);
    // Act
    const error = await notifier
      .send({ modelId: 'm1', proposalId: 'p9', subject: 's', text: 't' })
      .catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toMatch(new RegExp(`^sns Publish notice p9 to ${missing} failed: `));
  });
});

describe('Function: snsSubject', () => {
  it.each([
    ['plain ASCII stays', 'Drift on m1', 'Drift on m1'],
    ['accents are stripped', 'Dérive modèle', 'Derive modele'],
    ['line breaks become spaces', 'a\r\nb\tc', 'a b c'],
    ['non-Latin characters become ?', 'drift 漂移', 'drift ??'],
    ['emoji become ?', 'drift 🚨', 'drift ?'],
    ['empty becomes a fallback', '  \n ', 'driftgate notice'],
  ])('%s', (_case, input, expected) => {
    // Prepare
    const subject = input;
    // Act
    const safe = snsSubject(subject);
    // Assess
    expect(safe).toBe(expected);
    expect(safe).toMatch(/^[\x20-\x7e]{1,100}$/);
  });
});

describe('Function: fitMessage', () => {
  it('keeps a small message and cuts an oversized one at a character boundary with a marker', () => {
    // Prepare
    const small = 'ok';
    const huge = 'é'.repeat(MAX_MESSAGE_BYTES);
    // Act
    const kept = fitMessage(small);
    const cut = fitMessage(huge);
    // Assess
    expect(kept).toBe('ok');
    expect(new TextEncoder().encode(cut).byteLength).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(cut).not.toContain('\uFFFD');
    expect(cut.endsWith('[message truncated: it exceeded the SNS size limit]')).toBe(true);
  });
});
