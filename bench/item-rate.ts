/**
 * The per-item rate of the scale-out (bench/README.md, "Scale-out paper table"): plan FILE into work items of
 * ITEM_BYTES stored bytes (core/signature/plan.ts), sign each item alone through the real reader
 * (signSources with its row-group range, as the sign-range function does), and merge the partials.
 *   node --import tsx bench/item-rate.ts FILE [ITEM_BYTES]
 * Prints one JSON line: items, stored bytes and rows per item, CPU and wall seconds per item, the stored
 * MB/s and rows/s of one item on one core, and whether the merged partials equal the single pass.
 */
import { openBatchFile } from '../functions/adapters/columnar-reader.js';
import { fileByteSource } from '../functions/adapters/file-byte-source.js';
import { signSources } from '../functions/adapters/sign-sources.js';
import { serializeSignature } from '../functions/core/signature/index.js';
import { mergePartials, planSigning } from '../functions/core/signature/plan.js';

const [file, itemBytesArg] = process.argv.slice(2);
const source = await fileByteSource(file);
const units = await (await openBatchFile(source)).units();
const items = planSigning([{ key: file, byteLength: source.byteLength, units }], { maxItemBytes: Number(itemBytesArg ?? 50e6), maxUnitDecodedBytes: Number.MAX_SAFE_INTEGER });
const partials = [];
const perItem: { cpu: number; wall: number; bytes: number; rows: number }[] = [];
for (const item of items) {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  partials.push(await signSources([source], item.range ? { range: item.range } : {}));
  const cpu = process.cpuUsage(cpu0);
  perItem.push({ cpu: (cpu.user + cpu.system) / 1e6, wall: (performance.now() - wall0) / 1000, bytes: item.bytes, rows: item.rows ?? 0 });
}
const whole = await signSources([source]);
const strip = (json: string) => json.replace(/"(mean|m2)":[^,}]+/g, '');
const sum = (k: 'cpu' | 'wall' | 'bytes' | 'rows') => perItem.reduce((n, i) => n + i[k], 0);
console.log(
  JSON.stringify({
    file,
    node: process.version,
    items: items.length,
    bytesPerItem: Math.round(sum('bytes') / items.length),
    rowsPerItem: Math.round(sum('rows') / items.length),
    cpuSecondsPerItem: +(sum('cpu') / items.length).toFixed(3),
    wallSecondsPerItem: +(sum('wall') / items.length).toFixed(3),
    storedMBPerCpuSecond: +(sum('bytes') / 1e6 / sum('cpu')).toFixed(1),
    rowsPerCpuSecond: Math.round(sum('rows') / sum('cpu')),
    mergedEqualsSinglePass: strip(serializeSignature(mergePartials(partials))) === strip(serializeSignature(whole)),
  }),
);
