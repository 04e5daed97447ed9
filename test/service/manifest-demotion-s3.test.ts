import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { type MotoServer, awsTestClientConfig, startMoto } from '../support/moto.js';
import type { ConformanceStore } from './lifecycle-conformance.js';
import { manifestDemotionFlows } from './manifest-demotion-flows.js';

// Over S3 conditional writes, emulated by moto.
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

async function openS3(): Promise<ConformanceStore> {
  const bucket = `driftgate-manifest-${++bucketNumber}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { store: new S3Store(s3, bucket, 'prod'), another: () => new S3Store(s3, bucket, 'prod') };
}

manifestDemotionFlows('S3Store on moto', openS3);
