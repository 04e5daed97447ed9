import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnsEventSink } from '../../functions/adapters/sns-event-sink.js';
import type { RetrainRequested } from '../../functions/core/ports.js';
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

beforeAll(async () => {
  moto = await startMoto();
  sns = new SNSClient(awsTestClientConfig(moto.endpoint));
  sqs = new SQSClient(awsTestClientConfig(moto.endpoint));
});

afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
  await moto?.stop();
});

function retrainEvent(modelId: string, proposalId: string, reason: string): RetrainRequested {
  return {
    type: 'RetrainRequested',
    schemaVersion: 1,
    eventId: `retrain-${proposalId}`,
    modelId,
    proposalId,
    reason,
    at: '2026-11-26T15:00:00.000Z',
    decidedBy: 'alice@example.test',
    evidence: {
      driftedFeatures: [{ name: 'age', score: 0.31, threshold: 0.2 }],
      reportKey: `reports/${modelId}/${proposalId}.html`,
    },
  };
}

async function createTopic(name: string): Promise<string> {
  return (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
}

describe('Function: SnsEventSink.publish', () => {
  it('publishes the event JSON with type, modelId and reason attributes', async () => {
    // Prepare
    const topicArn = await createTopic('retrain-all');
    const { queueUrl } = await subscribeQueue(sns, sqs, topicArn, 'retrain-all-inbox');
    const event = retrainEvent('churn-v3', 'p1', 'approved');
    const sink = new SnsEventSink(sns, topicArn);
    // Act
    const { messageId } = await sink.publish(event);
    const received = await receiveEnvelopes(sqs, queueUrl);
    // Assess
    expect(received).toHaveLength(1);
    expect(received[0].MessageId).toBe(messageId);
    expect(JSON.parse(received[0].Message)).toEqual(event);
    expect(received[0].Subject).toBe('RetrainRequested churn-v3');
    expect(received[0].MessageAttributes).toEqual({
      type: { Type: 'String', Value: 'RetrainRequested' },
      eventId: { Type: 'String', Value: 'retrain-p1' },
      modelId: { Type: 'String', Value: 'churn-v3' },
      reason: { Type: 'String', Value: 'approved' },
    });
  });

  it('lets a subscription filter policy on reason and modelId select events (moto applies filter policies)', async () => {
    // Prepare
    const topicArn = await createTopic('retrain-filtered');
    const approvedOnly = await subscribeQueue(sns, sqs, topicArn, 'approved-only', {
      reason: ['approved'],
      modelId: ['churn-v3', 'fraud-v7'],
    });
    const everything = await subscribeQueue(sns, sqs, topicArn, 'everything');
    const sink = new SnsEventSink(sns, topicArn);
    // Act
    await sink.publish(retrainEvent('churn-v3', 'p1', 'approved'));
    await sink.publish(retrainEvent('churn-v3', 'p2', 'veto-window-elapsed'));
    await sink.publish(retrainEvent('other-model', 'p3', 'approved'));
    await sink.publish(retrainEvent('fraud-v7', 'p4', 'approved'));
    const filtered = await receiveEnvelopes(sqs, approvedOnly.queueUrl);
    const all = await receiveEnvelopes(sqs, everything.queueUrl);
    // Assess
    const proposals = (envelopes: typeof all): string[] =>
      envelopes.map((envelope) => (JSON.parse(envelope.Message) as RetrainRequested).proposalId).sort();
    expect(proposals(filtered)).toEqual(['p1', 'p4']);
    expect(proposals(all)).toEqual(['p1', 'p2', 'p3', 'p4']);
  });
});
