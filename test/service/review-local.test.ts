import path from 'node:path';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { reviewFlows } from './review-flows.js';

// A review round over the embedded default store (a local folder); test/e2e/review.test.ts runs one on moto through the real handlers.
reviewFlows('LocalStore', async (dir) => {
  const root = path.join(dir, 'store');
  return { store: new LocalStore(root), another: () => new LocalStore(root) };
});
