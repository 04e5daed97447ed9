import { mkdir, mkdtemp, open, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnRole } from '../core/columns.js';
import { AdapterError, DriftgateError, InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import type { ReportInput } from '../core/report/types.js';
import type { DatasetSignature } from '../core/signature/types.js';
import type { SignWorkerPool } from '../adapters/worker-pool.js';
import {
  type AdoptArgs,
  commandHelp,
  parseCliArgs,
  usageText,
  UsageError,
  type BaselineArgs,
  type CheckArgs,
  type CliArgs,
  type DemoArgs,
  type ReportArgs,
  type UploadConfigArgs,
  type ValidateConfigArgs,
} from './args.js';
import { DEFAULT_WIDTH, describeSignature, renderDriftText, terminalJson, terminalLines } from './format.js';
import { plainText, showInvisible } from '../core/text/plain.js';
import { progressLine, type ProgressEvent } from './progress.js';

/**
 * The CLI's logic (bin/driftgate.ts only wires the process in). Heavy modules (the columnar reader with its
 * wasm decoder, the AWS SDK, the demo) are imported by the command that needs them, so `validate-config` and
 * `--help` start fast.
 */

/** The process around the CLI, injected so the logic never touches `process` directly. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  /** The terminal's width in columns, when stdout is one. @default the COLUMNS variable, else 100 */
  readonly columns?: number;
  /**
   * Resolves with the signal's name when the user asks a long-running command (serve, watch, demo --serve)
   * to stop (Ctrl-C, SIGTERM). @default never resolves
   */
  readonly untilStopped?: () => Promise<string>;
}

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, drift: 1, badInput: 2, internal: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Environment variable that adds stack traces to error messages. */
export const DEBUG_ENV = 'DRIFTGATE_DEBUG' as const;

/**
 * Run one CLI invocation and return its exit code (0 ok, 1 drift or data-quality with --fail-on-drift, 2 bad usage/input, 3 internal).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    const args = parseCliArgs(argv);
    return await dispatch(args, io);
  } catch (error) {
    return reportError(error, io);
  }
}

/** Width to lay text out for: the terminal's, else $COLUMNS, else the default. */
function terminalColumns(io: CliIo): number {
  const fromEnv = Number(io.env.COLUMNS);
  return io.columns ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_WIDTH);
}

/** The CliIo of the current process. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    now: () => new Date(),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    untilStopped: () =>
      new Promise<string>((resolve) => {
        const stop = (signal: string): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(signal);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
  };
}

async function dispatch(args: CliArgs, io: CliIo): Promise<ExitCode> {
  switch (args.command) {
    case 'help':
      io.stdout(`${args.topic ? commandHelp(args.topic) : usageText()}\n`);
      return EXIT.ok;
    case 'baseline':
      return baseline(args, io);
    case 'check':
      return check(args, io);
    case 'report':
      return report(args, io);
    case 'validate-config':
      return validateConfig(args, io);
    case 'upload-config':
      return uploadConfig(args, io);
    case 'adopt':
      return adopt(args, io);
    case 'version':
      io.stdout(`driftgate ${await packageVersion()}\n`);
      return EXIT.ok;
    case 'init':
    case 'ingest':
    case 'run':
    case 'serve':
    case 'watch': {
      const { runLocalCommand } = await import('./local-commands.js');
      return runLocalCommand(args, io);
    }
    case 'demo':
      return demo(args, io);
  }
}

// ---------------------------------------------------------------------------------------------- commands

async function baseline(args: BaselineArgs, io: CliIo): Promise<ExitCode> {
  const progress = progressLine(io.stderr, io.stderrIsTTY && io.stdoutIsTTY);
  const signature = await withWorkers(args.workers, (pool) =>
    signFiles(args.files, { roles: rolesOf(args.categorical), histogramBins: args.bins, workers: args.workers, pool, onProgress: progress.onProgress }),
  ).finally(progress.done);
  const { serializeSignature } = await import('../core/signature/index.js');
  await writeFile(args.out, serializeSignature(signature));
  io.stdout(`wrote ${describeSignature(args.out, signature)}\n`);
  return EXIT.ok;
}

async function check(args: CheckArgs, io: CliIo): Promise<ExitCode> {
  const progress = progressLine(io.stderr, io.stderrIsTTY && io.stdoutIsTTY && !args.json);
  try {
    const { config, reference, current } = await withWorkers(args.workers, async (pool) => {
      const config = args.config === undefined ? undefined : await loadConfig(args.config);
      const { signingOptions } = await import('../core/lifecycle/config.js');
      // The one signing rule (core/lifecycle/config.ts, signature/builder.ts roleOf), as the Lambdas apply it.
      const reference = await loadReference(args.reference, {
        ...signingOptions(config, undefined, rolesOf(args.categorical)),
        histogramBins: args.bins,
        workers: args.workers,
        pool,
        onProgress: progress.onProgress,
      });
      const current = await signFiles(args.files, { ...signingOptions(config, reference, rolesOf(args.categorical)), workers: args.workers, pool, onProgress: progress.onProgress });
      return { config, reference, current };
    });
    progress.done();
    const { compare } = await import('../core/drift/index.js');
    const result = compare(reference, current, config?.features);
    if (args.html !== undefined) {
      const { cliReportInput } = await import('./report.js');
      await writeFile(args.html, await renderHtml(cliReportInput(result, io.now())));
    }
    io.stdout(args.json ? `${terminalJson(result)}\n` : `${renderDriftText(result, terminalColumns(io))}\n${args.html ? `\nReport: ${showInvisible(args.html)}\n` : ''}`);
    // A broken pipeline fails the gate as drift does: neither batch should pass unattended.
    return args.failOnDrift && (result.action === 'drift' || result.action === 'data-quality') ? EXIT.drift : EXIT.ok;
  } finally {
    progress.done();
  }
}

async function report(args: ReportArgs, io: CliIo): Promise<ExitCode> {
  const { reportInputOf } = await import('./report.js');
  const input = reportInputOf(await readJson(args.in), args.in, io.now());
  await writeFile(args.out, await renderHtml(input));
  // The model id and verdict come from the stored JSON: data, so the plain-text rule.
  io.stdout(`wrote ${showInvisible(args.out)} (model ${plainText(input.modelId, 64)}, verdict ${plainText(input.result.verdict, 32)})\n`);
  return EXIT.ok;
}

async function validateConfig(args: ValidateConfigArgs, io: CliIo): Promise<ExitCode> {
  let failed = false;
  for (const file of args.files) {
    try {
      const config = await loadConfig(file);
      io.stdout(`ok: ${showInvisible(file)} (model ${plainText(config.modelId, 64)})\n`);
    } catch (error) {
      if (!(error instanceof DriftgateError) && !isFsError(error)) throw error;
      failed = true;
      reportError(error, io);
    }
  }
  return failed ? EXIT.badInput : EXIT.ok;
}

async function uploadConfig(args: UploadConfigArgs, io: CliIo): Promise<ExitCode> {
  const input = await readJson(args.file);
  // Validate before any client is built: a bad file never reaches the network.
  const { parseModelConfig } = await import('../core/lifecycle/config.js');
  parseModelConfig(input, args.file);
  const [{ createS3Client }, { S3Store }, { uploadModelConfig }] = await Promise.all([
    import('../adapters/aws-clients.js'),
    import('../adapters/s3-store.js'),
    import('../service/config-upload.js'),
  ]);
  const client = createS3Client({ endpoint: args.endpoint, region: args.region });
  try {
    const uploaded = await uploadModelConfig(new S3Store(client, args.bucket), input, args.file);
    io.stdout(`uploaded ${args.file} to s3://${args.bucket}/${uploaded.key} (model ${uploaded.modelId})\n`);
  } finally {
    client.destroy();
  }
  return EXIT.ok;
}

async function adopt(args: AdoptArgs, io: CliIo): Promise<ExitCode> {
  // Validate before any client is built: a bad manifest never reaches the network.
  const { buildAdoptionManifest } = await import('../core/lifecycle/adoption.js');
  const outcome = args.outcome === undefined ? {} : await (await import('./adopt-outcome.js')).outcomeFieldsFromFlags(args.outcome, (file) =>
    readFile(file, 'utf8').catch((error: unknown) => {
      throw new InvalidInputError(file, fsReason(error));
    }),
  );
  const input = { modelId: args.model, version: args.version, trainingData: args.keys, ...(args.proposal !== undefined ? { proposalId: args.proposal } : {}), ...outcome };
  buildAdoptionManifest(input);
  const [{ createS3Client }, { S3Store }, { uploadAdoptionManifest }] = await Promise.all([
    import('../adapters/aws-clients.js'),
    import('../adapters/s3-store.js'),
    import('../service/adoption-upload.js'),
  ]);
  const client = createS3Client({ endpoint: args.endpoint, region: args.region });
  try {
    const store = new S3Store(client, args.bucket);
    const uploaded = await uploadAdoptionManifest(store, input, { force: args.force, storeName: `s3://${args.bucket}` });
    const target = `s3://${args.bucket}/${uploaded.key}`;
    const files = `${uploaded.manifest.trainingData.length} training file${uploaded.manifest.trainingData.length === 1 ? '' : 's'}`;
    if (uploaded.status === 'unchanged') {
      io.stdout(`${target} already holds this manifest (model ${args.model}, version ${args.version}); nothing uploaded (--force uploads it again)\n`);
    } else {
      io.stdout(`${uploaded.status} ${target} (model ${args.model}, version ${args.version}, ${files}); the adopt function installs the reference\n`);
    }
  } finally {
    client.destroy();
  }
  return EXIT.ok;
}

/** The version in package.json (the one file that holds it). */
async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

async function demo(args: DemoArgs, io: CliIo): Promise<ExitCode> {
  const dir = args.dir ?? (await mkdtemp(join(tmpdir(), 'driftgate-demo-')));
  await mkdir(dir, { recursive: true });
  const { runDemo } = await import('./demo.js');
  // Served: bound first (a port in use fails before the simulation, and port 0 gets its real number for
  // the links); it answers 503 until the simulation is done and the store's handler takes over.
  let inner: ((event: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string }>) | undefined;
  const server = args.serve
    ? await (await import('../adapters/http-server.js')).serveFunctionUrl(
        async (event) => (inner ? inner(event) : { statusCode: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' }, body: 'The demo is still simulating; try again in a few seconds.\n' }),
        { host: '127.0.0.1', port: args.port },
      )
    : undefined;
  const baseUrl = server?.url ?? `http://127.0.0.1:${args.port}`;
  await runDemo({
    dir,
    json: args.json,
    ...(args.days !== undefined ? { days: args.days } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
    ...(args.serve ? { live: { baseUrl, now: io.now() } } : {}),
    emit: (line: string) => io.stdout(line.endsWith('\n') ? line : `${line}\n`),
  }).catch(async (error: unknown) => {
    await server?.close();
    throw error;
  });
  // With --json stdout carries only the JSON lines.
  if (args.json) io.stderr(`demo folder: ${dir}\n`);
  else io.stdout(`\nDemo folder: ${dir}\n`);
  if (server === undefined) return EXIT.ok;
  const [{ localHandler, openLocalProduct }, { printDecisions }] = await Promise.all([import('./local-product.js'), import('./local-commands.js')]);
  inner = localHandler(await openLocalProduct({ dir, baseUrl }), { onDecision: printDecisions(args.json ? { ...io, stdout: io.stderr } : io) });
  const say = args.json ? io.stderr : io.stdout;
  say(`serving the demo store at ${server.url}/ (index) — open the live approve link above; Ctrl-C stops. Later: driftgate serve --store ${dir}\n`);
  const signal = await (io.untilStopped?.() ?? new Promise<string>(() => undefined));
  await server.close();
  say(`stopped (${signal})\n`);
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------- helpers

interface SignFilesOptions {
  readonly roles?: Readonly<Record<string, ColumnRole>>;
  readonly histogramBins?: number;
  readonly reference?: DatasetSignature;
  /** Worker threads (worker-pool.ts); 0 signs in this thread. @default 0 */
  readonly workers?: number;
  /** The command's pool of `workers` workers (withWorkers). @default a pool for this call */
  readonly pool?: SignWorkerPool;
  readonly onProgress: (p: ProgressEvent) => void;
}

/**
 * Run `body` with the command's pool of `workers` sign workers (none for 0), closed when it ends. The pool
 * starts first, so its workers load their modules while this thread reads the config and the reference.
 */
async function withWorkers<T>(workers: number, body: (pool: SignWorkerPool | undefined) => Promise<T>): Promise<T> {
  if (workers <= 0) return body(undefined);
  const { SignWorkerPool } = await import('../adapters/worker-pool.js');
  const pool = new SignWorkerPool(workers);
  try {
    return await body(pool);
  } finally {
    await pool.close();
  }
}

async function signFiles(files: readonly string[], options: SignFilesOptions): Promise<DatasetSignature> {
  if (options.workers !== undefined && options.workers > 0) {
    for (const file of files) await assertRegularFile(file);
    const { signFilesInWorkers } = await import('../adapters/worker-pool.js');
    return signFilesInWorkers(files, {
      workers: options.workers,
      ...(options.pool ? { pool: options.pool } : {}),
      roles: options.roles,
      onProgress: options.onProgress,
      ...(options.histogramBins !== undefined ? { histogramBins: options.histogramBins } : {}),
      ...(options.reference !== undefined ? { reference: options.reference } : {}),
    });
  }
  const sources = await openSources(files);
  const { signSources } = await import('../adapters/sign-sources.js');
  return signSources(sources, {
    roles: options.roles,
    onProgress: options.onProgress,
    ...(options.histogramBins !== undefined ? { histogramBins: options.histogramBins } : {}),
    ...(options.reference !== undefined ? { reference: options.reference } : {}),
  });
}

async function openSources(files: readonly string[]): Promise<ByteSource[]> {
  // Check every path first, so a typo is reported before minutes of reading the other files.
  for (const file of files) await assertRegularFile(file);
  const { fileByteSource } = await import('../adapters/file-byte-source.js');
  const sources: ByteSource[] = [];
  for (const file of files) sources.push(await fileByteSource(file));
  return sources;
}

async function assertRegularFile(file: string): Promise<void> {
  const info = await stat(file).catch((error: unknown) => {
    throw new InvalidInputError(file, fsReason(error));
  });
  if (info.isDirectory()) throw new InvalidInputError(file, 'is a directory, expected a file');
}

/** A signature JSON is used as is; a Parquet/Arrow file is signed on the fly (detected by its first byte). */
async function loadReference(file: string, options: SignFilesOptions): Promise<DatasetSignature> {
  await assertRegularFile(file);
  const head = await firstBytes(file, 64);
  if (head.length === 0) throw new InvalidInputError(file, 'empty file (0 bytes): expected a signature JSON or a Parquet/Arrow IPC file');
  const text = new TextDecoder().decode(head).trimStart();
  if (text.startsWith('{')) {
    const { parseSignature } = await import('../core/signature/index.js');
    return parseSignature(await readJson(file), file);
  }
  return signFiles([file], options);
}

async function firstBytes(file: string, n: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(n);
    const { bytesRead } = await handle.read(buffer, 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new InvalidInputError(file, fsReason(error));
  });
  if (text.trim().length === 0) throw new InvalidInputError(file, 'empty file: expected a JSON document');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidInputError(file, `not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

async function loadConfig(file: string) {
  const { parseModelConfig } = await import('../core/lifecycle/config.js');
  return parseModelConfig(await readJson(file), file);
}

function rolesOf(categorical: readonly string[]): Record<string, ColumnRole> {
  return Object.fromEntries(categorical.map((name) => [name, 'categorical' as const]));
}


async function renderHtml(input: ReportInput): Promise<string> {
  const { renderHtmlReport } = await import('../core/report/index.js');
  return renderHtmlReport(input);
}

// ---------------------------------------------------------------------------------------------- errors

interface FsError extends Error {
  readonly code: string;
  readonly path?: string;
}

function isFsError(error: unknown): error is FsError {
  return error instanceof Error && typeof (error as Partial<FsError>).code === 'string' && /^E[A-Z]+$/.test((error as FsError).code);
}

function fsReason(error: unknown): string {
  if (!isFsError(error)) return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, expected a file';
    case 'ENOTDIR':
      return 'a parent of this path is not a directory';
    default:
      return `${error.code}: ${error.message}`;
  }
}

/** A message as one line, with any data in it made visible (a file or column name may hold ESC or RLO). */
function oneLine(text: string): string {
  return showInvisible(text.replace(/\s*\n\s*/g, ' ').trim());
}

/** Print an error the way a user needs it (one line per problem, no stack unless DRIFTGATE_DEBUG=1) and pick the exit code. */
function reportError(error: unknown, io: CliIo): ExitCode {
  const debug = io.env[DEBUG_ENV] === '1' || io.env[DEBUG_ENV] === 'true';
  let code: ExitCode;
  if (error instanceof UsageError) {
    io.stderr(`driftgate: ${terminalLines(error.message)}\n\n${error.command ? commandHelp(error.command) : usageText()}\n`);
    return EXIT.badInput;
  }
  if (error instanceof InvalidInputError) {
    io.stderr(`driftgate: ${showInvisible(error.file)}: ${oneLine(error.reason)}\n`);
    code = EXIT.badInput;
  } else if (error instanceof AdapterError) {
    io.stderr(`driftgate: ${oneLine(error.message)}\n`);
    code = EXIT.internal;
  } else if (error instanceof DriftgateError) {
    // ConfigError lists one bad field per line: keep its lines.
    io.stderr(`driftgate: ${terminalLines(error.message)}\n`);
    code = EXIT.badInput;
  } else if (isFsError(error) && error.path !== undefined) {
    io.stderr(`driftgate: ${showInvisible(error.path)}: ${oneLine(fsReason(error))}\n`);
    code = EXIT.badInput;
  } else {
    io.stderr(`driftgate: internal error: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    code = EXIT.internal;
  }
  if (debug) io.stderr(`${terminalLines(stackOf(error))}\n`);
  return code;
}

function stackOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}
