import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearSecretCache, loadSecret, SECRET_TTL_MS } from '../../functions/adapters/secret.js';
import { AdapterError, ConfigError } from '../../functions/core/errors.js';
import { awsTestClientConfig, countRequests, injectHttpFault, startMoto, type MotoServer } from '../support/moto.js';

let moto: MotoServer;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  moto = await startMoto();
  secrets = new SecretsManagerClient(awsTestClientConfig(moto.endpoint));
});

afterAll(async () => {
  secrets?.destroy();
  await moto?.stop();
});

beforeEach(() => {
  clearSecretCache();
});

afterEach(() => {
  vi.useRealTimers();
});

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('Function: loadSecret', () => {
  it('loads a SecretString as UTF-8 bytes', async () => {
    // Prepare
    await secrets.send(new CreateSecretCommand({ Name: 'driftgate/signing-1', SecretString: 's3cr3t-κλειδί' }));
    // Act
    const key = await loadSecret(secrets, 'driftgate/signing-1');
    // Assess
    expect(text(key)).toBe('s3cr3t-κλειδί');
  });

  it('loads a SecretBinary as is', async () => {
    // Prepare
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    await secrets.send(new CreateSecretCommand({ Name: 'driftgate/signing-bin', SecretBinary: bytes }));
    // Act
    const key = await loadSecret(secrets, 'driftgate/signing-bin');
    // Assess
    expect([...key]).toEqual([0, 1, 2, 250, 255]);
  });

  it('reuses the cached value within the TTL and reloads after it, picking up a rotation', async () => {
    // Prepare: only Date is faked (Powertools' cache reads Date.now); timers and the SDK run for real.
    const client = new SecretsManagerClient(awsTestClientConfig(moto.endpoint));
    const calls = countRequests(client, 'GetSecretValueCommand');
    await client.send(new CreateSecretCommand({ Name: 'driftgate/signing-2', SecretString: 'v1' }));
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    // Act
    const first = await loadSecret(client, 'driftgate/signing-2');
    await client.send(new PutSecretValueCommand({ SecretId: 'driftgate/signing-2', SecretString: 'v2' }));
    vi.setSystemTime(start + SECRET_TTL_MS - 1);
    const cached = await loadSecret(client, 'driftgate/signing-2');
    vi.setSystemTime(start + SECRET_TTL_MS + 1);
    const reloaded = await loadSecret(client, 'driftgate/signing-2');
    // Assess
    expect(text(first)).toBe('v1');
    expect(text(cached)).toBe('v1');
    expect(text(reloaded)).toBe('v2');
    expect(calls.count).toBe(2);
    client.destroy();
  });

  it('shares one request between concurrent callers', async () => {
    // Prepare
    const client = new SecretsManagerClient(awsTestClientConfig(moto.endpoint));
    const calls = countRequests(client, 'GetSecretValueCommand');
    await client.send(new CreateSecretCommand({ Name: 'driftgate/signing-3', SecretString: 'k' }));
    // Act
    const keys = await Promise.all([1, 2, 3].map(() => loadSecret(client, 'driftgate/signing-3')));
    // Assess
    expect(keys.map(text)).toEqual(['k', 'k', 'k']);
    expect(calls.count).toBe(1);
    client.destroy();
  });

  it('names the secret id when it does not exist, and does not cache the failure', async () => {
    // Prepare
    const secretId = 'driftgate/absent';
    // Act
    const error = await loadSecret(secrets, secretId).catch((caught: unknown) => caught);
    await secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: 'now-here' }));
    const later = await loadSecret(secrets, secretId);
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^secret driftgate\/absent: not found, or without a current value, in Secrets Manager: .+/,
    );
    expect(text(later)).toBe('now-here');
  });

  it('names the secret id when the secret exists without a value', async () => {
    // Prepare
    await secrets.send(new CreateSecretCommand({ Name: 'driftgate/no-value' }));
    // Act
    const error = await loadSecret(secrets, 'driftgate/no-value').catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe('secret driftgate/no-value');
    expect((error as Error).message).toContain('without a current value');
  });

  // moto stores an empty SecretString as "no value", so an empty value is injected as a canned 200 response.
  it('names the secret id when its value is empty', async () => {
    // Prepare
    const client = new SecretsManagerClient(awsTestClientConfig(moto.endpoint));
    injectHttpFault(client, {
      commandName: 'GetSecretValueCommand',
      statusCode: 200,
      contentType: 'application/x-amz-json-1.1',
      body: JSON.stringify({ Name: 'driftgate/empty', SecretString: '', VersionId: 'v1' }),
    });
    // Act
    const error = await loadSecret(client, 'driftgate/empty').catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('secret driftgate/empty: is empty: expected a non-empty signing key');
    client.destroy();
  });

  // moto cannot be made to throttle, so the ThrottlingException is injected.
  it('wraps throttling in an AdapterError naming the secret id', async () => {
    // Prepare
    const client = new SecretsManagerClient(awsTestClientConfig(moto.endpoint));
    injectHttpFault(client, {
      commandName: 'GetSecretValueCommand',
      statusCode: 400,
      contentType: 'application/x-amz-json-1.1',
      body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
    });
    // Act
    const error = await loadSecret(client, 'driftgate/any').catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toBe('secretsmanager GetSecretValue driftgate/any failed: Rate exceeded');
    client.destroy();
  });
});
