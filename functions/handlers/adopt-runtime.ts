/**
 * Wiring of the adopt function: its environment (only the bucket) and a Lifecycle over S3 that can adopt
 * and set references but cannot notify, emit retrain events or sign links. Kept beside runtime.ts (whose
 * FunctionRole covers ingest/check/decide) so the adopt function gets exactly what it needs.
 */
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { S3Store } from '../adapters/s3-store.js';
import { ConfigError } from '../core/errors.js';
import type { EventSink, Notifier } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { Lifecycle } from '../service/lifecycle.js';
import { ENV } from './env.js';

const adoptEnvSchema = z.object({
  [ENV.bucket]: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
});

/** The validated environment of the adopt function. */
export interface AdoptEnv {
  readonly bucket: string;
}

/**
 * Validate the adopt function's environment; throws ConfigError naming every missing or bad variable.
 * @example
 * const { bucket } = readAdoptEnv(process.env);
 */
export function readAdoptEnv(env: Readonly<Record<string, string | undefined>>): AdoptEnv {
  const parsed = parseWith(adoptEnvSchema, env, 'environment of the adopt function');
  return { bucket: parsed[ENV.bucket] };
}

/** Where a placeholder decision URL points: adopting never renders a notice, so no link is ever built. */
export const ADOPT_PLACEHOLDER_DECIDE_URL = 'https://adopt-function.invalid';

/** The adopt function's lifecycle and the store it reads manifests from. */
export interface AdoptRuntime {
  readonly lifecycle: Lifecycle;
  readonly store: S3Store;
}

/**
 * Build the adopt function's Lifecycle over S3. It has no topics and no secret: the notifier and the
 * event sink refuse loudly, and the HMAC key is random per process because adopt/setReference never
 * sign or verify a decision token (a link signed with it would be useless anywhere else, by design).
 * @example
 * const { lifecycle, store } = adoptRuntime({ bucket: 'data', s3: new S3Client({}) });
 */
export function adoptRuntime(options: {
  readonly bucket: string;
  readonly s3: S3Client;
  readonly log?: (entry: Record<string, unknown>) => void;
}): AdoptRuntime {
  const store = new S3Store(options.s3, options.bucket);
  const notifier: Notifier = {
    send: () => Promise.reject(new ConfigError('adopt function', 'has no notices topic: it must not send notices')),
  };
  const events: EventSink = {
    publish: () => Promise.reject(new ConfigError('adopt function', 'has no retrain topic: it must not emit retrain events')),
  };
  const lifecycle = new Lifecycle({
    store,
    notifier,
    events,
    secret: randomBytes(32),
    decideBaseUrl: ADOPT_PLACEHOLDER_DECIDE_URL,
    log: options.log,
  });
  return { lifecycle, store };
}
