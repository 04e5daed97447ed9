/**
 * Per-slice ingest against plain ingest, in the same run (`npm run bench` calls `sliceBench` last; or
 * alone: `npx tsx bench/slices.ts [--quick] [--repeat N]`).
 *
 * The file: the bench's parquet-snappy file (bench/generate.py) plus one 10-value slice column `region`
 * (city code mod 10, with the city's nulls), written by pyarrow into bench/data/. Both sides sign it
 * against a reference built from the first 1M rows of the same kind of file (100-bin histograms), in their
 * own pinned child process under /usr/bin/time -v: `plain` without slices, `sliced` with
 * `slices: { columns: ['region'], k: 10 }` (the reference then has its 10 slice signatures too). Both read
 * the same 13 columns. Target: sliced CPU time ≤ 1.5 × plain, as the median of `--repeat` alternated pairs
 * (default 5); `--node PATH` runs the children on another Node (the Lambda runtime's Node 24:
 * .cache/node24/bin/node), `--rows N` another size.
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

const child = (node: string, flag: string, mode: Mode, file: string, ref: string): string[] => [node, '--import', 'tsx', join(ROOT, 'bench', 'slices.ts'), flag, mode, file, ref];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Run the comparison; prints a line and a JSON line with the median ratio, its spread and both peak RSS.
 * `node`: the Node binary the children run on (default: this one), e.g. the Lambda runtime's Node 24.
 */
export async function sliceBench(options: { readonly rows: number; readonly repeat: number; readonly node?: string }): Promise<{ ratio: number; ratios: number[] }> {
  const node = options.node ?? process.execPath;
  const file = await withRegion(await generated(options.rows, 'parquet-snappy'));
  const refSource = await withRegion(await generated(1_000_000, 'parquet-snappy'));
  const refs: Record<Mode, string> = { plain: join(DATA, 'slices-reference-plain.json'), sliced: join(DATA, 'slices-reference-sliced.json') };
  for (const mode of ['plain', 'sliced'] as const) if (!existsSync(refs[mode])) await spawnMeasured(child(node, '--baseline', mode, refSource, refs[mode]));
  const runs: Record<Mode, { cpu: number; rss: number }[]> = { plain: [], sliced: [] };
  // Alternated, plain then sliced, `repeat` pairs: a neighbour's load hits both sides of a pair alike, so
  // the ratio is taken per pair and summarised by its median and its spread (min–max).
  for (let i = 0; i < options.repeat; i++) {
    for (const mode of ['plain', 'sliced'] as const) {
      const { out, peakRssMB } = await spawnMeasured(child(node, '--child', mode, file, refs[mode]));
      runs[mode].push({ cpu: out.cpuSeconds, rss: peakRssMB });
    }
  }
  const ratios = runs.plain.map((p, i) => runs.sliced[i].cpu / p.cpu);
  const ratio = median(ratios);
  const cpu = (mode: Mode): number => median(runs[mode].map((r) => r.cpu));
  const rss = (mode: Mode): number => Math.max(...runs[mode].map((r) => r.rss));
  const { stdout: version } = await run(node, ['--version']);
  console.log(
    `slices (1 column, 10 values, ${options.rows.toLocaleString('en-US')} rows, node ${version.trim()}, ${options.repeat} pairs): ` +
      `plain median ${cpu('plain').toFixed(2)} s cpu, peak ${rss('plain').toFixed(0)} MB | sliced median ${cpu('sliced').toFixed(2)} s cpu, peak ${rss('sliced').toFixed(0)} MB | ` +
      `ratio median ${ratio.toFixed(2)} (pairs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}; target <= 1.5)`,
  );
  console.log(
    JSON.stringify({
      name: 'slices-10',
      node: version.trim(),
      rows: options.rows,
      pairs: options.repeat,
      plainSeconds: round(cpu('plain')),
      slicedSeconds: round(cpu('sliced')),
      ratio: round(ratio),
      ratioMin: round(Math.min(...ratios)),
      ratioMax: round(Math.max(...ratios)),
      ratios: ratios.map(round),
      plainPeakRssMB: Math.round(rss('plain')),
      slicedPeakRssMB: Math.round(rss('sliced')),
    }),
  );
  return { ratio, ratios };
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
    const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, repeat: { type: 'string', default: '5' }, rows: { type: 'string' }, node: { type: 'string' } } });
    const rows = values.rows !== undefined ? Number(values.rows) : values.quick ? 1_000_000 : 5_000_000;
    const { ratio } = await sliceBench({ rows, repeat: Math.max(1, Number(values.repeat)), ...(values.node !== undefined ? { node: values.node } : {}) });
    if (ratio > 1.5) process.exitCode = 1;
  }
}
