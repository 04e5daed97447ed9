import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3Store } from '../../functions/adapters/s3-store.js';
import { type MotoServer, awsTestClientConfig, startMoto } from '../support/moto.js';
import { type ConformanceStore, lifecycleConformance } from './lifecycle-conformance.js';
import { lifecycleRaces } from './lifecycle-races.js';

// The same lifecycle behaviour over S3 conditional writes (If-None-Match / If-Match), emulated by moto.
let moto: MotoServer;
let s3: S3Client;
let bucketNumber = 0;

// Production clients retry transient failures (the SDK's default: 3 attempts); so do these. Under
// concurrent writes moto now and then answers with a body the SDK cannot parse, which a retry absorbs.
const clientConfig = (endpoint: string) => ({ ...awsTestClientConfig(endpoint), maxAttempts: 3 });

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(clientConfig(moto.endpoint));
});
afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

async function openS3(): Promise<ConformanceStore> {
  const bucket = `driftgate-lifecycle-${++bucketNumber}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const clients: S3Client[] = [];
  const another = (): S3Store => {
    const client = new S3Client(clientConfig(moto.endpoint));
    clients.push(client);
    return new S3Store(client, bucket, 'prod');
  };
  return { store: new S3Store(s3, bucket, 'prod'), another, cleanup: async () => clients.forEach((c) => c.destroy()) };
}

lifecycleConformance('S3Store on moto', openS3);
lifecycleRaces('S3Store on moto', openS3);
