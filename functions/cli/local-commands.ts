/**
 * The CLI verbs over a local folder store: init, ingest, run, serve, watch. Each is a thin driver over the
 * same use cases as the Lambdas (service/lifecycle.ts); what they print is in local-output.ts.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DriftgateError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { parseModelConfig, type ModelConfig } from '../core/lifecycle/config.js';
import type { DecideOutcome, IngestOutcome } from '../core/lifecycle/types.js';
import type { Log, SignSources } from '../core/ports.js';
import type { IngestArgs, InitArgs, RunArgs, ServeArgs, ServeFlags, WatchArgs } from './args.js';
import { assertStoreDir, isLoopbackHost, openLocalProduct, startLocalServer, type LocalProduct } from './local-product.js';
import { checkDueLines, decisionLine, ingestLine, noticeText, problemLine } from './local-output.js';
import { EXIT, type CliIo, type ExitCode } from './run.js';
import { FolderWatcher } from './watch.js';

/** Run one of the local verbs. */
export async function runLocalCommand(args: InitArgs | IngestArgs | RunArgs | ServeArgs | WatchArgs, io: CliIo): Promise<ExitCode> {
  switch (args.command) {
    case 'init':
      return init(args, io);
    case 'ingest':
      return ingest(args, io);
    case 'run':
      return run(args, io);
    case 'serve':
      return serve(args, io);
    case 'watch':
      return watch(args, io);
  }
}

/** Print structured log entries of the use cases only when DRIFTGATE_DEBUG is set. */
function debugLog(io: CliIo): Log | undefined {
  const debug = io.env.DRIFTGATE_DEBUG === '1' || io.env.DRIFTGATE_DEBUG === 'true';
  return debug ? (entry) => io.stderr(`${JSON.stringify(entry)}\n`) : undefined;
}

/** Print the decisions the server takes. */
export function printDecisions(io: CliIo): (outcome: DecideOutcome) => void {
  return (outcome) => {
    const line = decisionLine(outcome);
    if (line !== undefined) io.stdout(`${line}\n`);
  };
}

function printNotices(io: CliIo) {
  return (notice: { modelId: string; proposalId: string; subject: string; text: string }) => io.stdout(noticeText(notice));
}

async function init(args: InitArgs, io: CliIo): Promise<ExitCode> {
  // The store folder is created, but only inside a folder that exists (a typo should not make a tree).
  await assertStoreDir(path.dirname(path.resolve(args.store)), 'parent folder of the store');
  await fs.mkdir(args.store, { recursive: true });
  for (const file of args.files) await assertFile(file);
  return withWorkers(args.workers, (sign) => initWith(args, io, sign));
}

async function initWith(args: InitArgs, io: CliIo, sign: SignSources | undefined): Promise<ExitCode> {
  const local = await openLocalProduct({ dir: args.store, ...withLog(io), ...(sign ? { sign } : {}) });
  const config = args.config === undefined ? defaultConfig(args.model) : await readConfig(args.config);
  if (config.modelId !== args.model) throw new InvalidInputError(args.config ?? '--config', `the config is for model '${config.modelId}', not --model '${args.model}'`);
  const stored = await local.lifecycle.putConfig(config);
  const keys: string[] = [];
  for (const file of args.files) {
    const bytes = await fs.readFile(file);
    const key = `training/${stored.modelId}/${encodeURIComponent(args.version)}/${sha256(bytes).slice(0, 16)}-${safeName(file)}`;
    await local.store.putIfAbsent(key, bytes);
    keys.push(key);
  }
  const adopted = await local.lifecycle.setReference(stored.modelId, keys, io.now(), args.version);
  io.stdout(
    `model ${stored.modelId}: config ${path.join(local.root, 'config', `${stored.modelId}.json`)}\n` +
      (adopted.status === 'adopted'
        ? `reference ${adopted.version} from ${adopted.rows} rows in ${keys.length} file${keys.length === 1 ? '' : 's'}; first check due ${adopted.nextCheckAt}\n`
        : `reference ${adopted.version} was already installed (${adopted.rows} rows); nothing changed\n`) +
      `next: driftgate watch --store ${args.store} --batches <folder>   (or driftgate ingest + driftgate run)\n`,
  );
  return EXIT.ok;
}

async function ingest(args: IngestArgs, io: CliIo): Promise<ExitCode> {
  return withWorkers(args.workers, (sign) => ingestWith(args, io, sign));
}

async function ingestWith(args: IngestArgs, io: CliIo, sign: SignSources | undefined): Promise<ExitCode> {
  const local = await openLocalProduct({ dir: args.store, ...withLog(io), ...(sign ? { sign } : {}) });
  const config = await modelFor(local, args.model);
  let failed = 0;
  for (const file of args.files) {
    try {
      const done = await ingestFile(local, file, config, io.now());
      io.stdout(`${ingestLine(file, done)}\n`);
    } catch (error) {
      if (!(error instanceof DriftgateError) && !isFsError(error)) throw error;
      failed++;
      io.stderr(`${problemLine(error, file)}\n`);
    }
  }
  return failed > 0 ? EXIT.badInput : EXIT.ok;
}

async function run(args: RunArgs, io: CliIo): Promise<ExitCode> {
  const local = await openLocalProduct({ dir: args.store, ...(args.url ? { baseUrl: args.url } : {}), print: printNotices(io), ...withLog(io) });
  const outcome = await local.lifecycle.checkDue(args.now ?? io.now());
  for (const line of checkDueLines(outcome)) io.stdout(`${line}\n`);
  const errors = outcome.models.filter((m) => m.error !== undefined);
  for (const m of errors) io.stderr(`driftgate: model ${m.modelId}: ${m.error?.split('\n').join(' ')}\n`);
  return errors.length > 0 ? EXIT.internal : EXIT.ok;
}

function warnRemote(flags: ServeFlags, io: CliIo): void {
  if (isLoopbackHost(flags.host)) return;
  io.stderr(
    `driftgate: warning: serving on ${flags.host}, not only this machine. Anyone who can reach it and holds a notice's link can use that link; ` +
      'the index page stays for this machine only. Put it behind TLS before it leaves a trusted network.\n',
  );
}

async function serve(args: ServeArgs, io: CliIo): Promise<ExitCode> {
  const local = await openLocalProduct({ dir: args.store, ...withLog(io) });
  warnRemote(args, io);
  const server = await startLocalServer(local, { host: args.host, port: args.port, onError: (e) => io.stderr(`${problemLine(e)}\n`), onDecision: printDecisions(io) });
  io.stdout(`driftgate serving ${local.root} at ${server.url}/  (index: this machine only; decision links: from the notices). Ctrl-C stops.\n`);
  const signal = await (io.untilStopped?.() ?? new Promise<string>(() => undefined));
  await server.close();
  io.stdout(`stopped (${signal})\n`);
  return EXIT.ok;
}

async function watch(args: WatchArgs, io: CliIo): Promise<ExitCode> {
  await assertStoreDir(args.store);
  await assertStoreDir(args.batches, 'batches folder');
  if (args.serve) warnRemote(args, io);
  // The server comes first: notices carry its address, so it must be bound before a check can send one.
  const boot = await openLocalProduct({ dir: args.store, ...withLog(io) });
  const server = args.serve ? await startLocalServer(boot, { host: args.host, port: args.port, onError: (e) => io.stderr(`${problemLine(e)}\n`), onDecision: printDecisions(io) }) : undefined;
  const baseUrl = args.url ?? server?.url;
  const local = await openLocalProduct({ dir: args.store, ...(baseUrl ? { baseUrl } : {}), print: printNotices(io), ...withLog(io) });
  const watcher = new FolderWatcher({
    local,
    batches: path.resolve(args.batches),
    ...(args.model !== undefined ? { model: args.model } : {}),
    settleMs: args.settleMs,
    everySeconds: args.everySeconds,
    now: io.now,
    ingestFile,
    modelFor,
    out: (line) => io.stdout(`${line}\n`),
    err: (line) => io.stderr(`${line}\n`),
  });
  io.stdout(
    `driftgate watching ${watcher.batches} into ${local.root}: due checks every ${args.everySeconds}s` +
      (server ? `; serving at ${server.url}/ (index: this machine only)` : '') +
      '. Ctrl-C stops.\n',
  );
  await watcher.start();
  const signal = await (io.untilStopped?.() ?? new Promise<string>(() => undefined));
  await watcher.stop();
  await server?.close();
  io.stdout(`stopped (${signal}); a restart resumes from the store\n`);
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------- shared

/** Run `work` with a SignSources on `workers` worker threads (one pool for the whole command), or in this thread for 0. */
async function withWorkers(workers: number, work: (sign: SignSources | undefined) => Promise<ExitCode>): Promise<ExitCode> {
  if (workers === 0) return work(undefined);
  const { SignWorkerPool, workerSignSources } = await import('../adapters/worker-pool.js');
  const pool = new SignWorkerPool(workers);
  try {
    return await work(workerSignSources(pool));
  } finally {
    await pool.close();
  }
}

function withLog(io: CliIo): { log?: Log } {
  const log = debugLog(io);
  return log ? { log } : {};
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A file name as a key segment: its base name with anything outside A-Z a-z 0-9 . _ - replaced. */
function safeName(file: string): string {
  return path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '') || 'file';
}

/** The extension a batch keeps in the store (readers sniff the content; this is for people). */
function extensionOf(file: string): string {
  const ext = path.extname(file).toLowerCase();
  return /^\.[a-z0-9]{1,12}$/.test(ext) ? ext : '.bin';
}

async function assertFile(file: string): Promise<void> {
  const info = await fs.stat(file).catch(() => undefined);
  if (info === undefined) throw new InvalidInputError(file, 'no such file');
  if (!info.isFile()) throw new InvalidInputError(file, 'is not a regular file');
}

function defaultConfig(modelId: string): ModelConfig {
  return parseModelConfig({ schemaVersion: 1, modelId, batchPrefix: `batches/${modelId}/` }, `--model ${modelId}`);
}

async function readConfig(file: string): Promise<ModelConfig> {
  await assertFile(file);
  const text = await fs.readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(file, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseModelConfig(json, file);
}

/** The model a batch belongs to: the one named, or the store's only model. */
export async function modelFor(local: LocalProduct, model: string | undefined): Promise<ModelConfig> {
  if (model !== undefined) {
    try {
      return await local.lifecycle.repo.config(model);
    } catch (error) {
      if (error instanceof NotFoundError) throw new InvalidInputError(`--model ${model}`, `the store ${local.root} has no such model (driftgate init adds one)`);
      throw error;
    }
  }
  const { configs } = await local.lifecycle.repo.configs();
  if (configs.length === 1) return configs[0];
  if (configs.length === 0) throw new InvalidInputError(local.root, 'the store has no model yet: run driftgate init first');
  throw new InvalidInputError('--model', `the store has ${configs.length} models (${configs.map((c) => c.modelId).join(', ')}): say which with --model`);
}

/**
 * Ingest one file: copy it into the store under the model's batchPrefix, named by the sha256 of its
 * content, then sign it (the same use case as the ingest function). The content names the batch, so the
 * same bytes under any file name, ingested again or by another process, are stored once.
 */
export async function ingestFile(local: LocalProduct, file: string, config: ModelConfig, now: Date): Promise<IngestOutcome & { key: string }> {
  await assertFile(file);
  const bytes = await fs.readFile(file);
  if (bytes.length === 0) throw new InvalidInputError(file, 'empty file (0 bytes): expected a Parquet or Arrow IPC batch');
  const key = `${config.batchPrefix}${sha256(bytes)}${extensionOf(file)}`;
  await local.store.putIfAbsent(key, bytes);
  try {
    return { ...(await local.lifecycle.ingest(key, now)), key };
  } catch (error) {
    // Name the user's file, not the store copy.
    if (error instanceof InvalidInputError) throw new InvalidInputError(file, error.reason, { cause: error });
    throw error;
  }
}

function isFsError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}
