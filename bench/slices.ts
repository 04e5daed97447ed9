/**
 * Per-slice ingest against plain ingest, in the same run (`npm run bench` calls `sliceBench` last; or
 * alone: `npx tsx bench/slices.ts [--quick] [--repeat N]`).
 *
 * The file: the bench's parquet-snappy file (bench/generate.py) plus one 10-value slice column `region`
 * (city code mod 10, with the city's nulls), written by pyarrow into bench/data/. Both sides sign it
 * against a reference built from the first 1M rows of the same kind of file (100-bin histograms), in their
 * own pinned child process under /usr/bin/time -v: `plain` without slices, `sliced` with
 * `slices: { columns: ['region'], k: 10 }` (the reference then has its 10 slice signatures too). Both read
 * the same 13 columns. Target: sliced CPU time ≤ 1.5 × plain.
 *   child: node --import tsx bench/slices.ts --child plain|sliced FILE REF.json
 *   setup: node --import tsx bench/slices.ts --baseline plain|sliced FILE OUT.json
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { fileByteSource } from '../functions/adapters/file-byte-source.js';
import { signSources } from '../functions/adapters/sign-sources.js';
import type { ColumnRole } from '../functions/core/columns.js';
import { parseSignature, serializeSignature } from '../functions/core/signature/index.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', 'data');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const SLICES = { columns: ['region'], k: 10 };
const pin = existsSync('/usr/bin/taskset') ? ['/usr/bin/taskset', '-c', '0'] : [];
const timeV = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-v'] : [];

type Mode = 'plain' | 'sliced';

/** The pyarrow step: add `region` (10 values) to a bench file. */
const ADD_REGION = `
import sys, pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
src, dst = sys.argv[1], sys.argv[2]
f = pq.ParquetFile(src)
w = None
for i in range(f.num_row_groups):
    t = f.read_row_group(i)
    city = pc.cast(pc.utf8_slice_codeunits(t.column("city"), 5, 7), pa.int32())
    region = pc.binary_join_element_wise("region-", pc.cast(pc.remainder(city, 10), pa.string()), "")
    t = t.append_column("region", region)
    if w is None:
        w = pq.ParquetWriter(dst, t.schema, compression="snappy")
    w.write_table(t)
w.close()
`;

async function withRegion(src: string): Promise<string> {
  const dst = src.replace(/\.parquet$/, '-region.parquet');
  if (!existsSync(dst)) await run(PYTHON, ['-c', ADD_REGION, src, dst], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return dst;
}

async function generated(rows: number, variant: string): Promise<string> {
  await mkdir(DATA, { recursive: true });
  const { stdout } = await run(PYTHON, [join(ROOT, 'bench', 'generate.py'), DATA, String(rows), '--variants', variant], { cwd: ROOT });
  const line = stdout.trim().split('\n').find((l) => l.startsWith(`${variant}\t`));
  if (!line) throw new Error(`generate.py did not report ${variant}`);
  return line.split('\t')[1];
}

async function spawnMeasured(argv: readonly string[]): Promise<{ out: Record<string, number>; peakRssMB: number }> {
  const [cmd, ...args] = [...pin, ...timeV, ...argv];
  const { stdout, stderr } = await run(cmd, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
  return { out, peakRssMB: rss ? Number(rss[1]) / 1024 : out.maxRssMB };
}

const child = (flag: string, mode: Mode, file: string, ref: string): string[] => [process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'slices.ts'), flag, mode, file, ref];

/** Run the comparison; prints a line and a JSON line with the ratio and both peak RSS. */
export async function sliceBench(options: { readonly rows: number; readonly repeat: number }): Promise<{ ratio: number }> {
  const file = await withRegion(await generated(options.rows, 'parquet-snappy'));
  const refSource = await withRegion(await generated(1_000_000, 'parquet-snappy'));
  const refs: Record<Mode, string> = { plain: join(DATA, 'slices-reference-plain.json'), sliced: join(DATA, 'slices-reference-sliced.json') };
  for (const mode of ['plain', 'sliced'] as const) if (!existsSync(refs[mode])) await spawnMeasured(child('--baseline', mode, refSource, refs[mode]));
  const best: Record<Mode, { cpu: number; wall: number; rss: number }> = { plain: { cpu: Infinity, wall: 0, rss: 0 }, sliced: { cpu: Infinity, wall: 0, rss: 0 } };
  // Alternated, best of `repeat` each: a neighbour's load hits both sides alike.
  for (let i = 0; i < options.repeat; i++) {
    for (const mode of ['plain', 'sliced'] as const) {
      const { out, peakRssMB } = await spawnMeasured(child('--child', mode, file, refs[mode]));
      if (out.cpuSeconds < best[mode].cpu) best[mode] = { cpu: out.cpuSeconds, wall: out.seconds, rss: peakRssMB };
    }
  }
  const ratio = best.sliced.cpu / best.plain.cpu;
  console.log(
    `slices (1 column, 10 values, ${options.rows.toLocaleString('en-US')} rows): plain ${best.plain.cpu.toFixed(2)} s cpu, peak ${best.plain.rss.toFixed(0)} MB | ` +
      `sliced ${best.sliced.cpu.toFixed(2)} s cpu, peak ${best.sliced.rss.toFixed(0)} MB | ratio ${ratio.toFixed(2)} (target <= 1.5)`,
  );
  console.log(JSON.stringify({ name: 'slices-10', plainSeconds: round(best.plain.cpu), slicedSeconds: round(best.sliced.cpu), ratio: round(ratio), plainPeakRssMB: Math.round(best.plain.rss), slicedPeakRssMB: Math.round(best.sliced.rss), rows: options.rows }));
  return { ratio };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function childMain(flag: string, mode: Mode, file: string, ref: string): Promise<void> {
  let options: Parameters<typeof signSources>[1];
  if (flag === '--child') {
    const reference = parseSignature(JSON.parse(await readFile(ref, 'utf8')), ref);
    const roles: Record<string, ColumnRole> = Object.fromEntries(Object.entries(reference.columns).map(([n, c]) => [n, c.kind]));
    options = { reference, roles, ...(mode === 'sliced' ? { slices: SLICES } : {}) };
  } else {
    options = { histogramBins: 100, ...(mode === 'sliced' ? { slices: SLICES } : {}) };
  }
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const signature = await signSources([await fileByteSource(file)], options);
  const cpu = process.cpuUsage(cpuStart);
  if (flag === '--baseline') await writeFile(ref, serializeSignature(signature));
  process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, rows: signature.rowCount, slices: Object.keys(signature.slices?.region?.values ?? {}).length, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [flag, mode, file, ref] = process.argv.slice(2);
  if (flag === '--child' || flag === '--baseline') await childMain(flag, mode as Mode, file, ref);
  else {
    const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, repeat: { type: 'string', default: '2' } } });
    const { ratio } = await sliceBench({ rows: values.quick ? 1_000_000 : 5_000_000, repeat: Math.max(1, Number(values.repeat)) });
    if (ratio > 1.5) process.exitCode = 1;
  }
}
