/**
 * The bench's child scripts bundled the way the Lambda functions are (lib/bundling.ts: esbuild, ESM with the
 * same banner, the shipped modules left external and resolved from the repo's node_modules), so both sides of
 * a comparison run as shipped code, not through tsx (whose loader costs memory and, for CommonJS
 * dependencies, time: bench/README.md, "Bundled children"). `--cpu-prof` builds them unminified, for
 * readable profiles. Written once per run under bench/data/build/ (gitignored).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { ESM_BANNER, SHIPPED_MODULES } from '../lib/bundling.js';

/** Bundle `scripts` (file names under bench/) into `outDir`; returns each script's bundle path. */
export async function bundleChildren(root: string, outDir: string, scripts: readonly string[], options: { minify: boolean }): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const script of scripts) {
    const outfile = join(outDir, script.replace(/\.ts$/, '.mjs'));
    await build({
      entryPoints: [join(root, 'bench', script)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: options.minify,
      banner: { js: ESM_BANNER },
      // The shipped modules as in the Lambdas; DuckDB's native addon cannot be bundled.
      external: [...SHIPPED_MODULES.map((m) => m.name), '@duckdb/node-api'],
      logLevel: 'warning',
    });
    out.set(script, outfile);
  }
  return out;
}
