/**
 * The HMAC signing secret from Secrets Manager, cached per warm Lambda container for five minutes so a
 * rotation is picked up without a cold start, yet each invocation does not pay a Secrets Manager call.
 * The cache is Powertools Parameters' (`SecretsProvider`, one per client); this file adds what it lacks:
 * the bytes of a SecretString or SecretBinary checked non-empty before anything is cached, one request
 * shared by concurrent callers, and errors that name the secret.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsGetOptions } from '@aws-lambda-powertools/parameters/secrets/types';
import { AdapterError, ConfigError, DriftgateError } from '../core/errors.js';
import { errorNameOf } from './aws-clients.js';

/** How long a loaded secret is reused. */
export const SECRET_TTL_MS = 5 * 60 * 1000;

/** Options for loadSecret. */
export interface LoadSecretOptions {
  /**
   * Cache lifetime in milliseconds (whole seconds: Powertools' `maxAge`).
   * @default SECRET_TTL_MS (5 minutes)
   */
  readonly ttlMs?: number;
}

/**
 * A SecretsProvider whose values are the key's bytes: an empty or missing value is refused inside the
 * fetch, so Powertools never caches it.
 */
class SigningKeyProvider extends SecretsProvider {
  /** Requests under way, by secret id and max age. */
  readonly inFlight = new Map<string, Promise<Uint8Array>>();

  protected override async _get(name: string, options?: SecretsGetOptions): Promise<Uint8Array> {
    const value = await super._get(name, options);
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array(0);
    if (bytes.byteLength === 0) throw new ConfigError(`secret ${name}`, 'is empty: expected a non-empty signing key');
    return bytes;
  }
}

const providers = new Map<SecretsManagerClient, SigningKeyProvider>();

function providerOf(client: SecretsManagerClient): SigningKeyProvider {
  let provider = providers.get(client);
  if (provider === undefined) {
    provider = new SigningKeyProvider({ awsSdkV3Client: client });
    providers.set(client, provider);
  }
  return provider;
}

/**
 * Load a secret's bytes (SecretString as UTF-8, or SecretBinary as is), reusing a cached value for 5 minutes.
 * @example
 * const key = await loadSecret(createSecretsManagerClient(), process.env.SIGNING_SECRET_ARN);
 */
export function loadSecret(client: SecretsManagerClient, secretId: string, options: LoadSecretOptions = {}): Promise<Uint8Array> {
  const provider = providerOf(client);
  const maxAge = Math.max(1, Math.round((options.ttlMs ?? SECRET_TTL_MS) / 1000));
  // Concurrent callers of a cold (or expired) cache share one request; Powertools would send one each.
  const flightKey = `${secretId}\u0000${maxAge}`;
  const pending = provider.inFlight.get(flightKey);
  if (pending !== undefined) return pending;
  const value = fetchSecret(provider, secretId, maxAge).finally(() => {
    if (provider.inFlight.get(flightKey) === value) provider.inFlight.delete(flightKey);
  });
  provider.inFlight.set(flightKey, value);
  return value;
}

/** Forget every cached secret (tests; or after a signature check fails following a rotation). */
export function clearSecretCache(): void {
  for (const provider of providers.values()) provider.clearCache();
  providers.clear();
}

async function fetchSecret(provider: SigningKeyProvider, secretId: string, maxAge: number): Promise<Uint8Array> {
  try {
    return (await provider.get(secretId, { maxAge })) as Uint8Array;
  } catch (wrapped) {
    // Powertools wraps every failure in a GetParameterError whose cause is the original error.
    const error = wrapped instanceof Error && wrapped.cause !== undefined ? wrapped.cause : wrapped;
    if (error instanceof DriftgateError) throw error;
    if (errorNameOf(error) === 'ResourceNotFoundException') {
      // Also the answer for a secret that exists but has no AWSCURRENT value yet.
      const detail = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`secret ${secretId}`, `not found, or without a current value, in Secrets Manager: ${detail}`, { cause: error });
    }
    throw new AdapterError('secretsmanager', `GetSecretValue ${secretId}`, { cause: error });
  }
}
