import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSignature } from '../../functions/core/signature/index.js';
import type { NumericColumnSignature } from '../../functions/core/signature/index.js';
import type { DatasetSignature } from '../../functions/core/signature/index.js';
import { centredAgrees, withoutMoments } from '../core/signature/helpers.js';
import { cli } from '../e2e/local-support.js';
import { tempDir } from '../support/fixtures.js';
import { repoRoot } from '../support/moto.js';
import { node24Path } from '../support/node24.js';

// `driftgate baseline/check --workers N` as a user runs it (bin/driftgate.js, the sources through tsx), on this
// Node (20, the CLI's floor) and on Node 24 (the Lambda runtime), over files written by pyarrow
// (test/fixtures/scaleout/make-ranges.py).

const run = promisify(execFile);
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/scaleout/${name}`, import.meta.url));
const FILES = [fixture('ranges.parquet'), fixture('ranges.arrow'), fixture('ranges.arrows')];
const WORKERS = String(Math.min(2, availableParallelism()));

async function driftgate(node: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(node, [join(repoRoot, 'bin', 'driftgate.js'), ...args], { cwd: repoRoot, env: { ...process.env, DRIFTGATE_DEBUG: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * Where two check results differ: numbers beyond 1e-9 (relative, or absolute near 0: the moments of a merge
 * differ from the single pass's in the last bits), anything else at all; `explanation` prose is skipped (it
 * prints those numbers, e.g. "Wasserstein 0.00 σ" against "9e-16 σ").
 */
function differences(a: unknown, b: unknown, at = '$'): string[] {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) ? [] : [`${at}: ${a} vs ${b}`];
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return Object.is(a, b) ? [] : [`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => k !== 'explanation').flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`));
}

let temp: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  temp = await tempDir('driftgate-cli-workers-');
});

afterAll(async () => {
  await temp?.cleanup();
});

describe('Command: driftgate baseline --workers N', () => {
  it.each([
    ['Node 20', () => process.execPath],
    ['Node 24', node24Path],
  ])('on %s writes the signature the main thread writes (counts bit-identical, moments within 1e-9)', async (label, node) => {
    // Prepare
    const onWorkers = join(temp.dir, `${label}-workers.json`);
    const inThread = join(temp.dir, `${label}-thread.json`);

    // Act
    const parallel = await driftgate(node(), ['baseline', '--workers', WORKERS, '--out', onWorkers, ...FILES]);
    const single = await driftgate(node(), ['baseline', '--workers', '0', '--out', inThread, ...FILES]);

    // Assess
    expect(parallel.stderr).toBe('');
    expect([parallel.code, single.code]).toEqual([0, 0]);
    const a = parseSignature(JSON.parse(await readFile(onWorkers, 'utf8')), onWorkers);
    const b = parseSignature(JSON.parse(await readFile(inThread, 'utf8')), inThread);
    expect(a.rowCount).toBe(3 * 6400);
    expect(withoutMoments(a)).toBe(withoutMoments(b));
    expect(centredAgrees(a, b)).toBe(true);
    for (const [name, column] of Object.entries(b.columns)) {
      if (column.kind !== 'numeric') continue;
      expect(Math.abs((a.columns[name] as NumericColumnSignature).mean - column.mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(column.mean)));
    }
  }, 120_000);

  it('check --workers on a data-file reference prints the result the main thread prints (numbers within 1e-9)', async () => {
    // Act
    const parallel = await driftgate(process.execPath, ['check', '--workers', WORKERS, '--json', '--reference', FILES[0], FILES[1]]);
    const single = await driftgate(process.execPath, ['check', '--workers', '0', '--json', '--reference', FILES[0], FILES[1]]);

    // Assess
    expect([parallel.code, single.code]).toEqual([0, 0]);
    expect((JSON.parse(parallel.stdout) as { rowCount: unknown }).rowCount).toEqual({ reference: 6400, current: 6400 });
    expect(differences(JSON.parse(parallel.stdout), JSON.parse(single.stdout))).toEqual([]);
  }, 120_000);

  it('refuses a bad --workers with one line and exit code 2', async () => {
    // Act
    const tooMany = await driftgate(process.execPath, ['baseline', '--workers', String(availableParallelism() + 1), '--out', join(temp.dir, 'x.json'), FILES[0]]);
    const word = await driftgate(process.execPath, ['check', '--reference', FILES[0], '--workers', 'all', FILES[1]]);

    // Assess
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain(`driftgate: --workers ${availableParallelism() + 1} is more than this machine runs at once (${availableParallelism()}, os.availableParallelism()); use 1 to ${availableParallelism()}`);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain(`--workers expects a whole number from 0 to ${availableParallelism()}, got 'all'`);
  }, 60_000);
});

describe('Commands: driftgate init and ingest --workers N on a local store', () => {
  it('store the reference and the batch signatures the main thread stores', async () => {
    // Prepare
    const stores = { thread: join(temp.dir, 'store-thread'), workers: join(temp.dir, 'store-workers') };
    const stored = async (store: string, key: string): Promise<DatasetSignature> => {
      const sig = parseSignature(JSON.parse(await readFile(join(store, key), 'utf8')), key);
      // The sources are the store's own file paths: the same files under another store folder.
      return { ...sig, sources: sig.sources.map((s) => s.slice(store.length)) };
    };

    // Act
    for (const [name, workers] of [['thread', '0'], ['workers', WORKERS]] as const) {
      const init = await cli(['init', '--store', stores[name], '--model', 'm', '--workers', workers, FILES[0], FILES[1]]);
      const ingest = await cli(['ingest', '--store', stores[name], '--workers', workers, FILES[2], fixture('small.parquet')]);
      expect([init.code, ingest.code, init.stderr, ingest.stderr]).toEqual([0, 0, '', '']);
    }

    // Assess
    const keys = ['references/m/v1.json', ...(await readdir(join(stores.thread, 'signatures', 'm'))).map((f) => `signatures/m/${f}`)];
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      const [a, b] = await Promise.all([stored(stores.workers, key), stored(stores.thread, key)]);
      expect(withoutMoments(a)).toBe(withoutMoments(b));
      expect(centredAgrees(a, b)).toBe(true);
    }
  }, 120_000);
});
