/**
 * The signature's hot loops alone, for comparing Node versions (issue 14: the numeric scan and writeInt64 were
 * slower on Node 24 than on Node 20). Reads the 1M-row bench file once into memory (fresh arrays), then times,
 * best of --repeat passes each: the builder over those batches against the bench reference (the check path:
 * numeric scan, histogram, categorical counts), and the int64 -> float64 conversion (writeInt64) of 1M values.
 *   node --import tsx bench/loops.ts [--repeat 5]           (any node: .cache/node24/…/bin/node for Node 24)
 * Prints one JSON line per loop with ns per value; run after `npm run bench` made bench/data.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toColumnChunk } from '../functions/adapters/arrow-columns.js';
import { openBatchFile } from '../functions/adapters/columnar-reader.js';
import { fileByteSource } from '../functions/adapters/file-byte-source.js';
import type { ColumnBatch, ColumnRole } from '../functions/core/columns.js';
import { parseSignature, SignatureBuilder } from '../functions/core/signature/index.js';

const DATA = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'bench', 'data');
const { values } = parseArgs({ options: { repeat: { type: 'string', default: '5' } } });
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

const out = (loop: string, ns: number, count: number) => console.log(JSON.stringify({ node: process.version, loop, nsPerValue: Math.round((ns / count) * 100) / 100, ms: Math.round(ns / 1e6) }));
out('builder, 12 columns, check against the reference', builderNs, rows * file.schema.length);
out('builder, 10 numeric columns', numericNs, rows * numericOnly.length);
out('writeInt64 (toColumnChunk int64)', int64Ns, 10 * n);
