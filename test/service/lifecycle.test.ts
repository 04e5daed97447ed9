import path from 'node:path';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { lifecycleConformance } from './lifecycle-conformance.js';
import { lifecycleRaces } from './lifecycle-races.js';

// The whole lifecycle over the embedded default store (a local folder); lifecycle-s3.test.ts runs the same over S3.
lifecycleConformance('LocalStore', async (dir) => {
  const root = path.join(dir, 'store');
  return { store: new LocalStore(root), another: () => new LocalStore(root) };
});

lifecycleRaces('LocalStore', async (dir) => {
  const root = path.join(dir, 'store');
  return { store: new LocalStore(root), another: () => new LocalStore(root) };
});
