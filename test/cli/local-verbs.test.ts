import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../functions/cli/args.js';
import { cli, pyarrowBatches } from '../e2e/local-support.js';
import { runCliProcess } from '../support/cli.js';

// The local verbs in-process over a real local store and real pyarrow files (test/e2e/make-batches.py).

let batches: string;
let root: string;
let store: string;

beforeAll(async () => {
  batches = await pyarrowBatches();
  root = await mkdtemp(path.join(tmpdir(), 'driftgate-verbs-'));
  store = path.join(root, 'store');
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(batches, { recursive: true, force: true });
});

async function signatures(model: string): Promise<string[]> {
  return readdir(path.join(store, 'signatures', model)).catch(() => []);
}

describe('Commands: init, ingest, run on a local store', () => {
  it('init writes the config and the first reference; running it again changes nothing', async () => {
    // Act
    const first = await cli(['init', '--store', store, '--model', 'fraud', path.join(batches, 'reference.parquet')]);
    const again = await cli(['init', '--store', store, '--model', 'fraud', path.join(batches, 'reference.parquet')]);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('reference v1 from 4000 rows in 1 file');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already installed');
    expect(await readdir(path.join(store, 'references', 'fraud'))).toEqual(['v1.json']);
  });

  it('ingest stores one signature per content: the same file twice, or a copy under another name, is stored once', async () => {
    // Prepare
    const copy = path.join(root, 'renamed.parquet');
    await copyFile(path.join(batches, 'drift-1.parquet'), copy);

    // Act
    const first = await cli(['ingest', '--store', store, path.join(batches, 'drift-1.parquet'), path.join(batches, 'drift-1.parquet')]);
    const second = await cli(['ingest', '--store', store, '--model', 'fraud', copy]);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout.match(/^ingested /gm)).toHaveLength(1);
    expect(first.stdout.match(/^already ingested /gm)).toHaveLength(1);
    expect(second.stdout).toMatch(/^already ingested .*renamed\.parquet/m);
    expect(await signatures('fraud')).toHaveLength(1);
  });

  it('a bad file is one line naming it (exit 2) and the other files still go in', async () => {
    // Act
    const outcome = await cli(['ingest', '--store', store, path.join(batches, 'corrupt.parquet'), path.join(batches, 'drift-2.parquet'), path.join(root, 'missing.parquet')]);

    // Assess
    expect(outcome.code).toBe(2);
    const errors = outcome.stderr.trim().split('\n');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^driftgate: .*corrupt\.parquet: /);
    expect(errors[1]).toMatch(/missing\.parquet: no such file$/);
    expect(outcome.stdout).toMatch(/^ingested .*drift-2\.parquet/m);
    expect(await signatures('fraud')).toHaveLength(2);
  });

  it('run checks what is due and opens a proposal with one notice; a second run at the same time does nothing more', async () => {
    // Prepare
    const at = new Date(Date.now() + 2 * 3_600_000).toISOString();

    // Act
    const first = await cli(['run', '--store', store, '--now', at]);
    const second = await cli(['run', '--store', store, '--now', at]);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^fraud: check drift \(action drift\)/m);
    expect(first.stdout).toMatch(/^fraud: retrain proposal \S+, expires .*; notice sent$/m);
    expect(first.stdout.match(/^notice for model fraud/gm)).toHaveLength(1);
    expect(second.stdout).toBe('fraud: not due\n');
    expect(await readdir(path.join(store, 'outbox'))).toHaveLength(1);
  });

  it("one model's failing check is reported (exit 3) and the other models are still checked", async () => {
    // Prepare: a second model, and the first one's state made unreadable.
    expect((await cli(['init', '--store', store, '--model', 'churn', path.join(batches, 'reference.parquet')])).code).toBe(0);
    expect((await cli(['ingest', '--store', store, '--model', 'churn', path.join(batches, 'drift-2.parquet')])).code).toBe(0);
    await writeFile(path.join(store, 'state', 'fraud.json'), '{ not json');

    // Act
    const outcome = await cli(['run', '--store', store, '--now', new Date(Date.now() + 3 * 3_600_000).toISOString()]);

    // Assess
    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toMatch(/^driftgate: model fraud: /m);
    expect(outcome.stdout).toMatch(/^churn: check /m);
  });

  it('a missing store, or a store path that is a file, is one line naming it, exit 2', async () => {
    // Prepare
    const file = path.join(root, 'a-file');
    await writeFile(file, 'x');

    // Act
    const missing = await cli(['run', '--store', path.join(root, 'nope')]);
    const notDir = await cli(['ingest', '--store', file, path.join(batches, 'drift-1.parquet')]);
    const noParent = await cli(['init', '--store', path.join(root, 'no', 'such', 'store'), '--model', 'x', path.join(batches, 'reference.parquet')]);

    // Assess
    expect([missing.code, notDir.code, noParent.code]).toEqual([2, 2, 2]);
    expect(missing.stderr).toBe(`driftgate: ${path.join(root, 'nope')}: the store folder does not exist (create it with driftgate init --store DIR)\n`);
    expect(notDir.stderr).toBe(`driftgate: ${file}: the store folder is not a folder\n`);
    expect(noParent.stderr).toContain('parent folder of the store does not exist');
  });
});

describe('Two processes on one store', () => {
  it('concurrent ingests of one file store it once; concurrent runs open one proposal and send one notice', async () => {
    // Prepare: each cli() call wires its own LocalProduct, as a second process would; the store's atomic
    // file operations are what keep them apart, in one process or two.
    const other = path.join(root, 'store-2');
    expect((await cli(['init', '--store', other, '--model', 'fraud', path.join(batches, 'reference.parquet')])).code).toBe(0);
    const file = path.join(batches, 'drift-1.parquet');
    const at = new Date(Date.now() + 2 * 3_600_000).toISOString();

    // Act
    const ingests = await Promise.all(Array.from({ length: 4 }, () => cli(['ingest', '--store', other, file])));
    const runs = await Promise.all(Array.from({ length: 3 }, () => cli(['run', '--store', other, '--now', at])));

    // Assess
    expect(ingests.map((i) => i.code)).toEqual([0, 0, 0, 0]);
    expect(ingests.filter((i) => /^ingested /m.test(i.stdout))).toHaveLength(1);
    expect(await readdir(path.join(other, 'signatures', 'fraud'))).toHaveLength(1);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(runs.filter((r) => /retrain proposal/.test(r.stdout))).toHaveLength(1);
    expect(await readdir(path.join(other, 'proposals', 'fraud'))).toHaveLength(1);
    expect(await readdir(path.join(other, 'outbox'))).toHaveLength(1);
  });
});

describe('Function: parseCliArgs (local verbs)', () => {
  it.each([
    [['serve', '--store', 's'], { command: 'serve', store: 's', host: '127.0.0.1', port: 8787, allowRemote: false }],
    [['serve', '--store', 's', '--host', '0.0.0.0', '--allow-remote', '--port', '9000'], { command: 'serve', store: 's', host: '0.0.0.0', port: 9000, allowRemote: true }],
    [['run', '--store', 's', '--now', '2026-03-01T08:00:00Z'], { command: 'run', store: 's', now: new Date('2026-03-01T08:00:00Z'), url: undefined }],
    [
      ['watch', '--store', 's', '--batches', 'b', '--every', '30s', '--settle', '500ms', '--no-serve'],
      { command: 'watch', store: 's', batches: 'b', model: undefined, everySeconds: 30, settleMs: 500, url: undefined, serve: false, host: '127.0.0.1', port: 8787, allowRemote: false },
    ],
    [['--version'], { command: 'version' }],
  ])('%j', (argv, expected) => {
    // Assess
    expect(parseCliArgs(argv)).toEqual(expected);
  });

  it.each([
    [['serve', '--store', 's', '--host', '0.0.0.0'], '--allow-remote'],
    [['run', '--store', 's', '--now', 'tomorrow'], '--now expects an ISO time'],
    [['watch', '--store', 's', '--batches', 'b', '--every', 'often'], '--every expects a duration'],
    [['watch', '--store', 's'], 'missing required option --batches'],
    [['init', '--store', 's', '--model', 'm'], 'expected at least one FILE'],
  ])('%j is a usage error', (argv, message) => {
    // Assess
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it('driftgate --version prints the version from package.json', async () => {
    // Act
    const outcome = await runCliProcess(['--version']);

    // Assess
    expect(outcome).toEqual({ code: 0, stdout: 'driftgate 0.1.0\n', stderr: '' });
  });
});
