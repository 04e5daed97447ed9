import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/moto.js';

/**
 * The package as a CDK team gets it: `npm pack` (prepack runs `npm run build`: tsc to dist/), the tarball
 * installed into a scratch app in a temp dir with npm (`--prefer-offline`: npm's cache, else the registry),
 * then a plain ESM CDK app there imports `{ Driftgate }` from 'driftgate' and synthesizes with real esbuild
 * bundling and the cdk-nag packs, and the installed `driftgate` bin runs the compiled CLI.
 *
 * The app installs the tarball and esbuild (a peer dependency, run by NodejsFunction with `npx` from the
 * app's directory); aws-cdk-lib, constructs and cdk-nag (the other peers, ~100 MB) are linked from this
 * repo's node_modules into a node_modules one level above the app, where Node's resolution finds them,
 * instead of being downloaded again. `--legacy-peer-deps` keeps npm from installing them into the app.
 */

const run = promisify(execFile);

/** This environment without npm's own variables (the test may run under `npm test`). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

const LINKED_PEERS = ['aws-cdk-lib', 'constructs', 'cdk-nag'] as const;

/** The scratch CDK app: the construct in a stack of the app's own, the nag packs, synthesized to argv[2]. */
const APP = `
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Driftgate, addNagChecks } from 'driftgate';

const outdir = process.argv[2];
const app = new App({ outdir });
const stack = new Stack(app, 'TeamMl');
const watch = new Driftgate(stack, 'Watch', { notifyEmail: 'ml-owners@example.com', checkSchedule: 'rate(2 hours)' });
addNagChecks(app);
const assembly = app.synth();
const template = assembly.getStackByName('TeamMl').template;
const functions = stack.node.findAll().filter((c) => c instanceof NodejsFunction).map((fn) => {
  const dir = join(outdir, fn.node.findChild('Code').assetPath);
  return { path: fn.node.path, files: readdirSync(dir).sort() };
});
process.stdout.write(JSON.stringify({
  bucket: stack.resolve(watch.bucket.bucketName),
  types: [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort(),
  functions,
}));
`;

describe('Function: the npm package (pack, install, import, synth)', () => {
  let dir: string;
  let appDir: string;
  let files: string[];

  beforeAll(async () => {
    // Prepare: pack (prepack builds), then a scratch app that installs the tarball.
    dir = mkdtempSync(join(tmpdir(), 'driftgate-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repoRoot, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    files = packed.files.map((f) => f.path);
    mkdirSync(join(dir, 'node_modules'));
    for (const name of LINKED_PEERS) symlinkSync(realpathSync(join(repoRoot, 'node_modules', name)), join(dir, 'node_modules', name), 'dir');
    const esbuild = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'esbuild', 'package.json'), 'utf8')) as { version: string }).version;
    appDir = join(dir, 'app');
    mkdirSync(appDir);
    writeFileSync(
      join(appDir, 'package.json'),
      JSON.stringify({ name: 'scratch-cdk-app', private: true, type: 'module', dependencies: { driftgate: `file:../${packed.filename}`, esbuild } }),
    );
    writeFileSync(join(appDir, 'app.mjs'), APP);
    await run('npm', ['install', '--prefer-offline', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: appDir, env: cleanEnv() });
  }, 420_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs the compiled library and CLI, their types, the handlers\' TypeScript sources for esbuild, a lock file and the project documents, and no tests', () => {
    // Assess
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'CONTRIBUTING.md',
        'SECURITY.md',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lib/driftgate.d.ts',
        'dist/bin/driftgate.js',
        'dist/functions/adapters/worker-pool.js',
        'dist/functions/adapters/sign-worker.js',
        'dist/package-lock.json',
        'functions/handlers/ingest.ts',
        'functions/handlers/decide.ts',
        'functions/core/constants.ts',
      ]),
    );
    expect(files.filter((f) => /^(test|bench|scripts|\.ci)\//.test(f) || f.endsWith('.test.ts'))).toEqual([]);
    expect(readFileSync(join(appDir, 'node_modules', 'driftgate', 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
  });

  it('documents the construct\'s props in the types it ships', () => {
    // Act
    const types = readFileSync(join(appDir, 'node_modules', 'driftgate', 'dist', 'lib', 'driftgate.d.ts'), 'utf8');

    // Assess
    expect(types).toMatch(/export declare class Driftgate extends Construct/);
    expect(types).toMatch(/export interface DriftgateProps \{/);
    expect(types).toContain('@default \'rate(1 hour)\'');
  });

  it('synthesizes a scratch CDK app that imports { Driftgate } from the installed package, with real esbuild bundles and the cdk-nag packs', async () => {
    // Act
    const outdir = join(dir, 'cdk.out');
    const { stdout } = await run(process.execPath, ['app.mjs', outdir], { cwd: appDir, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    const synth = JSON.parse(stdout.slice(stdout.indexOf('{"bucket"'))) as { bucket: unknown; types: string[]; functions: { path: string; files: string[] }[] };

    // Assess
    expect(synth.types).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::S3::Bucket', 'AWS::SNS::Topic', 'AWS::Scheduler::Schedule', 'AWS::SecretsManager::Secret']));
    expect(synth.functions.map((f) => f.path).sort()).toEqual(
      ['TeamMl/Watch/Adoption/Function', 'TeamMl/Watch/CheckFunction', 'TeamMl/Watch/DecideFunction', 'TeamMl/Watch/GateFunction', 'TeamMl/Watch/IngestFunction'],
    );
    const filesOf = (name: string): string[] | undefined => synth.functions.find((f) => f.path.endsWith(name))?.files;
    expect(filesOf('IngestFunction')).toEqual(['index.mjs', 'node_modules']);
    expect(filesOf('Adoption/Function')).toEqual(['index.mjs', 'node_modules']);
    for (const name of ['CheckFunction', 'DecideFunction', 'GateFunction']) expect(filesOf(name)).toEqual(['index.mjs']);
    expect(readdirSync(outdir).filter((f) => f.endsWith('.template.json'))).toEqual(['TeamMl.template.json']);
  }, 300_000);

  it('runs the installed driftgate bin as compiled JS, without tsx, on a Parquet file', async () => {
    // Prepare
    const parquet = join(repoRoot, 'test', 'fixtures', 'batches', 'zstd-plain.parquet');
    const out = join(dir, 'ref.json');
    const bin = join(appDir, 'node_modules', '.bin', 'driftgate');

    // Act
    const help = await run(bin, ['--help'], { cwd: appDir, env: cleanEnv() });
    const baseline = await run(bin, ['baseline', '--out', out, parquet], { cwd: appDir, env: cleanEnv() });
    // On the compiled worker entry (dist/functions/adapters/sign-worker.js), and in the main thread.
    const onWorker = await run(bin, ['baseline', '--workers', '1', '--out', `${out}.worker.json`, parquet], { cwd: appDir, env: cleanEnv() });
    const inThread = await run(bin, ['baseline', '--workers', '0', '--out', `${out}.thread.json`, parquet], { cwd: appDir, env: cleanEnv() });

    // Assess
    expect(realpathSync(bin)).toBe(realpathSync(join(appDir, 'node_modules', 'driftgate', 'dist', 'bin', 'driftgate.js')));
    expect(existsSync(join(appDir, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'tsx'))).toBe(false);
    expect(help.stdout).toContain('Usage: driftgate <command>');
    expect(baseline.stdout).toMatch(/wrote .*ref\.json: \d+ rows/);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { rowCount: number }).rowCount).toBeGreaterThan(0);
    expect([onWorker.stderr, inThread.stderr]).toEqual(['', '']);
    expect(readFileSync(`${out}.worker.json`, 'utf8')).toBe(readFileSync(`${out}.thread.json`, 'utf8'));
  }, 60_000);
});
