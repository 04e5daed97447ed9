/**
 * S3 event notifications, as the ingest function receives them (the body of an SQS message) and as the
 * adopt function does (the event itself): one schema, one test-event rule, one key decoding.
 */
import { z } from 'zod';

/** The message S3 sends once when a notification configuration is saved: there is nothing to process. */
export const s3TestEventSchema = z.looseObject({ Service: z.literal('Amazon S3'), Event: z.literal('s3:TestEvent') });

/** An S3 event notification naming one or more objects. */
export const s3NotificationSchema = z.object({
  Records: z
    .array(
      z.looseObject({
        eventName: z.string(),
        eventTime: z.iso.datetime({ offset: true }).optional(),
        s3: z.looseObject({
          bucket: z.looseObject({ name: z.string().min(1) }),
          object: z.looseObject({ key: z.string().min(1), eTag: z.string().optional(), versionId: z.string().optional(), size: z.number().optional() }),
        }),
      }),
    )
    .min(1),
});

/** One object named by an S3 notification. */
export interface S3ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string;
  /** The version the event is about (the bucket is versioned): ingest reads exactly it. */
  readonly versionId?: string;
  readonly eventName: string;
  readonly eventTime?: string;
}

/** The objects a parsed notification names, with their keys decoded. */
export function objectsOf(notification: z.infer<typeof s3NotificationSchema>): S3ObjectRef[] {
  return notification.Records.map((record) => ({
    bucket: record.s3.bucket.name,
    // S3 URL-encodes keys in notifications, with spaces as '+'.
    key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
    eventName: record.eventName,
    ...(record.s3.object.eTag !== undefined ? { etag: record.s3.object.eTag } : {}),
    ...(record.s3.object.versionId !== undefined ? { versionId: record.s3.object.versionId } : {}),
    ...(record.eventTime !== undefined ? { eventTime: record.eventTime } : {}),
  }));
}
