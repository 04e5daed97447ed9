/**
 * Ingest handler: S3 ObjectCreated notifications arrive through SQS; each uploaded batch becomes one
 * signature (the lifecycle reads it through ranged GETs and stores the signature once per upload).
 * A record that fails is reported in `batchItemFailures` (Powertools Batch), so SQS redelivers only it
 * and, after maxReceiveCount, moves it to the dead-letter queue; the other records of the batch succeed.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { IngestOutcome } from '../core/lifecycle/types.js';
import type { ObjectPin } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { METRIC, createTelemetry, recordFailure, recordIngest, type Telemetry } from '../service/logger.js';
import { SERVICE_NAME } from './env.js';
import { type Handler, type PortOrFactory, lambdaEntry, portOf, withTelemetry } from './lambda-entry.js';
import { type S3ObjectRef, objectsOf, s3NotificationSchema, s3TestEventSchema } from './s3-event.js';
import { awsIngest, clientsFromEnv, readFunctionEnv, readScaleOutStart, scaleOutStarter } from './runtime.js';

/** The use case this handler needs. */
export interface IngestPort {
  ingest(key: string, now: Date, opts?: ObjectPin): Promise<IngestOutcome>;
}

/** What the ingest handler is built from. */
export interface IngestDeps {
  /** The use case, built per invocation (cheap) or once. */
  readonly ingest: PortOrFactory<IngestPort>;
  /** The bucket the store reads; notifications for another bucket are refused. */
  readonly bucket: string;
  readonly telemetry: Telemetry;
  /**
   * The clock.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

const sqsEventSchema = z.object({
  Records: z.array(
    z.looseObject({
      messageId: z.string().min(1),
      body: z.string(),
      attributes: z.looseObject({ ApproximateReceiveCount: z.string().optional() }).optional(),
    }),
  ),
});

/** One upload named by an S3 notification. */
export type UploadRef = S3ObjectRef;

/**
 * Parse the body of one SQS message: the uploads it names, or `test-event` for S3's setup message.
 * Throws InvalidInputError naming the message when the body is neither.
 */
export function parseUploadMessage(messageId: string, body: string): UploadRef[] | 'test-event' {
  const source = `SQS message ${messageId}`;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidInputError(source, 'expected a JSON S3 event notification as the message body', { cause: error });
  }
  if (s3TestEventSchema.safeParse(json).success) return 'test-event';
  const parsed = s3NotificationSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInputError(source, `expected an S3 event notification:\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return objectsOf(parsed.data);
}

/**
 * Build the SQS-triggered ingest handler over injected dependencies.
 * @example
 * const handler = makeIngestHandler({ ingest: ingestBatch({ repo }), bucket: 'data', telemetry: createTelemetry('driftgate-ingest') });
 * const { batchItemFailures } = await handler(sqsEvent);
 */
export function makeIngestHandler(deps: IngestDeps): Handler<SQSBatchResponse> {
  const clock = deps.clock ?? (() => new Date());
  const { logger, metrics } = deps.telemetry;
  return withTelemetry(deps.telemetry, async (event) => {
    const sqsEvent = parseWith(sqsEventSchema, event, 'ingest event (SQS)');
    const port = await portOf(deps.ingest);
    // One record at a time (each may read a large batch file); a record whose handler throws is reported
    // in batchItemFailures, and a batch in which every record failed is answered the same way, not thrown.
    const processor = new BatchProcessor(EventType.SQS);
    return processPartialResponse(sqsEvent as unknown as SQSEvent, (record: SQSRecord) => ingestRecord(port, record), processor, {
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
  });

  /** One SQS record: every upload it names is ingested, or it throws (the record is then retried). */
  async function ingestRecord(port: IngestPort, record: SQSRecord): Promise<void> {
    const receiveCount = record.attributes?.ApproximateReceiveCount;
    let uploads: UploadRef[] | 'test-event';
    try {
      uploads = parseUploadMessage(record.messageId, record.body);
    } catch (error) {
      logger.error('unreadable upload message', { messageId: record.messageId, receiveCount, error: errorText(error) });
      recordFailure(metrics, METRIC.ingestFailures);
      throw error;
    }
    if (uploads === 'test-event') {
      logger.info('ignored the S3 test event', { messageId: record.messageId });
      return;
    }
    for (const upload of uploads) {
      if (!(await ingestOne(port, upload, record.messageId, receiveCount))) {
        throw new Error(`could not ingest s3://${upload.bucket}/${upload.key} (message ${record.messageId})`);
      }
    }
  }

  async function ingestOne(
    port: IngestPort,
    upload: UploadRef,
    messageId: string,
    receiveCount: string | undefined,
  ): Promise<boolean> {
    const context = { messageId, receiveCount, bucket: upload.bucket, key: upload.key };
    if (!upload.eventName.startsWith('ObjectCreated:')) {
      logger.info('ignored a non-creation event', { ...context, eventName: upload.eventName });
      return true;
    }
    try {
      if (upload.bucket !== deps.bucket) {
        throw new InvalidInputError(`s3://${upload.bucket}/${upload.key}`, `expected an upload to bucket ${deps.bucket}`);
      }
      const outcome = await port.ingest(upload.key, clock(), { ...(upload.etag ? { etag: upload.etag } : {}), ...(upload.versionId ? { versionId: upload.versionId } : {}) });
      recordIngest(metrics, outcome);
      if (outcome.status === 'ignored') {
        logger.info('upload ignored', { ...context, reason: outcome.reason });
      } else {
        logger.info(outcome.status === 'stored' ? 'signature stored' : 'signature already stored', {
          ...context,
          ...outcome,
        });
      }
      return true;
    } catch (error) {
      // One line that names the object and why; the record is retried, then dead-lettered.
      logger.error(`could not ingest s3://${upload.bucket}/${upload.key}: ${errorText(error)}`, {
        ...context,
        errorName: error instanceof Error ? error.name : typeof error,
      });
      recordFailure(metrics, METRIC.ingestFailures);
      return false;
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<SQSBatchResponse> = lambdaEntry(() => {
  const env = readFunctionEnv('ingest', process.env);
  const clients = clientsFromEnv(process.env);
  const telemetry = createTelemetry(SERVICE_NAME.ingest);
  // Batches over the threshold go to the scale-out state machine when the stack has one (lib/scale-out.ts).
  const scale = readScaleOutStart('ingest', process.env);
  const scaleOut = scale && { thresholdBytes: scale.thresholdBytes, start: scaleOutStarter(scale, process.env) };
  const port = awsIngest({ env, clients, log: (entry) => telemetry.logger.debug('use case', entry), scaleOut });
  return makeIngestHandler({ ingest: port, bucket: env.bucket, telemetry });
});
