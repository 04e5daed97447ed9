import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore, contentEtag } from '../../functions/adapters/local-store.js';
import { AdapterError, InvalidInputError } from '../../functions/core/errors.js';

const run = promisify(execFile);
let dir: string;
let store: LocalStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-local-store-'));
  store = new LocalStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: LocalStore', () => {
  it('round-trips documents with a content etag and lists keys under a prefix, sorted, without temp files', async () => {
    // Prepare
    await store.put('state/b.json', '{"b":1}');
    await store.put('state/a.json', new TextEncoder().encode('{"a":1}'));
    await store.put('states/x.json', 'x');
    await store.put('signatures/m/1.json', '1');

    // Act
    const got = await store.get('state/a.json');
    const listed = await store.list('state/');
    const partial = await store.list('sta');
    const missing = await store.get('state/none.json');

    // Assess
    expect(Buffer.from(got?.body ?? []).toString()).toBe('{"a":1}');
    expect(got?.etag).toBe(contentEtag(new TextEncoder().encode('{"a":1}')));
    expect(listed).toEqual(['state/a.json', 'state/b.json']);
    expect(partial).toEqual(['state/a.json', 'state/b.json', 'states/x.json']);
    expect(missing).toBeUndefined();
    expect(await store.list('nothing/')).toEqual([]);
    expect((await readdir(path.join(dir, 'state'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('putIfAbsent creates once; of 20 concurrent creators exactly one wins and its content is whole', async () => {
    // Prepare
    const bodies = Array.from({ length: 20 }, (_, i) => `writer-${i}-${'x'.repeat(10_000)}`);

    // Act
    const results = await Promise.all(bodies.map((b) => store.putIfAbsent('proposals/m/p.json', b)));
    const stored = Buffer.from((await store.get('proposals/m/p.json'))?.body ?? []).toString();

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(stored).toBe(bodies[results.indexOf(true)]);
    expect(await store.putIfAbsent('proposals/m/p.json', 'again')).toBe(false);
  });

  it('putIfMatch replaces only on the current etag, and fails on a missing key', async () => {
    // Prepare
    await store.put('state/m.json', 'v1');
    const v1 = (await store.get('state/m.json'))?.etag ?? '';

    // Act
    const first = await store.putIfMatch('state/m.json', 'v2', v1);
    const stale = await store.putIfMatch('state/m.json', 'v3', v1);
    const absent = await store.putIfMatch('state/none.json', 'v1', v1);

    // Assess
    expect([first, stale, absent]).toEqual([true, false, false]);
    expect(Buffer.from((await store.get('state/m.json'))?.body ?? []).toString()).toBe('v2');
  });

  it('compare-and-swap is atomic across processes: concurrent increments are never lost', async () => {
    // Prepare: 3 processes x 15 read-putIfMatch-retry increments on one counter
    await store.put('state/counter.json', '0');
    const script = path.join(dir, 'increment.mts');
    const storeModule = new URL('../../functions/adapters/local-store.ts', import.meta.url).href;
    await writeFile(
      script,
      `import { LocalStore } from ${JSON.stringify(storeModule)};
const store = new LocalStore(process.argv[2]);
for (let i = 0; i < 15; i++) {
  for (;;) {
    const cur = await store.get('state/counter.json');
    if (await store.putIfMatch('state/counter.json', String(Number(Buffer.from(cur.body).toString()) + 1), cur.etag)) break;
  }
}
`,
    );

    // Act
    await Promise.all([1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', script, dir], { cwd: process.cwd() })));

    // Assess
    expect(Buffer.from((await store.get('state/counter.json'))?.body ?? []).toString()).toBe('45');
  });

  it('open gives a byte source with clamped ranged reads', async () => {
    // Prepare
    await store.put('batches/m/a.bin', new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));

    // Act
    const source = await store.open('batches/m/a.bin');

    // Assess
    expect(source.byteLength).toBe(10);
    expect(source.name).toBe(path.join(dir, 'batches', 'm', 'a.bin'));
    expect([...(await source.read(2, 5))]).toEqual([2, 3, 4]);
    expect([...(await source.read(8, 100))]).toEqual([8, 9]);
    expect((await source.read(12, 20)).length).toBe(0);
    await expect(store.open('batches/m/none.bin')).rejects.toBeInstanceOf(AdapterError);
  });

  it('refuses keys that would leave the folder', async () => {
    // Act / Assess
    for (const key of ['../x', '/etc/passwd', 'a//b', 'a/./b', 'a/.hidden']) {
      await expect(store.put(key, 'x')).rejects.toThrow(/expected a relative key/);
    }
  });

  it.each([
    ['batches/m/x//y.parquet', /batches\/m\/x\/\/y\.parquet: the local folder store cannot hold this key as a file: it has an empty segment/],
    ['batches/m/./z.parquet', /batches\/m\/\.\/z\.parquet: .*a "\." or "\.\." segment/],
    ['batches/m/../../../etc/passwd', /a "\." or "\.\." segment, which a file path resolves to another place/],
    ['batches/m/.z.parquet.lock', /a segment starting with "\."/],
    ['batches/m/a\u0000b.parquet', /^"batches\/m\/a\\u0000b\.parquet": .*NUL/],
    [`batches/m/${'n'.repeat(256)}.parquet`, /longer than 255 bytes/],
    ['', /^"": .*it is empty/],
    ['/etc/passwd', /it is absolute/],
  ])('refuses %j, which no file can stand for, with an InvalidInputError naming the key and why', async (key, message) => {
    // Act
    const attempts = [store.get(key), store.open(key), store.put(key, 'x'), store.putIfAbsent(key, 'x'), store.putIfMatch(key, 'x', 'e')];
    // Assess
    for (const attempt of attempts) {
      const error = await attempt.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).not.toBeInstanceOf(AdapterError);
      expect((error as InvalidInputError).message).toMatch(message);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to list under a prefix whose folders would leave the root or cannot exist', async () => {
    // Prepare
    await store.put('state/a.json', 'a');
    // Act / Assess
    for (const prefix of ['../', 'state/../../', 'a//', './state/']) {
      await expect(store.list(prefix)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await store.list('state/a')).toEqual(['state/a.json']);
  });
});
