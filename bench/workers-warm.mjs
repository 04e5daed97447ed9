/**
 * Signing alone on a warm pool (bench/README.md, "After zstd in place"): the compiled `signFilesInWorkers`
 * (bench/data/dist, built by workers.ts) over FILE against REFERENCE, on 1 and on 2 workers. Each pool signs the
 * file twice: the first call pays the workers' module loading and JIT warm-up, the second is signing only.
 * Run by workers.ts after the CLI runs, or alone (after workers.ts built bench/data/dist):
 *   node bench/workers-warm.mjs bench/data/bench-20000000-snappy.parquet bench/data/workers-reference.json [REPEAT]
 * Plain JavaScript, run by plain node: the workers load the compiled code as the CLI does, not tsx's.
 * Prints one JSON line per pool: {"name":"warm-<N>","workers","firstSeconds","warmSeconds"}.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = join(dirname(fileURLToPath(import.meta.url)), 'data', 'dist', 'functions');
const { SignWorkerPool, signFilesInWorkers } = await import(join(DIST, 'adapters', 'worker-pool.js'));
const { parseSignature } = await import(join(DIST, 'core', 'signature', 'index.js'));

const [file, referencePath, repeatArg] = process.argv.slice(2);
const reference = parseSignature(JSON.parse(await readFile(referencePath, 'utf8')), referencePath);
const roles = Object.fromEntries(Object.entries(reference.columns).map(([name, column]) => [name, column.kind]));
const repeat = Math.max(1, Number(repeatArg ?? 2));
for (let r = 0; r < repeat; r++) {
  for (const workers of [1, 2]) {
    const pool = new SignWorkerPool(workers);
    try {
      const t0 = performance.now();
      await signFilesInWorkers([file], { workers, pool, reference, roles });
      const t1 = performance.now();
      await signFilesInWorkers([file], { workers, pool, reference, roles });
      const t2 = performance.now();
      console.log(JSON.stringify({ name: `warm-${workers}`, workers, firstSeconds: (t1 - t0) / 1000, warmSeconds: (t2 - t1) / 1000 }));
    } finally {
      await pool.close();
    }
  }
}
