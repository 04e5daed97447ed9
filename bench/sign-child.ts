/**
 * Our side, in its own process (so its peak RSS is its own): sign one file with `signSources` over
 * `fileByteSource`, exactly as `driftgate check` does.
 *   node --import tsx bench/sign-child.ts check FILE REF.json      sign against a reference (timed)
 *   node --import tsx bench/sign-child.ts baseline FILE OUT.json BINS   build the reference (setup, untimed)
 * Prints one JSON line: { seconds, cpuSeconds, digest, maxRssMB } (wall and CPU time of the work). Only signSources is timed (not module loading).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { ColumnRole } from '../functions/core/columns.js';
import { parseSignature, serializeSignature } from '../functions/core/signature/index.js';
import { fileByteSource } from '../functions/adapters/file-byte-source.js';
import { signSources } from '../functions/adapters/sign-sources.js';
import { digestOfSignature } from './profile-sql.js';

const [mode, file, refPath, bins] = process.argv.slice(2);
let options: Parameters<typeof signSources>[1];
if (mode === 'check') {
  const reference = parseSignature(JSON.parse(await readFile(refPath, 'utf8')), refPath);
  const roles: Record<string, ColumnRole> = Object.fromEntries(Object.entries(reference.columns).map(([n, c]) => [n, c.kind]));
  options = { reference, roles };
} else {
  options = { histogramBins: Number(bins) };
}

const start = performance.now();
const cpuStart = process.cpuUsage();
const signature = await signSources([await fileByteSource(file)], options);
const cpu = process.cpuUsage(cpuStart);
const seconds = (performance.now() - start) / 1000;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;

if (mode === 'baseline') await writeFile(refPath, serializeSignature(signature));
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, digest: digestOfSignature(signature), maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
