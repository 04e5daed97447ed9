import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand, type ListSubscriptionsByTopicCommandOutput } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitMessage, MAX_MESSAGE_BYTES, snsSubject, SnsNotifier, SUBSCRIPTION_CACHE_MS } from '../../functions/adapters/sns-notifier.js';
import { AdapterError } from '../../functions/core/errors.js';
import type { Notice } from '../../functions/core/ports.js';
import {
  awsTestClientConfig,
  countRequests,
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

  it('cuts a subject to 99 characters so SNS accepts it (Publish: "must be less than 100 characters long")', async () => {
    // Prepare
    const notice: Notice = { modelId: 'm1', proposalId: 'p1', subject: `Drift on ${'x'.repeat(200)}`, text: 'body' };
    const notifier = new SnsNotifier(sns, topicArn);
    // Act
    await notifier.send(notice);
    const [envelope] = await receiveEnvelopes(sqs, queueUrl);
    // Assess
    expect(envelope.Subject).toHaveLength(99);
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

describe('Function: SnsNotifier.send (confirmed subscriptions)', () => {
  const notice: Notice = { modelId: 'm1', proposalId: 'p-sub', subject: 's', text: 't' };

  /**
   * Moto confirms every subscription at once, so a pending one cannot be produced there: this rewrites the
   * listed SubscriptionArns of the pages `pending` selects to 'PendingConfirmation' (the real SNS value).
   */
  function pendingPages(client: SNSClient, pending: (page: ListSubscriptionsByTopicCommandOutput) => boolean): void {
    const stack = client.middlewareStack as unknown as { addRelativeTo(middleware: unknown, options: { name: string; relation: 'before'; toMiddleware: string }): void };
    stack.addRelativeTo(
      (next: (args: unknown) => Promise<{ output: unknown }>, context: { commandName?: string }) => async (args: unknown) => {
        const result = await next(args);
        if (context.commandName !== 'ListSubscriptionsByTopicCommand') return result;
        const output = result.output as ListSubscriptionsByTopicCommandOutput;
        if (pending(output)) for (const sub of output.Subscriptions ?? []) sub.SubscriptionArn = 'PendingConfirmation';
        return result;
      },
      { name: 'pendingPages', relation: 'before', toMiddleware: 'deserializerMiddleware' },
    );
  }

  it('refuses to publish to a topic without any subscription: no MessageId, so veto mode never fires', async () => {
    // Prepare
    const client = new SNSClient(awsTestClientConfig(moto.endpoint));
    const lonely = (await client.send(new CreateTopicCommand({ Name: 'nobody-listens' }))).TopicArn!;
    const publishes = countRequests(client, 'PublishCommand');

    // Act
    const error = await new SnsNotifier(client, lonely).send(notice).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toBe(`sns Publish notice p-sub to ${lonely} failed: no confirmed subscription on topic ${lonely}`);
    expect(publishes.count).toBe(0);
    client.destroy();
  });

  it('refuses when every subscription is still pending confirmation', async () => {
    // Prepare
    const client = new SNSClient(awsTestClientConfig(moto.endpoint));
    const topic = (await client.send(new CreateTopicCommand({ Name: 'pending-only' }))).TopicArn!;
    await client.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'email', Endpoint: 'owner@example.com' }));
    pendingPages(client, () => true);

    // Act
    const error = await new SnsNotifier(client, topic).send(notice).catch((caught: unknown) => caught);

    // Assess
    expect((error as Error).message).toMatch(/no confirmed subscription on topic/);
    client.destroy();
  });

  it('reads every page of subscriptions, and trusts a confirmed one for 5 minutes', async () => {
    // Prepare: 100 pending subscriptions fill the first page; the confirmed ones are on the second.
    const client = new SNSClient(awsTestClientConfig(moto.endpoint));
    const topic = (await client.send(new CreateTopicCommand({ Name: 'paged' }))).TopicArn!;
    for (let i = 0; i < 101; i++) await client.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'email', Endpoint: `u${i}@example.com` }));
    pendingPages(client, (page) => page.NextToken !== undefined);
    const lists = countRequests(client, 'ListSubscriptionsByTopicCommand');
    let now = 1_000_000;
    const notifier = new SnsNotifier(client, topic, () => now);

    // Act
    const first = await notifier.send(notice);
    const listsAfterFirst = lists.count;
    now += SUBSCRIPTION_CACHE_MS - 1;
    await notifier.send(notice);
    const listsWithinCache = lists.count;
    now += 2;
    await notifier.send(notice);

    // Assess
    expect(first.messageId).toMatch(/\S/);
    expect(listsAfterFirst).toBe(2);
    expect(listsWithinCache).toBe(2);
    expect(lists.count).toBe(4);
    client.destroy();
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
    expect(safe).toMatch(/^[\x20-\x7e]{1,99}$/);
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
