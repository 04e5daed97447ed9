/**
 * Local workers (`--workers N`, functions/adapters/worker-pool.ts): the compiled CLI checking the 20M-row
 * snappy bench file against a reference, signed in the main thread (`--workers 0`), on one worker and on two.
 *   npm run bench:workers                    3 alternating repeats of 0, 1, 2 workers; medians
 *   tsx bench/workers.ts --repeat 5 --workers 0,1,2
 * Runs the CLI compiled by tsc into bench/data/dist (what `npm pack` ships: sign-worker.js beside
 * worker-pool.js), not the sources under tsx, whose loader makes each worker thread start in seconds.
 * Each run is its own process: wall time measured here, CPU (user + system, every thread) and peak RSS from
 * /usr/bin/time -v (worker_threads are threads of that one process, so its peak RSS is main + workers), and
 * the process tree's RSS sampled from /proc every 20 ms as a cross-check. The machine may be shared: the
 * load average is printed before each run; compare runs taken at the same load.
 * Then signing alone on warm pools of 1 and 2 workers (workers-warm.mjs: the command's fixed costs excluded).
 * Output: a table, then one JSON line per configuration with the medians and every run, then the warm-pool line.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', 'data');
const DIST = join(DATA, 'dist');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    workers: { type: 'string', default: '0,1,2' },
    rows: { type: 'string', default: '5000000' },
    'no-build': { type: 'boolean', default: false },
  },
});
const repeat = Math.max(1, Number(values.repeat));
const configs = (values.workers ?? '0,1,2').split(',').map(Number);
const baseRows = Number(values.rows);

interface RunResult {
  readonly workers: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
  readonly sampledPeakRssMB: number;
  readonly load: number;
  readonly stdout: string;
}

/** The RSS of `pid` and its descendants (kB), from /proc; 0 once it is gone. */
function treeRssKb(pid: number): number {
  let total = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(/\s+/) : []) total += treeRssKb(Number(child));
    }
  } catch {
    // The process ended between two reads.
  }
  return total;
}

/** Run `argv` under /usr/bin/time -v; wall from here, CPU and max RSS from time, tree RSS sampled. */
function measured(argv: readonly string[], workers: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const load = loadavg()[0];
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-v', ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let sampled = 0;
    const timer = setInterval(() => {
      if (child.pid !== undefined) sampled = Math.max(sampled, treeRssKb(child.pid));
    }, 20);
    child.on('close', (code) => {
      clearInterval(timer);
      const wallSeconds = (performance.now() - start) / 1000;
      const field = (name: string): number => Number(new RegExp(`${name}: ([\\d.]+)`).exec(stderr)?.[1] ?? Number.NaN);
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      resolvePromise({
        workers,
        wallSeconds,
        cpuSeconds: field('User time \\(seconds\\)') + field('System time \\(seconds\\)'),
        peakRssMB: field('Maximum resident set size \\(kbytes\\)') / 1024,
        sampledPeakRssMB: sampled / 1024,
        load,
        stdout,
      });
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  if (!existsSync(PYTHON)) throw new Error('bench: no .venv yet: run `bash scripts/ensure-moto.sh` (or `npm test` once) first');
  for (const n of configs) {
    if (!(Number.isInteger(n) && n >= 0 && n <= availableParallelism())) throw new Error(`--workers: ${n} is not 0 to ${availableParallelism()}`);
  }
  await mkdir(DATA, { recursive: true });
  const generated = await run(PYTHON, [join(ROOT, 'bench', 'generate.py'), DATA, String(baseRows), '--variants', 'parquet-snappy-4x'], { cwd: ROOT });
  const file = generated.stdout.trim().split('\n').map((l) => l.split('\t'))[0][1];
  if (!values['no-build'] || !existsSync(join(DIST, 'bin', 'driftgate.js'))) {
    await rm(DIST, { recursive: true, force: true });
    await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', DIST], { cwd: ROOT });
  }
  const cli = [process.execPath, join(DIST, 'bin', 'driftgate.js')];
  const reference = join(DATA, 'workers-reference.json');
  await run(cli[0], [cli[1], 'baseline', '--workers', String(Math.min(2, availableParallelism())), '--bins', '100', '--out', reference, file], { cwd: ROOT });

  console.log(`file ${file}; node ${process.version}; ${availableParallelism()} CPUs (os.availableParallelism); ${repeat} alternating repeats of --workers ${configs.join(', ')}`);
  const runs: RunResult[] = [];
  for (let r = 0; r < repeat; r++) {
    for (const workers of configs) {
      const result = await measured([...cli, 'check', '--reference', reference, '--json', '--workers', String(workers), file], workers);
      runs.push(result);
      console.log(
        `  run ${r + 1} --workers ${workers}: wall ${result.wallSeconds.toFixed(2)} s, cpu ${result.cpuSeconds.toFixed(2)} s, peak RSS ${result.peakRssMB.toFixed(0)} MB (sampled tree ${result.sampledPeakRssMB.toFixed(0)} MB), load ${result.load.toFixed(2)}`,
      );
    }
  }
  // Every configuration must print the same result (the signatures are equal, see test/adapters/worker-pool.test.ts).
  const outputs = new Set(runs.map((r) => r.stdout));
  const verdicts = new Set(runs.map((r) => (JSON.parse(r.stdout) as { verdict: string }).verdict));
  const summary = configs.map((workers) => {
    const mine = runs.filter((r) => r.workers === workers);
    return {
      workers,
      wallSeconds: median(mine.map((r) => r.wallSeconds)),
      cpuSeconds: median(mine.map((r) => r.cpuSeconds)),
      peakRssMB: median(mine.map((r) => r.peakRssMB)),
      sampledPeakRssMB: median(mine.map((r) => r.sampledPeakRssMB)),
      runs: mine.map(({ stdout: _, ...rest }) => rest),
    };
  });
  const one = summary.find((s) => s.workers === 1);
  console.log('\nworkers | wall (median) | cpu (median) | peak RSS (median) | wall speedup vs 1 worker');
  for (const s of summary) {
    const speedup = one ? (one.wallSeconds / s.wallSeconds).toFixed(2) : '-';
    console.log(`${String(s.workers).padStart(7)} | ${s.wallSeconds.toFixed(2).padStart(11)} s | ${s.cpuSeconds.toFixed(2).padStart(10)} s | ${s.peakRssMB.toFixed(0).padStart(14)} MB | ${speedup}`);
  }
  console.log(`check --json output: ${outputs.size === 1 ? 'byte-identical for every run' : `${outputs.size} different outputs`}; verdicts: ${[...verdicts].join(', ')}`);
  for (const s of summary) console.log(JSON.stringify({ name: `workers-${s.workers}`, ...s }));
  // Signing alone, on warm pools of 1 and 2 workers (the command's fixed costs excluded): workers-warm.mjs.
  const warm = await run(process.execPath, [join(ROOT, 'bench', 'workers-warm.mjs'), file, reference, String(repeat)], { cwd: ROOT });
  const warmRuns = warm.stdout.trim().split('\n').map((l) => JSON.parse(l) as { workers: number; firstSeconds: number; warmSeconds: number });
  const warmOf = (n: number, k: 'firstSeconds' | 'warmSeconds'): number => median(warmRuns.filter((w) => w.workers === n).map((w) => w[k]));
  console.log(
    `signing alone (workers-warm.mjs, medians of ${repeat}): 1 worker ${warmOf(1, 'warmSeconds').toFixed(2)} s warm (${warmOf(1, 'firstSeconds').toFixed(2)} s first call), ` +
      `2 workers ${warmOf(2, 'warmSeconds').toFixed(2)} s warm (${warmOf(2, 'firstSeconds').toFixed(2)} s first call): ${(warmOf(1, 'warmSeconds') / warmOf(2, 'warmSeconds')).toFixed(2)}x warm`,
  );
  console.log(JSON.stringify({ name: 'workers-warm', runs: warmRuns }));
  if (verdicts.size !== 1) process.exitCode = 1;
}

await main();
