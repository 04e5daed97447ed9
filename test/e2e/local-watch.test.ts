import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/moto.js';
import { cli, pyarrowBatches } from './local-support.js';

// The real CLI in child processes (`driftgate watch`), a real local store, real pyarrow files dropped into
// the watched folder: complete ones (copied under a temporary name, then renamed in place), a half-written
// one (its first half, a pause of several scans, then the rest), a corrupt one, and a copy of one.

/** A running `driftgate watch` and what it printed so far. */
interface Watch {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const SETTLE = '2s';

function startWatch(store: string, folder: string, extra: string[] = []): Watch {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin', 'driftgate.js'), 'watch', '--store', store, '--batches', folder, '--every', '3s', '--settle', SETTLE, '--port', '0', ...extra],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const w: Watch = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.on('data', (c: Buffer) => (w.stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (w.stderr += c.toString()));
  return w;
}

/** Wait until `test` holds (checked every 100 ms), or fail after `ms` with what the process printed. */
async function until(test: () => boolean | Promise<boolean>, ms: number, w?: Watch): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${ms} ms${w ? `\nstdout:\n${w.stdout}\nstderr:\n${w.stderr}` : ''}`);
}

async function signatures(store: string): Promise<string[]> {
  return readdir(path.join(store, 'signatures', 'fraud')).catch(() => []);
}

async function outbox(store: string): Promise<string[]> {
  return readdir(path.join(store, 'outbox')).catch(() => []);
}

let batches: string;
let store: string;
let folder: string;
let first: Watch;

beforeAll(async () => {
  batches = await pyarrowBatches();
  const root = await mkdtemp(path.join(tmpdir(), 'driftgate-watch-'));
  store = path.join(root, 'store');
  folder = path.join(root, 'incoming');
  await mkdir(folder);
  // Initialised two hours ago, so the first check (due 1h after init) is due as soon as batches arrive.
  const init = await cli(['init', '--store', store, '--model', 'fraud', path.join(batches, 'reference.parquet')], new Date(Date.now() - 2 * 3_600_000));
  if (init.code !== 0) throw new Error(init.stderr);
}, 120_000);

afterAll(async () => {
  first?.child.kill('SIGKILL');
  await rm(path.dirname(store), { recursive: true, force: true });
  await rm(batches, { recursive: true, force: true });
});

describe('driftgate watch: folder watcher, check timer and server in one process', () => {
  it('ingests each good file once (incl. one written in two halves), logs the corrupt one by name, and notifies once', async () => {
    // Prepare: one batch already waiting when the watcher starts (a restart after downtime).
    await copyFile(path.join(batches, 'drift-1.parquet'), path.join(folder, 'drift-1.parquet'));
    const half = await readFile(path.join(batches, 'drift-2.parquet'));
    first = startWatch(store, folder);
    await until(() => /driftgate watching/.test(first.stdout), 30_000, first);

    // Act: the half-written one; the corrupt one by rename in place; a copy of the first, renamed in place too.
    const handle = await open(path.join(folder, 'drift-2.parquet'), 'w');
    await handle.write(half.subarray(0, Math.floor(half.length / 2)));
    await handle.sync();
    await new Promise((r) => setTimeout(r, 700)); // several scans see it half-written (shorter than --settle)
    await handle.write(half.subarray(Math.floor(half.length / 2)));
    await handle.close();
    await copyFile(path.join(batches, 'corrupt.parquet'), path.join(folder, '.corrupt.parquet.tmp'));
    await rename(path.join(folder, '.corrupt.parquet.tmp'), path.join(folder, 'corrupt.parquet'));
    await copyFile(path.join(batches, 'drift-1.parquet'), path.join(folder, 'copy-of-drift-1.parquet.part'));
    await rename(path.join(folder, 'copy-of-drift-1.parquet.part'), path.join(folder, 'copy-of-drift-1.parquet'));
    await until(async () => (await signatures(store)).length >= 2 && /corrupt\.parquet/.test(first.stderr), 60_000, first);
    await until(async () => (await outbox(store)).length >= 1, 60_000, first);
    await new Promise((r) => setTimeout(r, 2500)); // another settle period and scan: nothing more may happen

    // Assess
    expect(await signatures(store)).toHaveLength(2);
    expect(first.stdout.match(/^ingested /gm)).toHaveLength(2);
    expect(first.stdout).toContain('ingested ');
    expect(first.stdout).not.toMatch(/ingested .*copy-of-drift-1/);
    expect(first.stderr.match(/corrupt\.parquet: /g)).toHaveLength(1);
    expect(first.stderr).not.toMatch(/drift-2\.parquet/);
    expect(await outbox(store)).toHaveLength(1);
    expect(first.stdout).toMatch(/retrain proposal \S+, expires/);
    expect(first.stdout.match(/^notice for model fraud/gm)).toHaveLength(1);
    expect(first.stdout).toMatch(/Approve retraining: http:\/\/127\.0\.0\.1:\d+\/decide\?token=/);
  }, 120_000);

  it('a second watch on the same store adds nothing', async () => {
    // Prepare
    const before = { signatures: await signatures(store), outbox: await outbox(store), batches: await readdir(path.join(store, 'batches', 'fraud')) };

    // Act
    const second = startWatch(store, folder, ['--no-serve']);
    await until(() => /driftgate watching/.test(second.stdout), 30_000, second);
    await until(() => /corrupt\.parquet: /.test(second.stderr), 30_000, second); // it has scanned and settled
    await new Promise((r) => setTimeout(r, 1000));
    second.child.kill('SIGINT');
    const code = await second.exited;

    // Assess
    expect(code).toBe(0);
    expect(second.stdout).not.toMatch(/^ingested /m);
    expect(second.stdout).not.toMatch(/^notice for model/m);
    expect(await signatures(store)).toEqual(before.signatures);
    expect(await outbox(store)).toEqual(before.outbox);
    expect(await readdir(path.join(store, 'batches', 'fraud'))).toEqual(before.batches);
  }, 90_000);

  it('Ctrl-C stops it cleanly; a restart resumes without re-ingesting or re-notifying, and takes a new file', async () => {
    // Act
    first.child.kill('SIGINT');
    const code = await first.exited;
    const again = startWatch(store, folder);
    await until(() => /driftgate watching/.test(again.stdout), 30_000, again);
    await writeFile(path.join(folder, 'reference-again.parquet'), await readFile(path.join(batches, 'reference.parquet')));
    await until(async () => (await signatures(store)).length >= 3, 60_000, again);
    again.child.kill('SIGINT');
    const againCode = await again.exited;

    // Assess
    expect(code).toBe(0);
    expect(first.stdout).toMatch(/stopped \(SIGINT\)/);
    expect(againCode).toBe(0);
    expect(again.stdout.match(/^ingested /gm)).toHaveLength(1);
    expect(again.stdout).toMatch(/^ingested .*reference-again\.parquet/m);
    expect(again.stdout).not.toMatch(/^notice for model/m);
    expect(await outbox(store)).toHaveLength(1);
  }, 90_000);

  it('a missing batches folder or store is one line naming it, exit 2', async () => {
    // Act
    const noFolder = await cli(['watch', '--store', store, '--batches', path.join(folder, 'missing')]);
    const noStore = await cli(['watch', '--store', path.join(store, 'missing'), '--batches', folder]);

    // Assess
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr.trim().split('\n')).toHaveLength(1);
    expect(noFolder.stderr).toContain(path.join(folder, 'missing'));
    expect(noFolder.stderr).toContain('batches folder does not exist');
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toContain('store folder does not exist');
  });
});
