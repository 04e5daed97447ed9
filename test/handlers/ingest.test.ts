import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, InvalidInputError } from '../../functions/core/errors.js';
import { makeIngestHandler, parseUploadMessage } from '../../functions/handlers/ingest.js';
import { FIXTURES, localWorld, quietTelemetry, type LocalWorld } from './support.js';

const BUCKET = 'data-bucket';

/** An S3 notification body; `eTag` is the object's version as the store knows it (ingest reads exactly that version). */
function s3Body(key: string, eventName = 'ObjectCreated:Put', bucket = BUCKET, eTag = '0123abcd'): string {
  return JSON.stringify({
    Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName, s3: { bucket: { name: bucket }, object: { key, eTag, size: 1 } } }],
  });
}

describe('Function: parseUploadMessage', () => {
  it('recognises the S3 test event', () => {
    // Act
    const parsed = parseUploadMessage('m1', JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: 'x', Bucket: BUCKET }));

    // Assess
    expect(parsed).toBe('test-event');
  });

  it('decodes URL-encoded keys, with "+" as a space and encoded slashes', () => {
    // Act
    const parsed = parseUploadMessage('m1', s3Body('batches%2Ffraud%2Fday+1%3Dok.parquet'));

    // Assess
    expect(parsed).toEqual([{ bucket: BUCKET, key: 'batches/fraud/day 1=ok.parquet', etag: '0123abcd', eventName: 'ObjectCreated:Put' }]);
  });

  it('names the message when the body is not JSON or not an S3 event', () => {
    // Act
    const notJson = (): unknown => parseUploadMessage('msg-7', 'hello');
    const notS3 = (): unknown => parseUploadMessage('msg-8', '{"Records":[{"eventName":"x"}]}');

    // Assess
    expect(notJson).toThrow(InvalidInputError);
    expect(notJson).toThrow(/SQS message msg-7: expected a JSON S3 event notification/);
    expect(notS3).toThrow(/SQS message msg-8: expected an S3 event notification[\s\S]*Records\[0\]\.s3/);
  });
});

describe('Function: makeIngestHandler', () => {
  let world: LocalWorld;
  let etags: { good: string; bad: string };

  beforeEach(async () => {
    world = localWorld();
    await world.store.put('config/fraud.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' }));
    await world.store.put('batches/fraud/good.parquet', readFileSync(join(FIXTURES, 'gzip-plain.parquet')));
    await world.store.put('batches/fraud/bad.parquet', readFileSync(join(FIXTURES, 'bad-truncated.parquet')));
    etags = { good: (await world.store.get('batches/fraud/good.parquet'))!.etag, bad: (await world.store.get('batches/fraud/bad.parquet'))!.etag };
  });

  afterEach(() => world.cleanup());

  it('fails only the record whose file is corrupt, logging its key and reason; the others succeed', async () => {
    // Prepare
    const telemetry = quietTelemetry('ingest-test');
    const errors = vi.spyOn(telemetry.logger, 'error');
    const handler = makeIngestHandler({ ingest: world.lifecycle, bucket: BUCKET, telemetry, clock: () => new Date('2026-01-01T00:00:00Z') });

    // Act
    const response = await handler({
      Records: [
        { messageId: 'test', body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }) },
        { messageId: 'good', body: s3Body('batches/fraud/good.parquet', undefined, undefined, etags.good) },
        { messageId: 'bad', body: s3Body('batches/fraud/bad.parquet', undefined, undefined, etags.bad), attributes: { ApproximateReceiveCount: '2' } },
        { messageId: 'other-model', body: s3Body('batches/nobody/x.parquet') },
        { messageId: 'removed', body: s3Body('batches/fraud/good.parquet', 'ObjectRemoved:Delete') },
      ],
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(await world.store.list('signatures/fraud/')).toHaveLength(1);
    expect(errors).toHaveBeenCalledTimes(1);
    const [line, context] = errors.mock.calls[0] as [string, Record<string, unknown>];
    expect(line).toMatch(/^could not ingest s3:\/\/data-bucket\/batches\/fraud\/bad\.parquet: .*truncated/);
    expect(context).toMatchObject({ messageId: 'bad', key: 'batches/fraud/bad.parquet', receiveCount: '2' });
  });

  it('refuses uploads to another bucket and unreadable messages, record by record', async () => {
    // Prepare
    const handler = makeIngestHandler({ ingest: world.lifecycle, bucket: BUCKET, telemetry: quietTelemetry('ingest-test') });

    // Act
    const response = await handler({
      Records: [
        { messageId: 'elsewhere', body: s3Body('batches/fraud/good.parquet', 'ObjectCreated:Put', 'other-bucket') },
        { messageId: 'garbage', body: 'not json' },
        { messageId: 'good', body: s3Body('batches/fraud/good.parquet', undefined, undefined, etags.good) },
      ],
    });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'elsewhere' }, { itemIdentifier: 'garbage' }]);
    expect(await world.store.list('signatures/fraud/')).toHaveLength(1);
  });

  it('answers a batch in which every record failed with every record in batchItemFailures, not by throwing (Powertools Batch)', async () => {
    // Prepare
    const handler = makeIngestHandler({ ingest: world.lifecycle, bucket: BUCKET, telemetry: quietTelemetry('ingest-test') });

    // Act
    const response = await handler({
      Records: [
        { messageId: 'garbage-1', body: 'not json' },
        { messageId: 'garbage-2', body: '{"Records": "nope"}' },
      ],
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbage-1' }, { itemIdentifier: 'garbage-2' }] });
  });

  it('stores a re-delivered notification once', async () => {
    // Prepare
    const handler = makeIngestHandler({ ingest: world.lifecycle, bucket: BUCKET, telemetry: quietTelemetry('ingest-test') });
    const record = { messageId: 'a', body: s3Body('batches/fraud/good.parquet', undefined, undefined, etags.good) };

    // Act
    await handler({ Records: [record] });
    const again = await handler({ Records: [{ ...record, messageId: 'b' }] });

    // Assess
    expect(again.batchItemFailures).toEqual([]);
    expect(await world.store.list('signatures/fraud/')).toHaveLength(1);
  });

  it('skips, with its reason, an event whose version was overwritten before it was read (never signs the newer bytes)', async () => {
    // Prepare: the event names the old content; the object now holds other bytes.
    const handler = makeIngestHandler({ ingest: world.lifecycle, bucket: BUCKET, telemetry: quietTelemetry('ingest-test') });
    await world.store.put('batches/fraud/good.parquet', readFileSync(join(FIXTURES, 'gzip-dict.parquet')));

    // Act
    const response = await handler({ Records: [{ messageId: 'old', body: s3Body('batches/fraud/good.parquet', undefined, undefined, etags.good) }] });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await world.store.list('signatures/fraud/')).toHaveLength(0);
  });

  it('rejects an event that is not an SQS event as a whole', async () => {
    // Prepare
    const handler = makeIngestHandler({ ingest: world.lifecycle, bucket: BUCKET, telemetry: quietTelemetry('ingest-test') });

    // Act
    const act = handler({ detail: {} });

    // Assess
    await expect(act).rejects.toThrow(ConfigError);
    await expect(handler({ detail: {} })).rejects.toThrow(/ingest event \(SQS\)[\s\S]*Records/);
  });
});
