/**
 * The HMAC signing secret from Secrets Manager, cached per warm Lambda container for five minutes so a
 * rotation is picked up without a cold start, yet each invocation does not pay a Secrets Manager call.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AdapterError, ConfigError } from '../core/errors.js';
import { errorNameOf } from './aws-clients.js';

/** How long a loaded secret is reused. */
export const SECRET_TTL_MS = 5 * 60 * 1000;

/** Options for loadSecret, mostly for tests. */
export interface LoadSecretOptions {
  /**
   * Clock in epoch milliseconds, used only for cache expiry.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Cache lifetime in milliseconds.
   * @default SECRET_TTL_MS (5 minutes)
   */
  readonly ttlMs?: number;
}

interface CacheEntry {
  readonly value: Promise<Uint8Array>;
  readonly expiresAt: number;
}

const cache = new Map<string, CacheEntry>();

/**
 * Load a secret's bytes (SecretString as UTF-8, or SecretBinary as is), reusing a cached value for 5 minutes.
 * @example
 * const key = await loadSecret(createSecretsManagerClient(), process.env.SIGNING_SECRET_ARN);
 */
export async function loadSecret(
  client: SecretsManagerClient,
  secretId: string,
  options: LoadSecretOptions = {},
): Promise<Uint8Array> {
  const now = (options.now ?? Date.now)();
  const cached = cache.get(secretId);
  if (cached !== undefined && cached.expiresAt > now) return cached.value;
  // Cache the promise, not the value: concurrent callers share one request.
  const value = fetchSecret(client, secretId);
  cache.set(secretId, { value, expiresAt: now + (options.ttlMs ?? SECRET_TTL_MS) });
  value.catch(() => {
    if (cache.get(secretId)?.value === value) cache.delete(secretId);
  });
  return value;
}

/** Forget every cached secret (tests; or after a signature check fails following a rotation). */
export function clearSecretCache(): void {
  cache.clear();
}

async function fetchSecret(client: SecretsManagerClient, secretId: string): Promise<Uint8Array> {
  const source = `secret ${secretId}`;
  let response;
  try {
    response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (error) {
    if (errorNameOf(error) === 'ResourceNotFoundException') {
      // Also the answer for a secret that exists but has no AWSCURRENT value yet.
      const detail = error instanceof Error ? error.message : String(error);
      throw new ConfigError(source, `not found, or without a current value, in Secrets Manager: ${detail}`, {
        cause: error,
      });
    }
    throw new AdapterError('secretsmanager', `GetSecretValue ${secretId}`, { cause: error });
  }
  const bytes =
    response.SecretString !== undefined
      ? new TextEncoder().encode(response.SecretString)
      : response.SecretBinary !== undefined
        ? new Uint8Array(response.SecretBinary)
        : new Uint8Array(0);
  if (bytes.byteLength === 0) {
    throw new ConfigError(source, 'is empty: expected a non-empty signing key');
  }
  return bytes;
}
