import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, type PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeSink } from '../../functions/adapters/eventbridge-sink.js';
import { DETAIL_TYPE, EVENT_SOURCE } from '../../functions/core/constants.js';
import { AdapterError } from '../../functions/core/errors.js';
import type { LifecycleEvent } from '../../functions/core/events/lifecycle.js';
import { awsTestClientConfig, startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let events: EventBridgeClient;
let sqs: SQSClient;

beforeAll(async () => {
  moto = await startMoto();
  events = new EventBridgeClient(awsTestClientConfig(moto.endpoint));
  sqs = new SQSClient(awsTestClientConfig(moto.endpoint));
});

afterAll(async () => {
  events?.destroy();
  sqs?.destroy();
  await moto?.stop();
});

/** A queue that a rule on `bus` feeds with every driftgate event; its URL. */
async function ruleToQueue(bus: string, name: string): Promise<string> {
  const queueUrl = String((await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl);
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  await events.send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }) }));
  await events.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'queue', Arn: arn }] }));
  return queueUrl;
}

async function received(queueUrl: string): Promise<Record<string, unknown>[]> {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (out.Messages ?? []).map((m) => JSON.parse(String(m.Body)) as Record<string, unknown>);
}

const closed: LifecycleEvent = {
  type: 'DataQualityIncidentClosed',
  schemaVersion: 1,
  eventId: 'incident-closed-fraud-i1',
  modelId: 'fraud',
  at: '2026-11-26T15:00:00.000Z',
  incidentId: 'i1',
  openedAt: '2026-11-25T15:00:00.000Z',
};

describe('Class: EventBridgeSink', () => {
  it.each(['driftgate-events', 'default'])('puts an event on the %s bus with source driftgate, its versioned detail-type and the event as detail', async (bus) => {
    // Prepare
    if (bus !== 'default') await events.send(new CreateEventBusCommand({ Name: bus }));
    const queueUrl = await ruleToQueue(bus, `to-queue-${bus}`);
    const sink = new EventBridgeSink(events, bus);

    // Act
    const { messageId } = await sink.publish(closed);
    const [message, ...rest] = await received(queueUrl);

    // Assess
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ id: messageId, source: EVENT_SOURCE, 'detail-type': DETAIL_TYPE.DataQualityIncidentClosed, detail: closed });
  });

  it('fails with AdapterError naming the event and the bus when the bus does not exist', async () => {
    // Prepare
    const sink = new EventBridgeSink(events, 'no-such-bus');

    // Act
    const error = await sink.publish(closed).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toMatch(/^eventbridge PutEvents DataQualityIncidentClosed incident-closed-fraud-i1 to bus no-such-bus failed: /);
  });

  it('treats a 200 answer whose entry failed (FailedEntryCount 1) as a failure', async () => {
    // Prepare: a stand-in client, because moto stores every well-formed entry (even one over AWS's 256 KB
    // limit) and fails only malformed details, which JSON.stringify never produces. AWS answers this way to
    // a throttled or refused entry.
    const sent: PutEventsCommand[] = [];
    const failing = new EventBridgeSink(
      { send: (command: PutEventsCommand) => (sent.push(command), Promise.resolve({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] })) } as unknown as EventBridgeClient,
      'default',
    );

    // Act
    const error = await failing.publish(closed).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toBe(
      'eventbridge PutEvents DataQualityIncidentClosed incident-closed-fraud-i1 to bus default failed: the entry was not stored (ThrottlingException: Rate exceeded)',
    );
    expect(sent).toHaveLength(1);
  });
});
