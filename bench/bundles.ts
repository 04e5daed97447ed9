/**
 * `npm run bench:bundles` (also the first part of `npm run bench`): every Lambda function of the stack,
 * bundled for real by CDK (NodejsFunction, local esbuild, the options in lib/bundling.ts), with
 *   - its asset's size: the bundle (index.mjs), its source map, the node_modules shipped beside it;
 *   - its cold `import()` time: a fresh Node process imports the bundle the way the Lambda runtime does
 *     (with the function's own NODE_OPTIONS from the template), timed inside the child around the
 *     `import()` only; the median of `--repeat` processes (default 5), on Node 24 (the runtime,
 *     installed by scripts/ensure-node24.sh) and on this Node.
 *
 *   npm run bench:bundles
 *   npm run bench:bundles -- --repeat 9 --context sourceMaps=true
 *
 * Output: a table, then one JSON line per function: {"function","bundleKB","mapKB","nodeModulesKB","totalKB","import":{"node24":{"wallMs","cpuMs"},...}}.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { DriftgateStack, driftgatePropsFromContext } from '../lib/driftgate-stack.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    repeat: { type: 'string', default: '5' },
    context: { type: 'string', multiple: true, default: [] },
  },
});
const repeat = Math.max(1, Number(values.repeat));

/** Total bytes of the files under `path` (a file's own size when it is one). */
function bytesUnder(path: string): number {
  const info = statSync(path, { throwIfNoEntry: false });
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

/**
 * Milliseconds one fresh `node` process spends in `import(bundle)`: wall time, and CPU time (user + system),
 * which stays meaningful when other processes share the machine.
 */
async function coldImportMs(node: string, bundle: string, nodeOptions: string): Promise<{ wall: number; cpu: number }> {
  const script = [
    'const c = process.cpuUsage(); const t = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    'const wall = performance.now() - t; const u = process.cpuUsage(c);',
    'process.stdout.write(JSON.stringify({ wall, cpu: (u.user + u.system) / 1000 }));',
  ].join(' ');
  const args = [...nodeOptions.split(/\s+/).filter((a) => a !== ''), '--input-type=module', '-e', script];
  const { stdout } = await run(node, args, { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' } });
  return JSON.parse(stdout) as { wall: number; cpu: number };
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const node24 = execFileSync('bash', [join(ROOT, 'scripts', 'ensure-node24.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const nodes: Record<string, string> = { [`node${execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim().split('.')[0].slice(1)}`]: node24, [`node${process.versions.node.split('.')[0]}`]: process.execPath };

const outdir = mkdtempSync(join(tmpdir(), 'driftgate-bench-bundles-'));
try {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const extra = Object.fromEntries(values.context.map((kv) => { const [k, ...v] = kv.split('='); return [k, v.join('=') === 'true' ? true : v.join('=')]; }));
  const app = new App({ outdir, context: { ...cdkJson.context, ...extra } });
  const stack = new DriftgateStack(app, 'Driftgate', { driftgate: driftgatePropsFromContext(app) });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }> };
  const functions = stack.node.findAll().filter((c): c is NodejsFunction => c instanceof NodejsFunction);
  const rows: { name: string; bundleKB: number; mapKB: number; nodeModulesKB: number; totalKB: number; import: Record<string, { wallMs: number; cpuMs: number }> }[] = [];
  for (const fn of functions) {
    const dir = join(outdir, (fn.node.findChild('Code') as Asset).assetPath);
    const logicalId = Stack.of(fn).resolve((fn.node.defaultChild as CfnFunction).logicalId) as string;
    const nodeOptions = String(template.Resources[logicalId]?.Properties?.Environment?.Variables?.NODE_OPTIONS ?? '');
    const times: Record<string, { wallMs: number; cpuMs: number }> = {};
    for (const [label, node] of Object.entries(nodes)) {
      const samples: { wall: number; cpu: number }[] = [];
      for (let i = 0; i < repeat; i++) samples.push(await coldImportMs(node, join(dir, 'index.mjs'), nodeOptions));
      times[label] = { wallMs: Math.round(median(samples.map((s) => s.wall))), cpuMs: Math.round(median(samples.map((s) => s.cpu))) };
    }
    const kb = (bytes: number): number => Math.round(bytes / 1024);
    rows.push({
      name: fn.node.path.replace(/^Driftgate\/Driftgate\//, ''),
      bundleKB: kb(bytesUnder(join(dir, 'index.mjs'))),
      mapKB: kb(bytesUnder(join(dir, 'index.mjs.map'))),
      nodeModulesKB: kb(bytesUnder(join(dir, 'node_modules'))),
      totalKB: kb(bytesUnder(dir)),
      import: times,
    });
  }
  const labels = Object.keys(nodes);
  console.log(`bundles: ${functions.length} functions, cold import() = median of ${repeat} fresh processes, with each function's NODE_OPTIONS`);
  console.log(['function'.padEnd(28), 'bundle KB', '  map KB', 'node_modules KB', 'total KB', ...labels.map((l) => `${l} wall/cpu ms`.padStart(20))].join('  '));
  for (const r of rows) {
    console.log([r.name.padEnd(28), String(r.bundleKB).padStart(9), String(r.mapKB).padStart(8), String(r.nodeModulesKB).padStart(15), String(r.totalKB).padStart(8), ...labels.map((l) => `${r.import[l].wallMs}/${r.import[l].cpuMs}`.padStart(20))].join('  '));
  }
  for (const r of rows) console.log(JSON.stringify({ function: r.name, bundleKB: r.bundleKB, mapKB: r.mapKB, nodeModulesKB: r.nodeModulesKB, totalKB: r.totalKB, import: r.import }));
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
