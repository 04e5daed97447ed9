/**
 * `npm run bench`: our signature (signSources over fileByteSource, single-threaded JS) against DuckDB (one
 * thread) computing the same profile in one query, on the same files, in the same run.
 *
 *   npm run bench                      5M rows x 12 columns: parquet-zstd, parquet-snappy, arrow, + 20M-row parquet-snappy-4x
 *   npm run bench -- --quick           1M rows, no 4x file (smoke run)
 *   npm run bench -- --cases arrow,parquet-zstd --repeat 3 --cpu-prof
 *   npm run bench -- --cases wide --wide-rows 200000 --speed-only   the 500-column case, smaller (default 1M rows, 3.4 GB)
 *   npm run bench -- --from-source     the children through tsx instead of bundled (child-bundles.ts)
 *
 * Data: bench/generate.py (pyarrow) writes the files once into bench/data/ (gitignored); delete it to regenerate.
 * Each side runs in its own child process, bundled as the Lambdas are (child-bundles.ts), pinned to CPU 0 with
 * taskset when available, under /usr/bin/time -v
 * for the peak RSS. Times are measured inside the children around the work only (our signSources call; the
 * peer's query), so process start-up and module loading are excluded on both sides. The ratio uses CPU time
 * (user + system of the child, all threads): on an idle pinned core it equals wall time, and unlike wall time
 * it stays meaningful when other processes share the machine; wall times are reported beside it. Ours signs against a
 * reference with 100-bin histograms (the check path every upload takes); DuckDB's histogram uses the same edges.
 * The run checks that both sides agree (row count, per-column non-null counts and means) before reporting.
 * Output: a table, then one JSON line per case: {"name","oursSeconds","peerSeconds","ratio","peakRssMB",...}.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parseSignature } from '../functions/core/signature/index.js';
import { runCheckScale } from './check-scale.js';
import { bundleChildren } from './child-bundles.js';
import { digestDifferences, digestOfPeerRow, profilePlan, profileSql, type ProfileDigest } from './profile-sql.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', 'data');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const CASES = ['parquet-zstd', 'parquet-snappy', 'arrow', 'parquet-snappy-4x', 'wide'] as const;
type CaseName = (typeof CASES)[number];
const REFERENCE_ROWS = 1_000_000;
const HISTOGRAM_BINS = 100;
/** The wide case's reference: its first 100k rows (one row group of 500 columns). */
const WIDE_REFERENCE_ROWS = 100_000;

interface ChildResult {
  /** Wall time of the work. */
  readonly seconds: number;
  /** CPU time (user + system, all threads) of the work: what the ratio uses. */
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
  readonly digest: ProfileDigest;
}

interface CaseResult {
  readonly name: CaseName;
  readonly file: string;
  readonly fileMB: number;
  readonly rows: number;
  readonly ours: ChildResult;
  readonly peer: ChildResult;
  readonly peerName: string;
  readonly agree: boolean;
  readonly oursRuns: Runs<ChildResult>;
  readonly peerRuns: Runs<ChildResult>;
}

if (!existsSync(PYTHON)) {
  // The bench's Python peers (pyarrow to write the data, DuckDB over Arrow) live in the project venv.
  console.error('bench: no .venv yet: run `bash scripts/ensure-moto.sh` (or `npm test` once), then `npm run bench` again');
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    'cpu-prof': { type: 'boolean', default: false },
    // Run the children through tsx instead of as bundles (child-bundles.ts).
    'from-source': { type: 'boolean', default: false },
    // Only the speed table (skip check-scale and slices, which have their own sections).
    'speed-only': { type: 'boolean', default: false },
    // Rows of the wide case (500 columns, zstd, 100k-row row groups; 1M rows is 3.4 GB, generated once).
    'wide-rows': { type: 'string' },
  },
});
const quick = values.quick === true;
const repeat = Math.max(1, Number(values.repeat));
const rows = quick ? 1_000_000 : 5_000_000;
const wideRows = Number(values['wide-rows'] ?? (quick ? 100_000 : 1_000_000));
if (!Number.isSafeInteger(wideRows) || wideRows < 100_000) {
  console.error(`bench: --wide-rows must be an integer of at least 100000 (the reference's rows), got ${values['wide-rows']}`);
  process.exit(2);
}
const wanted = (values.cases?.split(',') ?? [...CASES]).filter((c): c is CaseName => (CASES as readonly string[]).includes(c));
const cases = wanted.filter((c) => !(quick && c === 'parquet-snappy-4x'));

const pin = existsSync('/usr/bin/taskset') ? ['/usr/bin/taskset', '-c', '0'] : [];
const timeV = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-v'] : [];

async function spawnMeasured(argv: readonly string[]): Promise<{ stdout: string; peakRssMB: number | undefined }> {
  const [cmd, ...args] = [...pin, ...timeV, ...argv];
  const { stdout, stderr } = await run(cmd, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).catch((error: unknown) => {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${argv.join(' ')} failed: ${e.stderr?.slice(-2000) ?? e.message}`);
  });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { stdout, peakRssMB: rss ? Number(rss[1]) / 1024 : undefined };
}

function lastJsonLine(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

async function generate(rowCount: number, variants: readonly string[]): Promise<Map<string, string>> {
  await mkdir(DATA, { recursive: true });
  const { stdout } = await run(PYTHON, [join(ROOT, 'bench', 'generate.py'), DATA, String(rowCount), '--variants', variants.join(',')], {
    cwd: ROOT,
  });
  return new Map(stdout.trim().split('\n').map((l) => l.split('\t') as [string, string]));
}

// Both sides' children run bundled, as the Lambdas ship (child-bundles.ts); `--from-source` runs them through tsx.
const bundles = values['from-source'] ? undefined : await bundleChildren(ROOT, join(DATA, 'build'), ['sign-child.ts', 'duckdb-child.ts'], { minify: !values['cpu-prof'] });
const nodeTs = (script: string, extra: readonly string[] = []): string[] => {
  const bundle = bundles?.get(script);
  return bundle ? [process.execPath, ...extra, bundle] : [process.execPath, ...extra, '--import', 'tsx', join(ROOT, 'bench', script)];
};

async function ours(file: string, reference: string): Promise<ChildResult> {
  const prof = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(DATA, 'profiles')] : [];
  const { stdout, peakRssMB } = await spawnMeasured([...nodeTs('sign-child.ts', prof), 'check', file, reference]);
  const out = lastJsonLine(stdout);
  return { seconds: Number(out.seconds), cpuSeconds: Number(out.cpuSeconds), peakRssMB: peakRssMB ?? Number(out.maxRssMB), digest: out.digest as ProfileDigest };
}

async function peer(name: CaseName, file: string, planPath: string, sqlPath: string): Promise<ChildResult & { peerName: string }> {
  if (name === 'arrow') {
    const { stdout, peakRssMB } = await spawnMeasured([PYTHON, join(ROOT, 'bench', 'duckdb-arrow.py'), file, sqlPath]);
    const out = lastJsonLine(stdout);
    const plan = JSON.parse(await readFile(planPath, 'utf8')) as Parameters<typeof digestOfPeerRow>[0];
    return {
      seconds: Number(out.seconds),
      cpuSeconds: Number(out.cpuSeconds),
      peakRssMB: peakRssMB ?? Number(out.maxRssMB),
      digest: digestOfPeerRow(plan, out.row as Record<string, unknown>),
      peerName: 'duckdb-python (pyarrow mmap)',
    };
  }
  const { stdout, peakRssMB } = await spawnMeasured([...nodeTs('duckdb-child.ts'), file, planPath]);
  const out = lastJsonLine(stdout);
  return {
    seconds: Number(out.seconds),
    cpuSeconds: Number(out.cpuSeconds),
    peakRssMB: peakRssMB ?? Number(out.maxRssMB),
    digest: out.digest as ProfileDigest,
    peerName: 'duckdb-node',
  };
}

/** Runs of one side: the median run (by CPU time) plus the spread of CPU time and peak RSS over all runs. */
interface Runs<T extends ChildResult> {
  readonly median: T;
  readonly cpu: readonly number[];
  readonly rss: readonly number[];
}

function runsOf<T extends ChildResult>(all: readonly T[]): Runs<T> {
  const sorted = [...all].sort((a, b) => a.cpuSeconds - b.cpuSeconds);
  return { median: sorted[(sorted.length - 1) >> 1], cpu: all.map((r) => r.cpuSeconds), rss: all.map((r) => r.peakRssMB) };
}

/** The peer and ours alternated `times` times (so both see the same machine load), each side's runs kept. */
async function interleaved<P extends ChildResult, O extends ChildResult>(times: number, peerRun: () => Promise<P>, oursRun: () => Promise<O>): Promise<{ peer: Runs<P>; ours: Runs<O> }> {
  const peers: P[] = [];
  const ourRuns: O[] = [];
  for (let i = 0; i < times; i++) {
    // Alternate who goes first, so neither side always runs on a warmer page cache.
    if (i % 2 === 0) {
      peers.push(await peerRun());
      ourRuns.push(await oursRun());
    } else {
      ourRuns.push(await oursRun());
      peers.push(await peerRun());
    }
  }
  return { peer: runsOf(peers), ours: runsOf(ourRuns) };
}

function spread(values: readonly number[], digits: number): string {
  return values.length < 2 ? '' : ` [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`;
}

function pad(text: string | number, width: number): string {
  return String(text).padStart(width);
}

/** Build (once) the reference of `variant` from its first `refRows` rows, and write the peer's plan and SQL for it. */
async function referenceSetup(variant: string, refRows: number, stem: string): Promise<{ reference: string; planPath: string; sqlPath: string }> {
  const refFile = (await generate(refRows, [variant])).get(variant) ?? '';
  const reference = join(DATA, variant === 'wide' ? `reference-wide-${refRows}-b${HISTOGRAM_BINS}.json` : `reference-${refRows}-b${HISTOGRAM_BINS}.json`);
  const buildReference = (): Promise<unknown> => spawnMeasured([...nodeTs('sign-child.ts'), 'baseline', refFile, reference, String(HISTOGRAM_BINS)]);
  const loadReference = async () => parseSignature(JSON.parse(await readFile(reference, 'utf8')), reference);
  if (!existsSync(reference)) await buildReference();
  // A reference cached by an older signature version is rebuilt rather than trusted.
  const referenceSignature = await loadReference().catch(async () => {
    await buildReference();
    return loadReference();
  });
  const plan = profilePlan(referenceSignature);
  const planPath = join(DATA, `${stem}-plan.json`);
  const sqlPath = join(DATA, `${stem}.sql`);
  await writeFile(planPath, JSON.stringify(plan));
  await writeFile(sqlPath, profileSql(plan));
  return { reference, planPath, sqlPath };
}

async function main(): Promise<void> {
  console.log(`driftgate bench: ${rows.toLocaleString('en-US')} rows x 12 columns (wide: ${wideRows.toLocaleString('en-US')} x 500); cases ${cases.join(', ')}; ${repeat} run(s) per side, interleaved, medians [min–max]; node ${process.version}; children ${bundles ? "bundled (child-bundles.ts)" : "through tsx"}`);
  console.log(`pinning: ${pin.length ? 'taskset -c 0' : 'none (no taskset)'}; peak RSS: ${timeV.length ? '/usr/bin/time -v' : 'process.resourceUsage'}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('seconds = CPU time of the work (user+system, all threads; = wall time on an idle core, and robust when the machine is shared)');

  const narrow = cases.filter((c) => c !== 'wide');
  const files = narrow.length > 0 ? await generate(rows, narrow) : new Map<string, string>();
  if (cases.includes('wide')) files.set('wide', (await generate(wideRows, ['wide'])).get('wide') ?? '');
  // The references (setup, untimed): 100-bin histograms from the first 1M rows (12 columns) / 100k rows (wide).
  const narrowSetup = narrow.length > 0 ? await referenceSetup('parquet-zstd', REFERENCE_ROWS, 'profile') : undefined;
  const wideSetup = cases.includes('wide') ? await referenceSetup('wide', WIDE_REFERENCE_ROWS, 'profile-wide') : undefined;

  const results: CaseResult[] = [];
  for (const name of cases) {
    const file = files.get(name);
    if (!file) throw new Error(`generate.py did not report a file for ${name}`);
    const fileMB = (await stat(file)).size / 2 ** 20;
    const setup = name === 'wide' ? wideSetup : narrowSetup;
    if (!setup) throw new Error(`no reference for ${name}`);
    const { reference, planPath, sqlPath } = setup;
    const both = await interleaved(repeat, () => peer(name, file, planPath, sqlPath), () => ours(file, reference));
    const p = both.peer.median;
    const o = both.ours.median;
    const problems = digestDifferences(o.digest, p.digest);
    if (problems.length) console.error(`  ${name}: RESULTS DISAGREE: ${problems.slice(0, 5).join('; ')}`);
    results.push({ name, file, fileMB, rows: o.digest.rows, ours: o, peer: p, peerName: p.peerName, agree: problems.length === 0, oursRuns: both.ours, peerRuns: both.peer });
    console.log(
      `${name.padEnd(18)} ${pad(o.digest.rows.toLocaleString('en-US'), 11)} rows ${pad(fileMB.toFixed(0), 5)} MB | ` +
        `ours ${pad(o.cpuSeconds.toFixed(2), 6)}${spread(both.ours.cpu, 2)} s cpu ${pad(o.seconds.toFixed(2), 6)} s wall, peak ${o.peakRssMB.toFixed(0)}${spread(both.ours.rss, 0)} MB | ` +
        `${p.peerName} ${pad(p.cpuSeconds.toFixed(2), 6)}${spread(both.peer.cpu, 2)} s cpu ${pad(p.seconds.toFixed(2), 6)} s wall, peak ${p.peakRssMB.toFixed(0)}${spread(both.peer.rss, 0)} MB | ` +
        `ratio ${(o.cpuSeconds / p.cpuSeconds).toFixed(2)} | ${problems.length ? 'DISAGREE' : 'results agree'}`,
    );
  }

  const single = results.find((r) => r.name === 'parquet-snappy');
  const big = results.find((r) => r.name === 'parquet-snappy-4x');
  if (single && big) {
    console.log(`memory flatness: peak RSS ${single.ours.peakRssMB.toFixed(0)} MB at ${single.fileMB.toFixed(0)} MB -> ${big.ours.peakRssMB.toFixed(0)} MB at ${big.fileMB.toFixed(0)} MB (x${(big.ours.peakRssMB / single.ours.peakRssMB).toFixed(2)})`);
  }
  const zstd = results.find((r) => r.name === 'parquet-zstd');
  const wide = results.find((r) => r.name === 'wide');
  if (zstd && wide) {
    console.log(`memory by width: our peak RSS ${zstd.ours.peakRssMB.toFixed(0)} MB at 12 columns -> ${wide.ours.peakRssMB.toFixed(0)} MB at 500 (DuckDB ${zstd.peer.peakRssMB.toFixed(0)} -> ${wide.peer.peakRssMB.toFixed(0)} MB)`);
  }
  console.log('targets: ratio <= 0.5 on Parquet (goal <= 0.3); peak RSS <= 512 MB and flat with file size');
  for (const r of results) {
    console.log(
      JSON.stringify({
        name: r.name,
        oursSeconds: round(r.ours.cpuSeconds),
        peerSeconds: round(r.peer.cpuSeconds),
        ratio: round(r.ours.cpuSeconds / r.peer.cpuSeconds),
        peakRssMB: Math.round(r.ours.peakRssMB),
        oursWallSeconds: round(r.ours.seconds),
        peerWallSeconds: round(r.peer.seconds),
        wallRatio: round(r.ours.seconds / r.peer.seconds),
        peer: r.peerName,
        peerPeakRssMB: Math.round(r.peer.peakRssMB),
        rows: r.rows,
        fileMB: Math.round(r.fileMB),
        agree: r.agree,
        node: process.version,
        oursCpuRuns: r.oursRuns.cpu.map(round),
        peerCpuRuns: r.peerRuns.cpu.map(round),
        oursRssRuns: r.oursRuns.rss.map(Math.round),
        peerRssRuns: r.peerRuns.rss.map(Math.round),
      }),
    );
  }
  if (results.some((r) => !r.agree)) process.exitCode = 1;
  if (values['speed-only']) return;
  // A check over many pending 500-column signatures (bench/check-scale.ts), in the same run.
  await runCheckScale(quick ? [1000] : undefined);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
// Per-slice ingest against plain ingest on the same kind of file (bench/slices.ts), in the same run.
if (!values['speed-only']) await (await import('./slices.js')).sliceBench({ rows, repeat: Math.max(5, repeat) });
