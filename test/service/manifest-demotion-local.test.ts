import path from 'node:path';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { manifestDemotionFlows } from './manifest-demotion-flows.js';

// Over the local folder store; manifest-demotion-s3.test.ts runs the same over S3 (moto).
manifestDemotionFlows('LocalStore', async (dir) => {
  const root = path.join(dir, 'store');
  return { store: new LocalStore(root), another: () => new LocalStore(root) };
});
