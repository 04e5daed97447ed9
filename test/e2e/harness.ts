/**
 * End-to-end harness: the AWS resources of the driftgate stack recreated in moto server (settings read
 * from the synthesized template), an SQS poller that drives the ingest handler the way the Lambda event
 * source mapping does, and a local HTTP server that turns requests into function-URL events.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsTestClientConfig } from '../support/moto.js';
import type { HttpResponse } from '../../functions/handlers/decide.js';
import { ENV } from '../../functions/core/constants.js';

type Json = Record<string, unknown>;

/** What the synthesized template says about the upload path and the schedule. */
export interface StackSettings {
  readonly maxReceiveCount: number;
  readonly notificationEvents: string[];
  readonly notificationFilter: { Key: { FilterRules: { Name: string; Value: string }[] } };
  readonly batchPrefix: string;
  readonly scheduleInput: Json;
}

/** Read the upload-path settings from a synthesized template (no logical ids needed). */
export function settingsFromTemplate(template: Json): StackSettings {
  const resources = Object.values(template.Resources as Record<string, { Type: string; Properties: Json }>);
  const notification = resources.find((r) => r.Type === 'Custom::S3BucketNotifications');
  const queueConfig = (
    notification?.Properties.NotificationConfiguration as { QueueConfigurations: Json[] } | undefined
  )?.QueueConfigurations[0];
  const redrive = resources
    .filter((r) => r.Type === 'AWS::SQS::Queue')
    .map((r) => r.Properties.RedrivePolicy as { maxReceiveCount: number } | undefined)
    .find((p) => p !== undefined);
  const schedule = resources.find((r) => r.Type === 'AWS::Scheduler::Schedule');
  if (queueConfig === undefined || redrive === undefined || schedule === undefined) {
    throw new Error('template lacks the bucket notification, the upload queue redrive policy or the schedule');
  }
  const filter = queueConfig.Filter as StackSettings['notificationFilter'];
  const prefix = filter.Key.FilterRules.find((r) => r.Name === 'prefix')?.Value;
  if (prefix === undefined) throw new Error('the bucket notification has no prefix filter');
  return {
    maxReceiveCount: redrive.maxReceiveCount,
    notificationEvents: queueConfig.Events as string[],
    notificationFilter: filter,
    batchPrefix: prefix,
    scheduleInput: JSON.parse(String((schedule.Properties.Target as Json).Input)) as Json,
  };
}

/** The resources created in moto, and clients pointed at it. */
export interface MotoWorld {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
  readonly bucket: string;
  readonly uploadQueueUrl: string;
  readonly uploadQueueArn: string;
  readonly uploadDlqUrl: string;
  readonly noticesTopicArn: string;
  readonly retrainTopicArn: string;
  readonly noticesInboxUrl: string;
  readonly retrainInboxUrl: string;
  readonly secretId: string;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`no ARN for ${url}`);
  return arn;
}

/**
 * Create the stack's resources in moto: the bucket with its notification to the upload queue (redriving
 * to a DLQ), both topics with SQS subscriptions standing in for humans and a retraining system, and
 * the link-signing secret. `retrainFilterPolicy` is set on the retraining system's subscription.
 */
export async function provisionMoto(
  endpoint: string,
  settings: StackSettings,
  options: { visibilityTimeoutSeconds: number; retrainFilterPolicy: Json },
): Promise<MotoWorld> {
  const config = awsTestClientConfig(endpoint);
  const s3 = new S3Client(config);
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const secrets = new SecretsManagerClient(config);
  const bucket = 'driftgate-data';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'driftgate-upload-dlq' }));
  const uploadDlqUrl = String(dlq.QueueUrl);
  const upload = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'driftgate-upload',
      Attributes: {
        // Short, so a failed record is redelivered within the test; the stack uses 6x the function timeout.
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArn(sqs, uploadDlqUrl),
          maxReceiveCount: settings.maxReceiveCount,
        }),
      },
    }),
  );
  const uploadQueueUrl = String(upload.QueueUrl);
  const uploadQueueArn = await queueArn(sqs, uploadQueueUrl);
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            QueueArn: uploadQueueArn,
            Events: settings.notificationEvents as never,
            Filter: settings.notificationFilter as never,
          },
        ],
      },
    }),
  );

  const noticesTopicArn = String((await sns.send(new CreateTopicCommand({ Name: 'driftgate-notices' }))).TopicArn);
  const retrainTopicArn = String((await sns.send(new CreateTopicCommand({ Name: 'driftgate-retrain' }))).TopicArn);
  const noticesInboxUrl = String((await sqs.send(new CreateQueueCommand({ QueueName: 'humans-inbox' }))).QueueUrl);
  const retrainInboxUrl = String((await sqs.send(new CreateQueueCommand({ QueueName: 'retrainer-inbox' }))).QueueUrl);
  await sns.send(
    new SubscribeCommand({ TopicArn: noticesTopicArn, Protocol: 'sqs', Endpoint: await queueArn(sqs, noticesInboxUrl) }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: retrainTopicArn,
      Protocol: 'sqs',
      Endpoint: await queueArn(sqs, retrainInboxUrl),
      Attributes: { FilterPolicy: JSON.stringify(options.retrainFilterPolicy) },
    }),
  );
  const secretId = 'driftgate-link-signing';
  await secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: randomBytes(32).toString('hex') }));
  return {
    s3,
    sqs,
    sns,
    secrets,
    bucket,
    uploadQueueUrl,
    uploadQueueArn,
    uploadDlqUrl,
    noticesTopicArn,
    retrainTopicArn,
    noticesInboxUrl,
    retrainInboxUrl,
    secretId,
  };
}

/** Messages in a queue, visible or in flight. */
export async function queueDepth(world: MotoWorld, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await world.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Every message currently in a queue (short polls until one comes back empty). */
export async function drain(sqs: SQSClient, queueUrl: string, options: { delete?: boolean } = {}): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    if (options.delete !== false) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: String(m.ReceiptHandle) })),
        }),
      );
    }
  }
}

/** The SQS event Lambda builds from received messages. */
export function sqsEventOf(messages: readonly Message[], queueArnValue: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: String(m.MessageId),
      receiptHandle: String(m.ReceiptHandle),
      body: String(m.Body),
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: m.Attributes?.SenderId ?? 'moto',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? createHash('md5').update(String(m.Body)).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArnValue,
      awsRegion: 'us-east-1',
    })),
  };
}

/**
 * One poll of the event source mapping: receive up to 10 messages, invoke the handler, delete the
 * records it did not report as failed (the failed ones come back after the visibility timeout).
 */
export async function pollOnce(
  world: MotoWorld,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
): Promise<{ received: Message[]; response: SQSBatchResponse | undefined }> {
  const { Messages = [] } = await world.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: world.uploadQueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  if (Messages.length === 0) return { received: [], response: undefined };
  const response = await handler(sqsEventOf(Messages, world.uploadQueueArn));
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = Messages.filter((m) => !failed.has(String(m.MessageId)));
  if (done.length > 0) {
    await world.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: world.uploadQueueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: String(m.ReceiptHandle) })),
      }),
    );
  }
  return { received: Messages, response };
}

/** A running local stand-in for the Lambda function URL. */
export interface FunctionUrlServer {
  readonly url: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Serve a function-URL handler on 127.0.0.1: each request becomes a payload 2.0 event (bodies base64,
 * as function URLs deliver form posts), each response is written back as is.
 */
export async function startFunctionUrlServer(
  handler: (event: unknown) => Promise<HttpResponse>,
): Promise<FunctionUrlServer> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(request);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      const query = Object.fromEntries(url.searchParams);
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ''),
        headers,
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        requestContext: {
          domainName: headers.host ?? '127.0.0.1',
          http: {
            method: request.method ?? 'GET',
            path: url.pathname,
            protocol: 'HTTP/1.1',
            sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId: randomBytes(8).toString('hex'),
          timeEpoch: Date.now(),
        },
        ...(body.length > 0 ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
      };
      const result = await handler(event);
      response.writeHead(result.statusCode, result.headers);
      response.end(result.body);
    })().catch((error: unknown) => {
      response.writeHead(599);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** The environment the stack gives its functions, for a world provisioned in moto and the local decision URL. */
export function functionEnvOf(world: MotoWorld, decideUrl: string): Record<string, string> {
  return {
    [ENV.bucket]: world.bucket,
    [ENV.noticesTopicArn]: world.noticesTopicArn,
    [ENV.retrainTopicArn]: world.retrainTopicArn,
    [ENV.secretId]: world.secretId,
    [ENV.decideUrl]: decideUrl,
  };
}
