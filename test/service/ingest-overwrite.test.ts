import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { parseSignature } from '../../functions/core/signature/index.js';
import { ingestBatch } from '../../functions/service/ingest-batch.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { type MotoServer, awsTestClientConfig, startMoto } from '../support/moto.js';

/** An Arrow IPC batch of `rows` rows (apache-arrow, a real writer). */
const arrow = (rows: number): Uint8Array => tableToIPC(tableFromArrays({ amount: Float64Array.from({ length: rows }, (_, i) => i % 97) }), 'file');

describe('Promise: ingest reads exactly the version the event names (S3 on moto, versioned bucket)', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let repo: ModelRepository;
  const bucket = 'driftgate-overwrite';
  const key = 'batches/fraud/day.arrow';

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(awsTestClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    repo = new ModelRepository(new S3Store(s3, bucket));
    await repo.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' });
  });
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  it('an object overwritten before ingest gives one signature per version, never the new content twice', async () => {
    // Prepare: v1 (300 rows) is overwritten by v2 (500 rows) before either event is processed.
    const v1 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: arrow(300) }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: arrow(500) }));
    const ingest = ingestBatch({ repo, sign: signSources });
    const bare = (etag: string | undefined): string => String(etag).replace(/"/g, '');

    // Act: the two notifications, with the ETag and version id S3 puts in each (ETag unquoted, as S3 sends it).
    const first = await ingest(key, new Date(), { etag: bare(v1.ETag), versionId: String(v1.VersionId) });
    const second = await ingest(key, new Date(), { etag: bare(v2.ETag), versionId: String(v2.VersionId) });

    // Assess
    expect(first.status).toBe('stored');
    expect(second.status).toBe('stored');
    const rows = await Promise.all(
      [first, second].map(async (o) => (o.status === 'stored' ? parseSignature(Buffer.from((await repo.store.get(o.signatureKey))!.body).toString(), o.signatureKey).rowCount : -1)),
    );
    expect(rows).toEqual([300, 500]);
  });

  it('without a version id, an event whose ETag is gone is skipped with its reason, not signed from the newer bytes', async () => {
    // Prepare
    const old = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'batches/fraud/b.arrow', Body: arrow(200) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'batches/fraud/b.arrow', Body: arrow(400) }));

    // Act
    const outcome = await ingestBatch({ repo, sign: signSources })('batches/fraud/b.arrow', new Date(), { etag: String(old.ETag).replace(/"/g, '') });

    // Assess
    expect(outcome).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/no longer stored: it was overwritten or deleted/) });
  });
});
