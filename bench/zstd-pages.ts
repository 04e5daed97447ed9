/**
 * zstd decoders on the pages of a Parquet file: every zstd page decompressed in place by wasm-zstd.ts (what the
 * native decoder uses), by zlib.zstdDecompressSync (when this Node has it: the fallback) and by
 * hyparquet-compressors' decompressZstd (the error path's), and parquet-wasm decoding the same row groups
 * (decompression + Parquet decoding + Arrow building) for scale. See bench/README.md, "zstd in place".
 *   node --import tsx bench/zstd-pages.ts bench/data/bench-1000000-zstd.parquet
 */
import { readFile } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { decompressZstd } from 'hyparquet-compressors';
import { withParquetWasm } from '../functions/adapters/parquet-wasm-host.js';
import { wasmZstd } from '../functions/adapters/wasm-zstd.js';
import { zstdPagesOf } from '../test/support/zstd-pages.js';

const path = process.argv[2];
const bytes = new Uint8Array(await readFile(path));
const { layout, pages } = zstdPagesOf(path, bytes);
const cpu = (f: () => void | Promise<void>) => async (): Promise<number> => {
  const start = process.cpuUsage();
  await f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};
const native = (zlib as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
const out: Record<string, unknown> = { node: process.version, pages: pages.length, storedMB: Math.round(pages.reduce((n, p) => n + p.body.byteLength, 0) / 2 ** 20) };
const inPlace = wasmZstd();
if (inPlace) out.wasmZstdInPlaceSeconds = await cpu(() => void pages.forEach((p) => inPlace(p.body, p.size)))();
if (native) out.nativeZstdSeconds = await cpu(() => void pages.forEach((p) => native(p.body)))();
out.hyparquetZstdSeconds = await cpu(() => void pages.forEach((p) => decompressZstd(p.body, new Uint8Array(p.size))))();
out.parquetWasmDecodeSeconds = await cpu(async () => {
  await withParquetWasm(async (module) => {
    const file = await module.ParquetFile.fromFile(new Blob([bytes]));
    for (let g = 0; g < layout.rowGroups.length; g++) {
      const table = await file.read({ rowGroups: [g], batchSize: layout.rowGroups[g].numRows });
      table.free();
    }
  });
})();
console.log(JSON.stringify(out));
