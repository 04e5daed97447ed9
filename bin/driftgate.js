#!/usr/bin/env node
// npm bin shim: run the TypeScript CLI through tsx's ESM loader, so `npx driftgate` works from a checkout
// after `npm ci` without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./driftgate.ts');
