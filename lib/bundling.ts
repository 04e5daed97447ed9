import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * ESM bundles still contain CommonJS dependencies, which may use `require`, `__filename` and `__dirname`,
 * so the bundle defines them.
 */
const ESM_BANNER = [
  "import { createRequire as __dgCreateRequire } from 'node:module';",
  "import { fileURLToPath as __dgFileURLToPath } from 'node:url';",
  "import { dirname as __dgDirname } from 'node:path';",
  'const require = __dgCreateRequire(import.meta.url);',
  'const __filename = __dgFileURLToPath(import.meta.url);',
  'const __dirname = __dgDirname(__filename);',
].join(' ');

/**
 * parquet-wasm stays out of the bundle and ships as a node module beside it: after a wasm panic the
 * reader reloads it with `require('parquet-wasm')` (functions/adapters/parquet-wasm-host.ts), which
 * only works when the package resolves from the bundle's directory. Only its Node build is copied
 * (package.json, node/, licences), from this repo's node_modules: no install, no network.
 */
export const PARQUET_WASM_MODULE = {
  name: 'parquet-wasm',
  files: [
    'package.json',
    'LICENSE_MIT',
    'LICENSE_APACHE',
    'node/package.json',
    'node/parquet_wasm.js',
    'node/parquet_wasm_bg.wasm',
  ],
} as const;

/** Shell commands that copy parquet-wasm's Node build into `<outputDir>/node_modules/parquet-wasm`. */
export function copyParquetWasm(inputDir: string, outputDir: string): string[] {
  const from = `${inputDir}/node_modules/${PARQUET_WASM_MODULE.name}`;
  const to = `${outputDir}/node_modules/${PARQUET_WASM_MODULE.name}`;
  return [
    `mkdir -p "${to}/node"`,
    ...PARQUET_WASM_MODULE.files.map((file) => `cp "${from}/${file}" "${to}/${file}"`),
  ];
}

/**
 * Bundling of every driftgate function: the local esbuild (never Docker), minified ESM for Node 24 with
 * source maps, the AWS SDK bundled (a pinned version, not the runtime's), parquet-wasm beside the bundle
 * (every handler reaches the column reader through the lifecycle).
 */
export function functionBundling(): BundlingOptions {
  return {
    minify: true,
    sourceMap: true,
    format: OutputFormat.ESM,
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: ESM_BANNER,
    bundleAwsSDK: true,
    externalModules: [PARQUET_WASM_MODULE.name],
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: copyParquetWasm,
    },
  };
}
