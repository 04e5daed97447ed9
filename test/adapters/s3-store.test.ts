import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AWS_ENDPOINT_ENV, createS3Client, endpointFromEnv } from '../../functions/adapters/aws-clients.js';
import { contentTypeFor, MAX_S3_KEY_BYTES, S3Store } from '../../functions/adapters/s3-store.js';
import { AdapterError, ConfigError, InvalidInputError } from '../../functions/core/errors.js';
import {
  awsTestClientConfig,
  countRequests,
  injectHttpFault,
  resetMoto,
  s3ErrorXml,
  startMoto,
  type MotoServer,
} from '../support/moto.js';

const BUCKET = 'driftgate-state';
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

let moto: MotoServer;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(awsTestClientConfig(moto.endpoint));
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  await resetMoto(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

describe('Function: S3Store.get / put / list', () => {
  it('round-trips documents under a prefix and lists them sorted, relative to the prefix', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET, 'prod');
    // Act
    await store.put('models/m2/config.json', '{"b":2}');
    await store.put('models/m1/config.json', new TextEncoder().encode('{"a":1}'));
    await store.put('other/x.txt', 'x');
    const got = await store.get('models/m1/config.json');
    const listed = await store.list('models/');
    // Assess
    expect(got && text(got.body)).toBe('{"a":1}');
    expect(got?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(listed).toEqual(['models/m1/config.json', 'models/m2/config.json']);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'prod/models/m1/config.json' }));
    expect(head.ContentType).toBe('application/json');
  });

  it('returns undefined for a missing key', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET);
    // Act
    const got = await store.get('nothing/here.json');
    // Assess
    expect(got).toBeUndefined();
  });

  it('follows ListObjectsV2 pagination to the last page', async () => {
    // Prepare
    const client = new S3Client(awsTestClientConfig(moto.endpoint));
    const pages = countRequests(client, 'ListObjectsV2Command');
    const store = new S3Store(client, BUCKET, '', { listPageSize: 2 });
    const keys = ['sig/m1/0003.json', 'sig/m1/0001.json', 'sig/m1/0010.json', 'sig/m1/0002.json', 'sig/m1/0100.json'];
    await Promise.all(keys.map((key) => store.put(key, '{}')));
    await store.put('sig/m10/0001.json', '{}');
    // Act
    const listed = await store.list('sig/m1/');
    // Assess
    expect(listed).toEqual([...keys].sort());
    expect(pages.count).toBe(3);
  });

  it('uses the put content type when given, and the extension otherwise', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET);
    // Act
    await store.put('reports/r1.html', '<p>hi</p>');
    await store.put('reports/r1.bin', 'x', 'text/csv');
    const html = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'reports/r1.html' }));
    const csv = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'reports/r1.bin' }));
    // Assess
    expect(html.ContentType).toBe('text/html; charset=utf-8');
    expect(csv.ContentType).toBe('text/csv');
    expect(contentTypeFor('a/b.unknown')).toBe('application/octet-stream');
  });

  // Reads take any legal S3 key (see the next describe); the safe-key rule holds for what driftgate writes.
  it('rejects writes of keys with empty, "." or ".." segments, naming the key', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET);
    // Act
    const attempts = ['/abs.json', 'a//b.json', '../up.json', 'a/./b.json'].flatMap((key) => [
      store.put(key, 'x'),
      store.putIfAbsent(key, 'x'),
      store.putIfMatch(key, 'x', '"etag"'),
    ]);
    // Assess
    for (const attempt of attempts) {
      await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(store.put('../up.json', 'x')).rejects.toThrow('../up.json: expected a relative object key');
    await expect(store.put('a/\u0000b.json', 'x')).rejects.toThrow(/control characters/);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount).toBe(0);
  });

  it('wraps a missing bucket in an AdapterError naming the s3 URI, for reads too (not "no such key")', async () => {
    // Prepare
    const store = new S3Store(s3, 'no-such-bucket');
    // Act (settled together: neither rejection may go unobserved while the other is awaited)
    const [write, read] = await Promise.allSettled([store.put('a.json', '{}'), store.get('a.json')]);
    // Assess
    expect(write.status === 'rejected' && String(write.reason.message)).toMatch(/^s3 PutObject s3:\/\/no-such-bucket\/a\.json failed: /);
    expect(read.status === 'rejected' && read.reason).toBeInstanceOf(AdapterError);
    await expect(store.get('a.json')).rejects.toThrow(
      's3 GetObject s3://no-such-bucket/a.json failed: The specified bucket does not exist',
    );
  });
});

describe('Function: S3Store reads of any legal key', () => {
  const upload = async (key: string, body: string): Promise<void> => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  };

  it('gets, opens and lists uploads whose keys have "//", "/./" or "/../" segments', async () => {
    // Prepare: written by another tool (S3 accepts these keys); driftgate only reads them
    const keys = ['batches/m/x//y.parquet', 'batches/m/./z.parquet', 'batches/m/../w.parquet', 'batches/m//lead.parquet'];
    for (const key of keys) await upload(key, `body of ${key}`);
    const store = new S3Store(s3, BUCKET);
    // Act
    const got = await Promise.all(keys.map((key) => store.get(key)));
    const sources = await Promise.all(keys.map((key) => store.open(key)));
    const bytes = await Promise.all(sources.map((source) => source.read(0, source.byteLength)));
    const listed = await store.list('batches/m/');
    // Assess
    expect(got.map((object) => object && text(object.body))).toEqual(keys.map((key) => `body of ${key}`));
    expect(bytes.map(text)).toEqual(keys.map((key) => `body of ${key}`));
    expect(sources.map((source) => source.name)).toEqual(keys.map((key) => `s3://${BUCKET}/${key}`));
    expect(listed).toEqual([...keys].sort());
  });

  it('reads "prod/../x" as the object of that name under the prefix, never as "x" outside it', async () => {
    // Prepare
    await upload('up.json', 'outside the prefix');
    await upload('prod/../up.json', 'inside the prefix');
    const store = new S3Store(s3, BUCKET, 'prod');
    // Act
    const got = await store.get('../up.json');
    const listed = await store.list('../');
    // Assess
    expect(got && text(got.body)).toBe('inside the prefix');
    expect(listed).toEqual(['../up.json']);
  });

  it('refuses, before any request, keys S3 cannot hold: empty, over 1024 UTF-8 bytes, a lone surrogate', async () => {
    // Prepare
    const client = new S3Client(awsTestClientConfig(moto.endpoint));
    const gets = countRequests(client, 'GetObjectCommand');
    const store = new S3Store(client, BUCKET, 'prod/');
    const long = `batches/${'é'.repeat(MAX_S3_KEY_BYTES / 2)}`;
    // Act
    const attempts = [new S3Store(client, BUCKET).get(''), store.get(long), store.open(long), store.list(long), store.get('batches/\ud800.parquet')];
    // Assess
    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.get(long)).rejects.toThrow(/at most 1024 UTF-8 bytes with the store's prefix, got 1037/);
    await expect(store.get('batches/\ud800.parquet')).rejects.toThrow(/lone UTF-16 surrogate/);
    expect(gets.count).toBe(0);
    client.destroy();
  });
});

describe('Function: S3Store.putIfAbsent', () => {
  it('creates once; the second write to the same key returns false and leaves the first body', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET);
    // Act
    const first = await store.putIfAbsent('locks/m1.json', 'first');
    const second = await store.putIfAbsent('locks/m1.json', 'second');
    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    const got = await store.get('locks/m1.json');
    expect(got && text(got.body)).toBe('first');
  });

  it('lets exactly one of several concurrent writers win', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET);
    const bodies = Array.from({ length: 8 }, (_, i) => `writer-${i}`);
    // Act
    const results = await Promise.all(bodies.map((body) => store.putIfAbsent('proposals/m1/p1.json', body)));
    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = bodies[results.indexOf(true)];
    const got = await store.get('proposals/m1/p1.json');
    expect(got && text(got.body)).toBe(winner);
  });

  // moto never answers 409 ConditionalRequestConflict (it serialises requests), so the 409 is injected.
  it('retries after a 409 ConditionalRequestConflict and then writes', async () => {
    // Prepare
    const client = new S3Client(awsTestClientConfig(moto.endpoint));
    const fault = injectHttpFault(client, {
      commandName: 'PutObjectCommand',
      statusCode: 409,
      body: s3ErrorXml('ConditionalRequestConflict', 'A conflicting conditional operation is in progress'),
      times: 2,
    });
    const store = new S3Store(client, BUCKET);
    // Act
    const written = await store.putIfAbsent('locks/m2.json', 'x');
    // Assess
    expect(written).toBe(true);
    expect(fault).toEqual({ seen: 3, injected: 2 });
    const got = await store.get('locks/m2.json');
    expect(got && text(got.body)).toBe('x');
  });

  // moto never answers 409 ConditionalRequestConflict, so the 409 is injected.
  it('returns false when the 409 conflict persists past the retries', async () => {
    // Prepare
    const client = new S3Client(awsTestClientConfig(moto.endpoint));
    const fault = injectHttpFault(client, {
      commandName: 'PutObjectCommand',
      statusCode: 409,
      body: s3ErrorXml('ConditionalRequestConflict', 'A conflicting conditional operation is in progress'),
    });
    const store = new S3Store(client, BUCKET);
    // Act
    const written = await store.putIfAbsent('locks/m3.json', 'x');
    // Assess
    expect(written).toBe(false);
    expect(fault.injected).toBe(4);
    expect(await store.get('locks/m3.json')).toBeUndefined();
  });

  // moto cannot be made to fail with a 500, so the 500 is injected.
  it('wraps a 500 InternalError in an AdapterError that keeps the SDK error as cause', async () => {
    // Prepare
    const client = new S3Client(awsTestClientConfig(moto.endpoint));
    injectHttpFault(client, {
      commandName: 'PutObjectCommand',
      statusCode: 500,
      body: s3ErrorXml('InternalError', 'We encountered an internal error. Please try again.'),
    });
    const store = new S3Store(client, BUCKET);
    // Act
    const error = await store.putIfAbsent('locks/m4.json', 'x').catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as AdapterError).message).toBe(
      's3 PutObject s3://driftgate-state/locks/m4.json failed: We encountered an internal error. Please try again.',
    );
    expect(((error as AdapterError).cause as Error).name).toBe('InternalError');
  });
});

describe('Function: S3Store.putIfMatch', () => {
  it('refuses a stale etag and accepts the fresh one', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET);
    await store.put('state/m1.json', 'v1');
    const v1 = await store.get('state/m1.json');
    const okV2 = await store.putIfMatch('state/m1.json', 'v2', v1!.etag);
    // Act
    const stale = await store.putIfMatch('state/m1.json', 'v3-from-stale-reader', v1!.etag);
    const v2 = await store.get('state/m1.json');
    const fresh = await store.putIfMatch('state/m1.json', 'v3', v2!.etag);
    // Assess
    expect(okV2).toBe(true);
    expect(stale).toBe(false);
    expect(text(v2!.body)).toBe('v2');
    expect(fresh).toBe(true);
    const v3 = await store.get('state/m1.json');
    expect(text(v3!.body)).toBe('v3');
    expect(v3!.etag).not.toBe(v2!.etag);
  });

  it('returns false when the object was deleted (nothing can match) and does not create it', async () => {
    // Prepare
    const store = new S3Store(s3, BUCKET);
    // Act
    const written = await store.putIfMatch('state/gone.json', 'v', '"d41d8cd98f00b204e9800998ecf8427e"');
    // Assess
    expect(written).toBe(false);
    expect(await store.get('state/gone.json')).toBeUndefined();
  });
});

describe('Function: endpointFromEnv / createS3Client', () => {
  it('builds a path-style S3 client from the endpoint override that works against moto', async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    const endpoint = endpointFromEnv({ [AWS_ENDPOINT_ENV]: moto.endpoint });
    const client = createS3Client({ endpoint, region: 'us-east-1' });
    const store = new S3Store(client, BUCKET);
    // Act
    await store.put('env/check.json', '{"ok":true}');
    const got = await store.get('env/check.json');
    // Assess
    expect(endpoint).toBe(moto.endpoint);
    expect(got && text(got.body)).toBe('{"ok":true}');
    client.destroy();
  });

  it('returns undefined when the variable is unset or empty, and names it when it is not an http(s) URL', () => {
    // Prepare
    const bad = { [AWS_ENDPOINT_ENV]: 'ftp://127.0.0.1:21' };
    // Act
    const unset = endpointFromEnv({});
    const empty = endpointFromEnv({ [AWS_ENDPOINT_ENV]: '' });
    const attempt = (): unknown => endpointFromEnv(bad);
    // Assess
    expect(unset).toBeUndefined();
    expect(empty).toBeUndefined();
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DRIFTGATE_AWS_ENDPOINT/);
  });
});

describe('Function: S3Store.get under prefix-scoped list grants', () => {
  // A client stub, because moto does not enforce IAM: in AWS a GetObject of a missing key answers 403
  // (not 404 NoSuchKey) when the role may list the bucket only under an s3:prefix condition.
  function deniedClient(existing: readonly string[], listAllowed = true): S3Client {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    return {
      send: async (command: unknown) => {
        if (command instanceof ListObjectsV2Command) {
          if (!listAllowed) throw denied;
          const prefix = String(command.input.Prefix);
          return { Contents: existing.filter((k) => k.startsWith(prefix)).slice(0, 1).map((Key) => ({ Key })), IsTruncated: false };
        }
        throw denied;
      },
    } as unknown as S3Client;
  }

  it('reads a 403 on a key that the exact-key listing does not show as absent', async () => {
    // Act
    const missing = await new S3Store(deniedClient(['tokens/other']), 'b').get('tokens/abc');

    // Assess
    expect(missing).toBeUndefined();
  });

  it('keeps a 403 an error when the key exists or the role may not list it either', async () => {
    // Act
    const present = new S3Store(deniedClient(['tokens/abc']), 'b').get('tokens/abc');
    const unlisted = new S3Store(deniedClient([], false), 'b').get('tokens/abc');

    // Assess
    await expect(present).rejects.toThrow(AdapterError);
    await expect(unlisted).rejects.toThrow(/GetObject s3:\/\/b\/tokens\/abc/);
  });
});
