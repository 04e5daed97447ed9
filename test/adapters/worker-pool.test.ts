import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { queueMicrotaskWrapped } from '../../functions/adapters/parquet-wasm-host.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { ITEMS_PER_WORKER, SignWorkerPool, signFilesInWorkers, workerLimit, workerPlan } from '../../functions/adapters/worker-pool.js';
import { AdapterError, ConfigError, InvalidInputError } from '../../functions/core/errors.js';
import type { DatasetSignature, NumericColumnSignature } from '../../functions/core/signature/index.js';
import { writeSeeds } from '../fixtures/hostile/harness.js';
import { tempDir, writeTempFile } from '../support/fixtures.js';
import { centredAgrees, withoutMoments } from '../core/signature/helpers.js';

// The main thread's queueMicrotask before anything in this file ran: the pool must leave it alone.
const originalQueueMicrotask = globalThis.queueMicrotask;

// Written by pyarrow (test/fixtures/scaleout/make-ranges.py): 6400 rows in 16 units of 400 rows, as Parquet,
// an Arrow IPC file and an Arrow IPC stream.
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/scaleout/${name}`, import.meta.url));
const FILES = [fixture('ranges.parquet'), fixture('ranges.arrow'), fixture('ranges.arrows')];
const WORKERS = Math.min(2, workerLimit());

function expectSameSignature(merged: DatasetSignature, whole: DatasetSignature): void {
  expect(withoutMoments(merged)).toBe(withoutMoments(whole));
  expect(centredAgrees(merged, whole)).toBe(true);
  for (const [name, column] of Object.entries(whole.columns)) {
    if (column.kind !== 'numeric') continue;
    const other = merged.columns[name] as NumericColumnSignature;
    expect(Math.abs(other.mean - column.mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(column.mean)));
    expect(Math.abs(other.m2 - column.m2)).toBeLessThanOrEqual(1e-9 * column.m2);
  }
}

const inProcess = async (paths: readonly string[], options: Parameters<typeof signSources>[1] = {}): Promise<DatasetSignature> =>
  signSources(await Promise.all(paths.map((p) => fileByteSource(p))), options);

/** Decode every chunk with parquet-wasm: the decoder whose panics these tests contain. */
const WASM = { parquetDecoder: 'wasm' } as const;
let temp: { dir: string; cleanup: () => Promise<void> };
let panicFile: string;
let seedFile: string;
let pool: SignWorkerPool;

beforeAll(async () => {
  temp = await tempDir('driftgate-workers-');
  // One bit of a zstd data page flipped makes parquet-wasm 0.8 trap inside a wasm-bindgen future (the case
  // of test/adapters/hostile-inputs.test.ts). The native decoder reads that page as a corrupt frame, so the
  // panic cases read it with parquet-wasm (WASM).
  const seeds = writeSeeds(temp.dir);
  seedFile = join(temp.dir, 'seed-v2-zstd.parquet');
  const bytes = seeds.get('seed-v2-zstd.parquet')!.slice();
  bytes[96575 >> 3] ^= 1 << (96575 & 7);
  panicFile = await writeTempFile(temp.dir, 'panic.parquet', bytes);
  pool = new SignWorkerPool(WORKERS);
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await temp?.cleanup();
});

describe('Function: signFilesInWorkers', () => {
  it('signs in worker threads only: the main thread never loads parquet-wasm nor wraps queueMicrotask', async () => {
    // Act
    const signature = await signFilesInWorkers([FILES[0]], { workers: WORKERS, pool });

    // Assess
    expect(signature.rowCount).toBe(6400);
    expect(queueMicrotaskWrapped()).toBe(false);
    expect(globalThis.queueMicrotask).toBe(originalQueueMicrotask);
  });

  it('builds a reference from Parquet, Arrow IPC file and stream equal to the single-process signature', async () => {
    // Prepare
    const progress = new Map<string, number>();

    // Act
    const merged = await signFilesInWorkers(FILES, { workers: WORKERS, pool, histogramBins: 12, onProgress: (p) => progress.set(p.file, p.rowsDone) });

    // Assess: each file's ranges share its first unit's frames, so even the centred sketches are the single pass's own.
    const whole = await inProcess(FILES, { histogramBins: 12 });
    expectSameSignature(merged, whole);
    for (const [name, column] of Object.entries(whole.columns)) {
      if (column.kind === 'numeric') expect(JSON.stringify((merged.columns[name] as NumericColumnSignature).centred)).toBe(JSON.stringify(column.centred));
    }
    expect(merged.rowCount).toBe(3 * 6400);
    expect([...progress.values()]).toEqual([6400, 6400, 6400]);
  });

  it('builds a reference of a far-from-zero column split into ranges that keeps the single pass\'s centred sketch', async () => {
    // Prepare: mean 1000, each row group its own spread (σ 2 to 11), written by pyarrow (make-frames.py)
    const far = fixture('far.parquet');
    const whole = await inProcess([far]);
    expect(Object.values(whole.columns).some((c) => c.kind === 'numeric' && c.centred !== undefined)).toBe(true);

    // Act
    const merged = await signFilesInWorkers([far], { workers: WORKERS, pool });

    // Assess: the ranges chose no frames of their own (which would drop the centred sketch in the merge)
    expectSameSignature(merged, whole);
    for (const [name, column] of Object.entries(whole.columns)) {
      if (column.kind === 'numeric') expect(JSON.stringify((merged.columns[name] as NumericColumnSignature).centred)).toBe(JSON.stringify(column.centred));
    }
  });

  it("signs on a reference's edges and frame equal to the single-process signature", async () => {
    // Prepare
    const reference = await inProcess([FILES[0]]);
    const roles = { cat: 'ignored' } as const;

    // Act
    const merged = await signFilesInWorkers(FILES, { workers: WORKERS, pool, reference, roles });

    // Assess
    expectSameSignature(merged, await inProcess(FILES, { reference, roles }));
    expect(merged.columns.cat).toBeUndefined();
    expect((merged.columns.f64 as NumericColumnSignature).histogram?.edges).toEqual((reference.columns.f64 as NumericColumnSignature).histogram?.edges);
  });

  it('refuses a worker count outside 1 to os.availableParallelism(), and no files', async () => {
    // Act
    const errors = await Promise.all([0, workerLimit() + 1, 1.5].map((workers) => signFilesInWorkers(FILES, { workers }).catch((e: unknown) => e)));
    const none = await signFilesInWorkers([], { workers: 1 }).catch((e: unknown) => e);

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(new RegExp(`^workers: expected a whole number from 1 to ${workerLimit()}`));
    }
    expect(none).toBeInstanceOf(ConfigError);
  });

  it('reports a file that is not a batch with the same InvalidInputError as the single process', async () => {
    // Prepare
    const bad = fixture('../batches/bad-random.bin');

    // Act
    const error = await signFilesInWorkers([FILES[0], bad], { workers: WORKERS, pool }).catch((e: unknown) => e);

    // Assess
    const expected = await inProcess([bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).file).toBe(bad);
    expect((error as Error).message).toBe((expected as Error).message);
  });

  it('fails a panicking file naming it and its row groups; the process and the pool go on', async () => {
    // Prepare
    const replaced = pool.replaced;
    const reference = await inProcess([seedFile]);

    // Act: on a reference, so the file is split into row-group ranges.
    const error = await signFilesInWorkers([seedFile, panicFile], { workers: WORKERS, pool, reference, reader: WASM }).catch((e: unknown) => e);
    const after = await signFilesInWorkers([seedFile], { workers: WORKERS, pool, reference });

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).file).toBe(panicFile);
    expect((error as Error).message).toMatch(/: row groups \[\d, \d\): parquet-wasm panicked \(unreachable\): its pages are corrupt \(the worker was replaced\)$/);
    expect(pool.replaced).toBe(replaced + 1);
    expectSameSignature(after, await inProcess([seedFile], { reference }));
  });
});

describe('Function: workerPlan', () => {
  // Three files of 16 units of 1000 bytes, the last a stream (no units).
  const units = Array.from({ length: 16 }, () => ({ rows: 400, bytes: 1000, decodedBytes: 2000 }));
  const files = [
    { byteLength: 16_000, units },
    { byteLength: 16_000, units },
    { byteLength: 16_000, units: null },
  ];
  const shape = (plan: ReturnType<typeof workerPlan>): unknown[] => plan.map((p) => [p.file, p.item.range?.start, p.item.range?.end]);

  it(`against a reference splits each file into about ${ITEMS_PER_WORKER} items per worker of whole units, a stream into one`, () => {
    // Act
    const plan = workerPlan(['a', 'b', 'c'], files, 2, true);

    // Assess: items of at most 48000 / 8 = 6000 bytes, i.e. 6 units.
    expect(shape(plan)).toEqual([
      [0, 0, 6],
      [0, 6, 12],
      [0, 12, 16],
      [1, 0, 6],
      [1, 6, 12],
      [1, 12, 16],
      [2, undefined, undefined],
    ]);
  });

  it('building a reference, or on one worker, gives one item per file', () => {
    // Act
    const building = workerPlan(['a', 'b', 'c'], files, 2, false);
    const one = workerPlan(['a', 'b', 'c'], files, 1, true);

    // Assess
    for (const plan of [building, one]) expect(shape(plan)).toEqual([[0, 0, 16], [1, 0, 16], [2, undefined, undefined]]);
  });
});

describe('Class: SignWorkerPool', () => {
  it('replaces a worker killed by a wasm panic; its item fails naming the file, the items after it are signed', async () => {
    // Prepare
    const replaced = pool.replaced;

    // Act
    const [panicked, ...next] = await Promise.allSettled([
      pool.sign(panicFile, { start: 0, end: 1 }, {}, { unit: 'row group', reader: WASM }),
      ...Array.from({ length: 2 * WORKERS }, () => pool.sign(seedFile, undefined, {})),
    ]);

    // Assess
    expect(panicked.status).toBe('rejected');
    const error = (panicked as PromiseRejectedResult).reason as InvalidInputError;
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe(`${panicFile}: row groups [0, 1): parquet-wasm panicked (unreachable): its pages are corrupt (the worker was replaced)`);
    const whole = await inProcess([seedFile]);
    for (const result of next) {
      expect(result.status).toBe('fulfilled');
      expectSameSignature((result as PromiseFulfilledResult<DatasetSignature>).value, whole);
    }
    expect(pool.replaced).toBe(replaced + 1);
  });

  it('fails every task with an AdapterError when its workers cannot start, and starts no more', async () => {
    // Prepare
    const missing = new URL('./no-such-worker.js', import.meta.url);
    const broken = new SignWorkerPool(1, { code: missing, eval: false });

    // Act
    const errors = await Promise.all([broken.units(FILES[0]), broken.units(FILES[1])].map((p) => p.catch((e: unknown) => e)));
    await broken.close();

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(AdapterError);
      expect((error as Error).message).toMatch(/^sign worker start failed: /);
    }
    expect(broken.replaced).toBe(0);
  });

});
