import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { type MotoServer, awsTestClientConfig, startMoto } from '../support/moto.js';
import type { ConformanceStore } from './lifecycle-conformance.js';

/**
 * Stores for a flow suite over S3 conditional writes (If-None-Match / If-Match), emulated by moto: starts one
 * moto server for the calling test file and returns an opener giving each flow its own bucket.
 * @example
 * humansFlows('S3Store on moto', motoStores('driftgate-humans'));
 */
export function motoStores(bucketPrefix: string): () => Promise<ConformanceStore> {
  let moto: MotoServer;
  let s3: S3Client;
  let bucketNumber = 0;
  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...awsTestClientConfig(moto.endpoint), maxAttempts: 3 });
  });
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });
  return async () => {
    const bucket = `${bucketPrefix}-${++bucketNumber}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return { store: new S3Store(s3, bucket, 'prod'), another: () => new S3Store(s3, bucket, 'prod') };
  };
}
