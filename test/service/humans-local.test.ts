import path from 'node:path';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { humansFlows } from './humans-flows.js';

// Humans in the loop over the embedded default store (a local folder); humans-s3.test.ts runs the same over S3.
humansFlows('LocalStore', async (dir) => {
  const root = path.join(dir, 'store');
  return { store: new LocalStore(root), another: () => new LocalStore(root) };
});
