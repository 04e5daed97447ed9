/**
 * AWS SDK clients for the adapters, with an optional endpoint override (moto locally, LocalStack, a VPC
 * endpoint). Only handlers and the CLI read the environment; adapters receive ready-made clients.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { parseWith } from '../core/schema-parse.js';

/** Environment variable naming an endpoint that replaces every AWS service endpoint (e.g. `http://127.0.0.1:5000`). */
export const AWS_ENDPOINT_ENV = 'DRIFTGATE_AWS_ENDPOINT' as const;

/** How to build the SDK clients. */
export interface AwsClientOptions {
  /**
   * One endpoint for every service (moto server, LocalStack).
   * @default undefined — the SDK's regional AWS endpoints
   */
  readonly endpoint?: string;
  /**
   * AWS region.
   * @default undefined — the SDK's own resolution (AWS_REGION in Lambda)
   */
  readonly region?: string;
}

/** The SDK clients driftgate uses. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
}

const endpointEnvSchema = z.object({
  [AWS_ENDPOINT_ENV]: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:5000' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
});

/**
 * Read the endpoint override from an environment record (handlers pass `process.env`); undefined when unset.
 * @example
 * const clients = createAwsClients({ endpoint: endpointFromEnv(process.env) });
 */
export function endpointFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return parseWith(endpointEnvSchema, { [AWS_ENDPOINT_ENV]: env[AWS_ENDPOINT_ENV] }, 'environment')[AWS_ENDPOINT_ENV];
}

/** Build an S3 client; an endpoint override switches to path-style addressing, which emulators need. */
export function createS3Client(options: AwsClientOptions = {}): S3Client {
  return new S3Client({ ...baseConfig(options), ...(options.endpoint ? { forcePathStyle: true } : {}) });
}

/** Build an SNS client honouring the endpoint override. */
export function createSnsClient(options: AwsClientOptions = {}): SNSClient {
  return new SNSClient(baseConfig(options));
}

/** Build an SQS client honouring the endpoint override (tests subscribe queues to topics). */
export function createSqsClient(options: AwsClientOptions = {}): SQSClient {
  return new SQSClient(baseConfig(options));
}

/** Build a Secrets Manager client honouring the endpoint override. */
export function createSecretsManagerClient(options: AwsClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient(baseConfig(options));
}

/** Build an EventBridge client honouring the endpoint override (lifecycle events). */
export function createEventBridgeClient(options: AwsClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient(baseConfig(options));
}

/** Build every client driftgate's handlers need, sharing one endpoint override and region. */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  return { s3: createS3Client(options), sns: createSnsClient(options), secrets: createSecretsManagerClient(options) };
}

/** The HTTP status of an SDK service error, if it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** The error code (`name`) of an SDK service error, e.g. `NoSuchKey`, `PreconditionFailed`. */
export function errorNameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function baseConfig(options: AwsClientOptions): { endpoint?: string; region?: string } {
  return {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
  };
}
