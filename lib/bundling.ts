import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * ESM bundles still contain CommonJS dependencies, which may use `require`, `__filename` and `__dirname`,
 * so the bundle defines them.
 */
export const ESM_BANNER = [
  "import { createRequire as __dgCreateRequire } from 'node:module';",
  "import { fileURLToPath as __dgFileURLToPath } from 'node:url';",
  "import { dirname as __dgDirname } from 'node:path';",
  'const require = __dgCreateRequire(import.meta.url);',
  'const __filename = __dgFileURLToPath(import.meta.url);',
  'const __dirname = __dgDirname(__filename);',
].join(' ');

/**
 * Node modules shipped as files beside the bundles that read batches (no install, no network), each copied
 * from the copy this code resolves (the repo's node_modules, or wherever an app that installed the driftgate
 * package has it):
 * - parquet-wasm stays out of the bundle: after a wasm panic the reader reloads it with
 *   `require('parquet-wasm')` (functions/adapters/parquet-wasm-host.ts), which only works when the package
 *   resolves from the bundle's directory. Only its Node build is copied (package.json, node/, licences).
 * - @foxglove/wasm-zstd: functions/adapters/wasm-zstd.ts loads only its .wasm file (resolved from the bundle's
 *   directory), never its JavaScript.
 */
export const SHIPPED_MODULES = [
  {
    name: 'parquet-wasm',
    /** A file whose path locates the package (two directories up). */
    anchor: 'node/parquet_wasm_bg.wasm',
    files: ['package.json', 'LICENSE_MIT', 'LICENSE_APACHE', 'node/package.json', 'node/parquet_wasm.js', 'node/parquet_wasm_bg.wasm'],
  },
  {
    name: '@foxglove/wasm-zstd',
    anchor: 'dist/wasm-zstd.wasm',
    files: ['package.json', 'LICENSE', 'dist/wasm-zstd.wasm'],
  },
] as const;

/** The directory of a shipped package this code resolves. */
function packageDir(module: (typeof SHIPPED_MODULES)[number]): string {
  const anchor = createRequire(import.meta.url).resolve(`${module.name}/${module.anchor}`);
  return dirname(dirname(anchor));
}

/** Shell commands that copy the shipped modules into `<outputDir>/node_modules/` (CDK's afterBundling hook; the input directory is not where they live in an installed package). */
export function copyShippedModules(_inputDir: string, outputDir: string): string[] {
  return SHIPPED_MODULES.flatMap((module) => {
    const from = packageDir(module);
    const to = `${outputDir}/node_modules/${module.name}`;
    const dirs = [...new Set(module.files.map((file) => dirname(`${to}/${file}`)))];
    return [...dirs.map((dir) => `mkdir -p "${dir}"`), ...module.files.map((file) => `cp "${from}/${file}" "${to}/${file}"`)];
  });
}

/**
 * The functions whose code reads batch files (Parquet through parquet-wasm): only their assets carry
 * parquet-wasm's node module. The others (check, gate, decide) never read a batch, and parquet-wasm is
 * loaded on first use (functions/adapters/parquet-wasm-host.ts), so leaving it out costs them nothing but
 * 5 MB of asset. A new function that reads batches (the scale-out sign-range function) belongs here.
 */
export const BATCH_READING_HANDLERS: ReadonlySet<string> = new Set(['ingest', 'adopt', 'sign-range', 'signRange']);

/** The CDK context key that turns source maps on (`cdk deploy -c sourceMaps=true`). */
export const SOURCE_MAPS_CONTEXT = 'sourceMaps';

/** What one function's bundle needs. */
export interface FunctionBundlingOptions {
  /**
   * Ship the SHIPPED_MODULES (parquet-wasm, the zstd decoder) beside the bundle.
   * @default false
   */
  readonly readsBatches?: boolean;
  /**
   * Write a source map next to the bundle (the function then runs with `--enable-source-maps`).
   * @default false
   */
  readonly sourceMap?: boolean;
}

/**
 * Whether the context turns source maps on: `sourceMaps` given as `true` (cdk.json) or `"true"` (`-c`).
 * Off by default: a map is about four times the bundle, and Node's `--enable-source-maps` slows every
 * cold start and every stack trace.
 */
export function sourceMapsFromContext(value: unknown): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`context ${SOURCE_MAPS_CONTEXT}: expected true or false, got ${JSON.stringify(value)}`);
}

/**
 * Bundling of one driftgate function: the local esbuild (never Docker), minified ESM for Node 24, the AWS
 * SDK bundled (a pinned version, not the runtime's), parquet-wasm always external and copied beside the
 * bundle only for a function that reads batches, a source map only when asked for.
 */
export function functionBundling(options: FunctionBundlingOptions = {}): BundlingOptions {
  return {
    minify: true,
    sourceMap: options.sourceMap === true,
    format: OutputFormat.ESM,
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: ESM_BANNER,
    bundleAwsSDK: true,
    externalModules: SHIPPED_MODULES.map((module) => module.name),
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: options.readsBatches === true ? copyShippedModules : () => [],
    },
  };
}
