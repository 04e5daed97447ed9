/**
 * The signature's hot loops alone, for comparing Node versions (issue 14: the numeric scan and writeInt64 were
 * slower on Node 24 than on Node 20). Reads the 1M-row bench file once into memory (fresh arrays), then times,
 * best of --repeat passes each: the builder over those batches against the bench reference (the check path:
 * numeric scan, histogram, categorical counts), and the int64 -> float64 conversion (writeInt64) of 1M values.
 *   node --import tsx bench/loops.ts [--repeat 5]           (any node: .cache/node24/…/bin/node for Node 24)
 * Then each loop the numeric accumulator runs apart, over the same file's columns, beside the code it replaced
 * (copied below as it was at commit 1c6d2dd, and checked to give the same result in the same run):
 *   - exact counts (ExactCounts, against the Map it replaced), over every numeric column's chunks until the
 *     column passes EXACT_VALUES_MAX distinct values, as the accumulator calls it;
 *   - the centred sketch (addCentred, against SketchBuilder.addValue per value) on the columns the reference
 *     gives a centred frame;
 *   - the scan alone: the accumulator over the numeric columns with neither exact counts past their first
 *     chunk nor a centred frame (scanChunk is most of it).
 * With --baseline COMMIT, the whole numeric accumulator of that commit (its functions/core, via git archive into a
 * temporary directory) and of this checkout run alternately in this process over the 10 numeric columns, on the
 * check path (the reference's edges and frames) and the build path (none): best and median of --repeat × 2
 * passes each, so load that comes and goes hits both alike.
 *   node --import tsx bench/loops.ts --repeat 5 --baseline 1c6d2dd
 * Prints one JSON line per loop with ns per value; run after `npm run bench` made bench/data.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toColumnChunk } from '../functions/adapters/arrow-columns.js';
import { openBatchFile } from '../functions/adapters/columnar-reader.js';
import { fileByteSource } from '../functions/adapters/file-byte-source.js';
import type { ColumnBatch, ColumnRole } from '../functions/core/columns.js';
import type { NumericChunk } from '../functions/core/columns.js';
import { parseSignature, SignatureBuilder } from '../functions/core/signature/index.js';
import { addCentred, EXACT_VALUES_MAX, ExactCounts, NumericAccumulator } from '../functions/core/signature/numeric.js';
import { SketchBuilder } from '../functions/core/signature/sketch.js';
import type { ExactCountsJson, NumericColumnSignature } from '../functions/core/signature/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(ROOT, 'bench', 'data');
const { values } = parseArgs({ options: { repeat: { type: 'string', default: '5' }, baseline: { type: 'string' } } });
const repeat = Math.max(1, Number(values.repeat));

const refPath = join(DATA, 'reference-1000000-b100.json');
const reference = parseSignature(JSON.parse(await readFile(refPath, 'utf8')), refPath);
const roles: Record<string, ColumnRole> = Object.fromEntries(Object.entries(reference.columns).map(([n, c]) => [n, c.kind]));
const file = await openBatchFile(await fileByteSource(join(DATA, 'bench-1000000-zstd.parquet')));
const batches: ColumnBatch[] = [];
for await (const batch of file.batches()) batches.push(batch);
const rows = batches.reduce((n, b) => n + b.rowCount, 0);

function best(f: () => void): number {
  let min = Infinity;
  for (let r = 0; r < repeat; r++) {
    const start = process.cpuUsage();
    f();
    const used = process.cpuUsage(start);
    min = Math.min(min, (used.user + used.system) * 1000);
  }
  return min;
}

const builderNs = best(() => {
  const builder = new SignatureBuilder(file.schema, { reference, roles });
  for (const batch of batches) builder.add(batch);
  builder.finish([]);
});
const numericOnly = file.schema.filter((f) => roles[f.name] === 'numeric');
const numericNs = best(() => {
  const builder = new SignatureBuilder(numericOnly, { reference, roles });
  for (const batch of batches) builder.add(batch);
  builder.finish([]);
});

const n = 1_000_000;
const words = new Int32Array(2 * n);
for (let i = 0; i < n; i++) {
  words[2 * i] = (i * 2654435761) | 0;
  words[2 * i + 1] = i % 3 === 0 ? -1 : i & 0xff;
}
const int64 = { type: { kind: 'int', bits: 64, signed: true } as const, length: n, nullCount: 0, valueOffset: 0, bitOffset: 0, validity: undefined, values: new Uint8Array(words.buffer), data: undefined, dictionary: undefined };
const int64Ns = best(() => {
  for (let k = 0; k < 10; k++) toColumnChunk(int64);
});

/** countExact as it was at 1c6d2dd (a Map get + set per run), the peer of ExactCounts. */
function countExactMap(counts: Map<number, number>, values: Float64Array, nulls: Uint8Array | undefined, n: number): boolean {
  let last = NaN;
  let run = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x !== 0) continue;
    if (x === last) {
      run++;
      continue;
    }
    if (run > 0) counts.set(last, (counts.get(last) ?? 0) + run);
    if (counts.size > EXACT_VALUES_MAX) return false;
    last = x;
    run = 1;
  }
  if (run > 0) counts.set(last, (counts.get(last) ?? 0) + run);
  return counts.size <= EXACT_VALUES_MAX;
}

function exactJsonMap(counts: ReadonlyMap<number, number>): ExactCountsJson {
  const values = [...counts.keys()].map((v) => (v === 0 ? 0 : v)).sort((a, b) => a - b);
  return { values, counts: values.map((v) => counts.get(v) as number) };
}

/** addCentred as it was at 1c6d2dd (SketchBuilder.addValue per value). */
function addCentredByValue(builder: SketchBuilder, frame: { offset: number; scale: number }, values: Float64Array, nulls: Uint8Array | undefined, n: number): void {
  const { offset, scale } = frame;
  for (let i = 0; i < n; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x === 0) builder.addValue((x - offset) / scale);
  }
}

const numericNames = numericOnly.map((f) => f.name);
const chunksOf = (name: string) => batches.map((b) => b.columns.get(name) as NumericChunk);
const countValues = (names: readonly string[]) => names.length * rows;

// Exact counts: each column's chunks until it passes the cap, as NumericAccumulator.add calls it.
let exactValues = 0;
const exactResults: { map: (ExactCountsJson | null)[]; table: (ExactCountsJson | null)[] } = { map: [], table: [] };
const exactMapNs = best(() => {
  exactValues = 0;
  exactResults.map = numericNames.map((name) => {
    const counts = new Map<number, number>();
    for (const c of chunksOf(name)) {
      exactValues += c.length;
      if (!countExactMap(counts, c.values, c.nulls, c.length)) return null;
    }
    return exactJsonMap(counts);
  });
});
const exactTableNs = best(() => {
  exactResults.table = numericNames.map((name) => {
    const counts = new ExactCounts();
    for (const c of chunksOf(name)) if (!counts.add(c.values, c.nulls, c.length)) return null;
    return counts.toJson();
  });
});
if (JSON.stringify(exactResults.map) !== JSON.stringify(exactResults.table)) throw new Error('ExactCounts differs from the Map it replaced');

// The centred sketch on the columns whose reference has a frame.
const centredNames = numericNames.filter((name) => (reference.columns[name] as NumericColumnSignature).centred !== undefined);
const centredRun = (add: typeof addCentred) => {
  const out: unknown[] = [];
  for (const name of centredNames) {
    const ref = (reference.columns[name] as NumericColumnSignature).centred!;
    const builder = new SketchBuilder(ref.sketch.relativeAccuracy);
    for (const c of chunksOf(name)) add(builder, ref, c.values, c.nulls, c.length);
    out.push(builder.toJson());
  }
  return JSON.stringify(out);
};
let centredByValue = '';
let centredInline = '';
const centredByValueNs = best(() => {
  centredByValue = centredRun(addCentredByValue);
});
const centredInlineNs = best(() => {
  centredInline = centredRun(addCentred);
});
if (centredByValue !== centredInline) throw new Error('addCentred differs from SketchBuilder.addValue per value');

// The scan alone: columns that drop exact counts in their first chunk and have no centred frame.
const firstBatch = batches[0];
const scanNames = numericNames.filter((name) => {
  const ref = reference.columns[name] as NumericColumnSignature;
  const c = firstBatch.columns.get(name) as NumericChunk;
  return ref.centred === undefined && !new ExactCounts().add(c.values, c.nulls, c.length);
});
const scanNs = best(() => {
  for (const name of scanNames) {
    const ref = reference.columns[name] as NumericColumnSignature;
    const acc = new NumericAccumulator('float', { edges: ref.histogram!.edges, relativeAccuracy: ref.sketch.relativeAccuracy, frame: null });
    for (const c of chunksOf(name)) acc.add(c);
    acc.finish();
  }
});

const out = (loop: string, ns: number, count: number) => console.log(JSON.stringify({ node: process.version, loop, nsPerValue: Math.round((ns / count) * 100) / 100, ms: Math.round(ns / 1e6) }));
out('builder, 12 columns, check against the reference', builderNs, rows * file.schema.length);
out('builder, 10 numeric columns', numericNs, rows * numericOnly.length);
out('writeInt64 (toColumnChunk int64)', int64Ns, 10 * n);
out(`exact counts, Map (as at 1c6d2dd), ${numericNames.length} columns until each passes the cap`, exactMapNs, exactValues);
out(`exact counts, ExactCounts table, ${numericNames.length} columns until each passes the cap`, exactTableNs, exactValues);
out(`centred sketch, addValue per value (as at 1c6d2dd), ${centredNames.join(' ')}`, centredByValueNs, countValues(centredNames));
out(`centred sketch, addCentred, ${centredNames.join(' ')}`, centredInlineNs, countValues(centredNames));
out(`numeric scan alone (accumulator on ${scanNames.join(' ')}, reference edges)`, scanNs, countValues(scanNames));

if (values.baseline !== undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'loops-baseline-'));
  try {
    execFileSync('git', ['archive', '--format=tar', '-o', join(dir, 'core.tar'), values.baseline, 'functions/core'], { cwd: ROOT });
    execFileSync('tar', ['-xf', 'core.tar'], { cwd: dir });
    // Loaded as this checkout's code is (an ES module, the same compiler settings): without package.json's
    // "type": "module" tsx loads the copy as CommonJS, which measured 3x slower on Node 20.
    for (const f of ['tsconfig.json', 'package.json']) await copyFile(join(ROOT, f), join(dir, f));
    const old = (await import(join(dir, 'functions/core/signature/numeric.ts'))) as { NumericAccumulator: typeof NumericAccumulator };
    const sides = [
      { name: values.baseline, Accumulator: old.NumericAccumulator },
      { name: 'this checkout', Accumulator: NumericAccumulator },
    ];
    for (const check of [true, false]) {
      const times = sides.map(() => [] as number[]);
      for (let r = 0; r < 2 * repeat; r++) {
        sides.forEach((side, i) => {
          const start = process.cpuUsage();
          for (const name of numericNames) {
            const ref = reference.columns[name] as NumericColumnSignature;
            const frame = ref.centred === undefined ? null : { offset: ref.centred.offset, scale: ref.centred.scale };
            const acc = new side.Accumulator('float', check ? { edges: ref.histogram!.edges, frame } : {});
            for (const c of chunksOf(name)) acc.add(c);
            acc.finish();
          }
          const used = process.cpuUsage(start);
          times[i].push((used.user + used.system) * 1000);
        });
      }
      for (const [i, side] of sides.entries()) {
        const sorted = [...times[i]].sort((a, b) => a - b);
        const perValue = (ns: number) => Math.round((ns / countValues(numericNames)) * 100) / 100;
        console.log(JSON.stringify({
          node: process.version,
          loop: `numeric accumulator, ${numericNames.length} columns, ${check ? 'check (reference edges and frames)' : 'build (no reference)'}`,
          code: side.name,
          nsPerValue: perValue(sorted[0]),
          medianNsPerValue: perValue(sorted[sorted.length >> 1]),
        }));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
