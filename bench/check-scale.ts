/**
 * `npm run bench` (last part), or `npx tsx bench/check-scale.ts [--sizes 1000,10000] [--fold 100]`: a check
 * of one model over many pending 500-column signatures on the local folder store, time and peak RSS.
 *
 * - Data (setup, untimed, cached in bench/data/check-scale-<n>-v2/): a reference and 10 batch signatures of
 *   500 columns (450 numeric of three shapes, 50 categorical with 400 values), 1,000 rows each, built by the
 *   real SignatureBuilder. Batch i is variant i mod 10, ingested at T0 + i minutes (one a minute, so 10,080
 *   wait for a weekly check). Every batch has its own signature file (hard links to its variant's file, so
 *   10,000 files cost one variant's disk), and the hour and day roll-ups ingest keeps are written as
 *   ingest would leave them: each holds its batch ids and the merge of their signatures.
 * - Cases, each in its own child process (peak RSS = the child's `maxRSS`; CPU = user + system):
 *   `check-<n>`: checkModel over n pending batches (roll-ups + batch files left over);
 *   `fold-<m>`: the same check's merge without roll-ups (every pending signature read and folded one at a
 *   time), on the first m batches: the per-signature cost a check would pay without roll-ups;
 *   `format-10`: one signature's bytes (JSON, packed, each gzipped) and parse time, averaged over 10 parses;
 *   `ingest-10`: 10 batches rolled up into a full hour's and day's roll-up: what roll-ups cost each ingest.
 * Output: one line per case, then one JSON line per case. Targets: 10,000 pending in < 60 s and < 512 MB.
 */
import { INITIAL_AUTONOMY } from '../functions/core/lifecycle/autonomy.js';
import { execFile } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs, promisify } from 'node:util';
import { LocalStore } from '../functions/adapters/local-store.js';
import type { ColumnBatch, ColumnChunk, ColumnField } from '../functions/core/columns.js';
import { referenceKey, rollupPeriodOf, signatureKey, stateKey } from '../functions/core/lifecycle/keys.js';
import { mergeAll, mergeSignatures, packSignature, parseSignature, serializeSignature, signatureOf, type DatasetSignature } from '../functions/core/signature/index.js';
import { checkModel } from '../functions/service/check-model.js';
import { ModelRepository } from '../functions/service/model-repository.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', 'data');
const MODEL = 'scale';
const VERSION = 'v1';
const COLUMNS = 500;
const CATEGORICAL = 50;
const VARIANTS = 10;
const ROWS = 1000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const MINUTE = 60_000;
const run = promisify(execFile);

// ------------------------------------------------------------------------------------------ data

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const schema: ColumnField[] = Array.from({ length: COLUMNS }, (_, i) =>
  i < COLUMNS - CATEGORICAL
    ? { name: `f${String(i).padStart(3, '0')}`, type: i % 3 === 2 ? 'int' : 'float', sourceType: i % 3 === 2 ? 'Int64' : 'Float64', nullable: true }
    : { name: `c${String(i).padStart(3, '0')}`, type: 'string', sourceType: 'Utf8', nullable: true },
);
const dictionary = Array.from({ length: 400 }, (_, i) => `value-${i}`);

/** Three numeric shapes (normal, log-normal, integers 1..1000) and skewed categories; 2 % nulls. */
function batchOf(seed: number, rows: number): ColumnBatch {
  const r = rng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const columns = new Map<string, ColumnChunk>();
  schema.forEach((f, c) => {
    const nulls = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) nulls[i] = r() < 0.02 ? 1 : 0;
    if (f.type === 'string') {
      const indices = new Int32Array(rows);
      for (let i = 0; i < rows; i++) indices[i] = nulls[i] ? -1 : Math.floor(dictionary.length * r() * r());
      columns.set(f.name, { kind: 'categorical', length: rows, dictionary, indices });
      return;
    }
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) values[i] = c % 3 === 0 ? 100 + 15 * normal() : c % 3 === 1 ? Math.exp(1 + 0.5 * normal()) : 1 + Math.floor(1000 * r());
    columns.set(f.name, { kind: 'numeric', length: rows, values, nulls });
  });
  return { rowCount: rows, columns };
}

/** The cached store of `n` batches (rebuilt when the roll-ups' encoding changes: plain JSON since v2). */
const dataDir = (n: number): string => join(DATA, `check-scale-${n}-v2`);

const batchId = (i: number): string => createHash('sha256').update(`batch ${i}`).digest('hex');

async function build(n: number): Promise<void> {
  const dir = dataDir(n);
  rmSync(dir, { recursive: true, force: true });
  const store = new LocalStore(dir);
  const repo = new ModelRepository(store);
  await repo.putConfig({ schemaVersion: 1, modelId: MODEL, batchPrefix: `batches/${MODEL}/` });
  const reference = signatureOf(schema, [batchOf(1, 5 * ROWS)], { histogramBins: 100 }, ['training/scale.parquet']);
  await store.put(referenceKey(MODEL, VERSION), serializeSignature(reference));
  const variants = Array.from({ length: VARIANTS }, (_, v) => signatureOf(schema, [batchOf(100 + v, ROWS)], { reference }, [`batches/${MODEL}/variant-${v}.parquet`]));
  mkdirSync(join(dir, 'variants'), { recursive: true });
  variants.forEach((v, i) => writeFileSync(join(dir, 'variants', `${i}.json`), serializeSignature(v)));
  mkdirSync(join(dir, 'signatures', MODEL), { recursive: true });
  for (let i = 0; i < n; i++) linkSync(join(dir, 'variants', `${i % VARIANTS}.json`), join(dir, ...signatureKey(MODEL, batchId(i)).split('/')));
  // Roll-ups as ingest leaves them: the batches of each hour and day, in arrival order.
  const hours = new Map<string, number[]>();
  const days = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const at = new Date(T0 + i * MINUTE);
    for (const [map, period] of [[hours, 'hour'], [days, 'day']] as const) {
      const key = rollupPeriodOf(at, period);
      map.set(key, [...(map.get(key) ?? []), i]);
    }
  }
  // Every full hour holds the same sequence of variants (60 is a multiple of 10): merged once, reused.
  const cache = new Map<string, DatasetSignature>();
  const hourMerge = (members: number[]): DatasetSignature => {
    const shape = members.map((i) => i % VARIANTS).join(',');
    let merged = cache.get(shape);
    if (!merged) cache.set(shape, (merged = mergeAll(members.map((i) => variants[i % VARIANTS]))));
    return merged;
  };
  for (const [period, members] of hours) await repo.writeRollup(MODEL, VERSION, period, members.map(batchId), hourMerge(members));
  for (const [period, members] of days) {
    const parts = [...hours].filter(([h]) => h.startsWith(period)).map(([, m]) => hourMerge(m));
    await repo.writeRollup(MODEL, VERSION, period, members.map(batchId), parts.reduce((a, b) => mergeSignatures(a, b)));
  }
  const at = new Date(T0 - MINUTE).toISOString();
  await repo.upsertState(MODEL, () => ({
    schemaVersion: 1,
    modelId: MODEL,
    reference: { version: VERSION, key: referenceKey(MODEL, VERSION), at },
    lastRetrainAt: at,
    checkIntervalSeconds: 7 * 86400,
    nextCheckAt: new Date(T0 + n * MINUTE).toISOString(),
    lastCheckAt: at,
    consumed: [],
    history: [],
    cadence: [],
    forecast: null,
    activeProposalId: null,
    rejected: null,
    snoozedUntil: null,
    incident: null,
    autonomy: INITIAL_AUTONOMY,
  }));
  writeFileSync(join(dir, 'state.pristine'), await readFile(join(dir, ...stateKey(MODEL).split('/'))));
  writeFileSync(join(dir, 'ready'), `${new Date().toISOString()}\n`);
}

// ------------------------------------------------------------------------------------------ children

async function child(kind: string, n: number, dir: string): Promise<void> {
  // Untimed: the store back to n pending batches, no report or log of an earlier run.
  for (const sub of ['reports', 'decisions', 'proposals']) rmSync(join(dir, sub), { recursive: true, force: true });
  writeFileSync(join(dir, ...stateKey(MODEL).split('/')), await readFile(join(dir, 'state.pristine')));
  const repo = new ModelRepository(new LocalStore(dir));
  const cpu = process.cpuUsage();
  const started = performance.now();
  let out: Record<string, unknown>;
  if (kind === 'check') {
    const outcome = await checkModel({ repo })(MODEL, new Date(T0 + n * MINUTE));
    if (outcome.status !== 'checked') throw new Error(`expected a check, got ${outcome.status}`);
    out = { signatures: outcome.signatures, verdict: outcome.verdict };
  } else if (kind === 'format') {
    // One 500-column signature: plain JSON against the packed form (serialize.ts), bytes and parse time.
    const plain = await readFile(join(dir, 'variants', '0.json'), 'utf8');
    const packed = packSignature(parseSignature(plain, 'variant 0'));
    const parseMs = (text: string): number => {
      const began = performance.now();
      for (let i = 0; i < n; i++) parseSignature(text, 'variant 0');
      return (performance.now() - began) / n;
    };
    out = {
      signatures: n,
      jsonBytes: plain.length,
      packedBytes: packed.length,
      jsonGzipBytes: gzipSync(plain).length,
      packedGzipBytes: gzipSync(packed).length,
      jsonParseMs: parseMs(plain),
      packedParseMs: parseMs(packed),
    };
  } else if (kind === 'ingest') {
    // What roll-ups cost ingest: n batches added to a full hour's and a full day's roll-up (copies, so the store stays as built).
    const dayKey = rollupPeriodOf(new Date(T0), 'day');
    const hourKey = rollupPeriodOf(new Date(T0), 'hour');
    for (const period of [dayKey, hourKey]) {
      const obj = await repo.store.get(`signatures/${MODEL}.rollups/${VERSION}/${period}.json`);
      if (obj) await repo.store.put(`signatures/${MODEL}.rollups/ingest-bench/${period}.json`, obj.body);
    }
    const variant = parseSignature(await readFile(join(dir, 'variants', '0.json'), 'utf8'), 'variant 0');
    const timed = process.cpuUsage();
    const began = performance.now();
    for (let i = 0; i < n; i++) await repo.rollUp(MODEL, 'ingest-bench', signatureKey(MODEL, batchId(1e9 + i)), variant, new Date(T0 + i * 1000));
    const used = process.cpuUsage(timed);
    out = { signatures: n, perIngestCpuMs: ((used.user + used.system) / 1000) / n, perIngestWallMs: (performance.now() - began) / n };
    rmSync(join(dir, 'signatures', `${MODEL}.rollups`, 'ingest-bench'), { recursive: true, force: true });
  } else {
    const keys = (await repo.signatureKeys(MODEL)).slice(0, n);
    const merged = await repo.foldSignatures(keys);
    out = { signatures: keys.length, rows: merged.rowCount };
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ ...out, seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}

// ------------------------------------------------------------------------------------------ parent

interface CaseResult {
  readonly name: string;
  readonly signatures: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
}

/** Runs the check-scale cases and prints them (also what `npm run bench` calls last). */
export async function runCheckScale(sizes: readonly number[] = [1000, 10_000], fold = 100): Promise<CaseResult[]> {
  const self = fileURLToPath(import.meta.url);
  const results: CaseResult[] = [];
  const largest = Math.max(...sizes);
  const cases: [string, number, number][] = [['format', 10, largest], ['fold', fold, largest], ['ingest', 10, largest], ...sizes.map((n): [string, number, number] => ['check', n, n])];
  for (const [kind, n, data] of cases) {
    const dir = dataDir(data);
    if (!existsSync(join(dir, 'ready'))) {
      const began = performance.now();
      await run(process.execPath, ['--import', 'tsx', self, '--build', String(data)], { cwd: ROOT, maxBuffer: 1 << 24 });
      console.log(`check-scale: built ${data} pending batches in ${((performance.now() - began) / 1000).toFixed(0)} s (${dir})`);
    }
    const { stdout } = await run(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', self, '--child', kind, String(n), dir], { cwd: ROOT, maxBuffer: 1 << 24 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Omit<CaseResult, 'name'>;
    const result = { ...r, name: `${kind}-${n}`, signatures: r.signatures, seconds: r.seconds, cpuSeconds: r.cpuSeconds, peakRssMB: r.peakRssMB };
    results.push(result);
    if ('jsonBytes' in r) {
      const f = r as unknown as Record<string, number>;
      const mb = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MB`;
      console.log(`format       one 500-column signature: JSON ${mb(f.jsonBytes)} (gzip ${mb(f.jsonGzipBytes)}), parse ${f.jsonParseMs.toFixed(0)} ms | packed ${mb(f.packedBytes)} (gzip ${mb(f.packedGzipBytes)}), parse ${f.packedParseMs.toFixed(0)} ms`);
      continue;
    }
    const perIngest = 'perIngestCpuMs' in r ? ` | ${Number(r.perIngestCpuMs).toFixed(0)} ms cpu per ingest (hour + day roll-up)` : '';
    console.log(`${result.name.padEnd(12)} ${String(result.signatures).padStart(6)} signatures | ${result.cpuSeconds.toFixed(2).padStart(7)} s cpu ${result.seconds.toFixed(2).padStart(7)} s wall | peak ${result.peakRssMB.toFixed(0)} MB${perIngest}`);
  }
  const variant = await stat(join(dataDir(largest), 'variants', '0.json'));
  console.log(`check-scale: one 500-column batch signature is ${(variant.size / 2 ** 20).toFixed(2)} MB of JSON; targets: 10,000 pending in < 60 s and < 512 MB`);
  for (const r of results) console.log(JSON.stringify({ ...r, seconds: Math.round(r.seconds * 1000) / 1000, cpuSeconds: Math.round(r.cpuSeconds * 1000) / 1000, peakRssMB: Math.round(r.peakRssMB) }));
  return results;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { build: { type: 'string' }, child: { type: 'string' }, sizes: { type: 'string' }, fold: { type: 'string' } }, allowPositionals: true, strict: false });
  const positionals = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (typeof values.build === 'string') await build(Number(values.build));
  else if (typeof values.child === 'string') await child(values.child, Number(positionals[1]), positionals[2]);
  else await runCheckScale(typeof values.sizes === 'string' ? values.sizes.split(',').map(Number) : undefined, typeof values.fold === 'string' ? Number(values.fold) : undefined);
}
