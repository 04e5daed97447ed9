/**
 * Local parallelism on the signing plan (`driftgate baseline/check --workers N`): N worker_threads
 * (sign-worker.ts), each signing work items (a file × a row-group / record-batch range, core/signature/plan.ts)
 * and sending back a partial signature (structured clone: plain objects, so NaN and -0 survive); the main
 * thread merges the partials in plan order, exactly as signSources merges one pass (mergePartials per file,
 * then mergeAll in file order), so the result is the single-process signature: counts bit-identical,
 * moments within rounding.
 *
 * parquet-wasm runs only in the workers (the main thread loads no decoder and never wraps queueMicrotask):
 * a wasm panic ends its worker, the pool fails that item with an InvalidInputError naming the file and the
 * range, starts a replacement, and the other items go on. Measurements (one worker against in-process, 1 vs
 * 2 workers): bench/README.md, "Local workers".
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AdapterError, ConfigError, InvalidInputError } from '../core/errors.js';
import type { SignSources } from '../core/ports.js';
import { mergeAll, type DatasetSignature, type SignatureOptions } from '../core/signature/index.js';
import { framesOf, mergePartials, planSigning, type WorkItem } from '../core/signature/plan.js';
import type { BatchFormat, ReaderOptions, ReadUnit, UnitRange } from './batch-file.js';
import type { SignProgress } from './sign-sources.js';

// ------------------------------------------------------------------------------------------- protocol

/** A task for one worker: list a file's units, or sign a range of it. */
export type WorkerTask =
  | { readonly type: 'units'; readonly id: number; readonly path: string; readonly reader?: ReaderOptions }
  | {
      readonly type: 'sign';
      readonly id: number;
      readonly path: string;
      readonly range?: UnitRange;
      /** What the range counts, for messages. @default 'unit' */
      readonly unit?: string;
      readonly options: SignatureOptions;
      readonly reader?: ReaderOptions;
    };

/** What a file looks like to the plan (the `units` task's answer). */
export interface FileUnits {
  readonly byteLength: number;
  readonly format: BatchFormat;
  readonly rowCount: number | undefined;
  /** null: an Arrow stream (signed whole). */
  readonly units: readonly ReadUnit[] | null;
}

/** A worker's message about the task it runs. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly id: number; readonly rowsDone: number }
  | { readonly type: 'done'; readonly id: number; readonly value: DatasetSignature | FileUnits }
  | { readonly type: 'failed'; readonly id: number; readonly error: SerializedError };

/** An error as it crosses the thread boundary: driftgate's subclasses keep their typed context. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly file?: string;
  readonly reason?: string;
  readonly source?: string;
  readonly system?: string;
  readonly operation?: string;
  readonly cause?: string;
}

/** The error as a worker sends it. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof InvalidInputError) return { name: error.name, message: error.message, file: error.file, reason: error.reason };
  if (error instanceof ConfigError) return { name: error.name, message: error.message, source: error.source };
  if (error instanceof AdapterError) {
    return { name: error.name, message: error.message, system: error.system, operation: error.operation, cause: error.cause instanceof Error ? error.cause.message : String(error.cause) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The error a worker sent, rebuilt as the class it was thrown as (other errors: a plain Error with its name). */
export function rebuildError(error: SerializedError): Error {
  if (error.name === 'InvalidInputError' && error.file !== undefined && error.reason !== undefined) return new InvalidInputError(error.file, error.reason);
  if (error.name === 'ConfigError' && error.source !== undefined) return new ConfigError(error.source, error.message.slice(error.source.length + 2));
  if (error.name === 'AdapterError' && error.system !== undefined && error.operation !== undefined) {
    return new AdapterError(error.system, error.operation, { cause: new Error(error.cause) });
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

// ----------------------------------------------------------------------------------------------- pool

/** The most workers this machine can run at once: os.availableParallelism(). */
export function workerLimit(): number {
  return availableParallelism();
}

/**
 * How to start a sign worker: sign-worker.js beside this module when compiled (dist/); from the sources
 * (tsx, vitest) a bootstrap that registers tsx's loader in the new thread, then imports sign-worker.ts (on
 * Node 20, tsx's `--import` registers its hooks in the main thread only).
 */
export function signWorkerEntry(): { readonly code: string | URL; readonly eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { code: new URL('./sign-worker.js', import.meta.url), eval: false };
  // tsx's ESM build of its API (the CommonJS one resolves its own chunks wrongly from a worker).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./sign-worker.ts', import.meta.url).href;
  return { code: `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}

interface Pending {
  readonly task: WorkerTask;
  readonly resolve: (value: DatasetSignature | FileUnits) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress?: (rowsDone: number) => void;
}

interface Slot {
  worker: Worker;
  current: Pending | undefined;
}

/**
 * N sign workers and a FIFO queue of tasks: a task goes to the first idle worker. A worker that dies (a wasm
 * panic is an uncaught exception in it) fails its task naming the file and the range and is replaced; the
 * queue goes on. Close it when done (its workers keep the process alive).
 * @example
 * const pool = new SignWorkerPool(2);
 * try { console.log(await pool.units('batch.parquet')); } finally { await pool.close(); }
 */
export class SignWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  private replacedCount = 0;
  private broken: Error | undefined;

  constructor(
    readonly size: number,
    private readonly entry = signWorkerEntry(),
  ) {
    if (!(Number.isSafeInteger(size) && size >= 1)) throw new ConfigError('worker pool', `size must be a whole number >= 1, got ${size}`);
    for (let i = 0; i < size; i++) this.slots.push(this.start());
  }

  /** Workers started to replace one that died. */
  get replaced(): number {
    return this.replacedCount;
  }

  /** A file's size, format and units (its footer, read in a worker). */
  units(path: string, reader?: ReaderOptions): Promise<FileUnits> {
    return this.submit({ type: 'units', id: this.nextId++, path, ...(reader ? { reader } : {}) }) as Promise<FileUnits>;
  }

  /** The partial signature of units `range` of `path` (the whole file when absent). */
  sign(
    path: string,
    range: UnitRange | undefined,
    options: SignatureOptions,
    extra: { reader?: ReaderOptions; unit?: string; onProgress?: (rowsDone: number) => void } = {},
  ): Promise<DatasetSignature> {
    const task: WorkerTask = {
      type: 'sign',
      id: this.nextId++,
      path,
      options,
      ...(range ? { range } : {}),
      ...(extra.unit ? { unit: extra.unit } : {}),
      ...(extra.reader ? { reader: extra.reader } : {}),
    };
    return this.submit(task, extra.onProgress) as Promise<DatasetSignature>;
  }

  /** Stop every worker; tasks still queued or running are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new Error('the worker pool was closed');
    for (const pending of this.queue.splice(0)) pending.reject(stopped);
    for (const slot of this.slots) {
      slot.current?.reject(stopped);
      slot.current = undefined;
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private submit(task: WorkerTask, onProgress?: (rowsDone: number) => void): Promise<DatasetSignature | FileUnits> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject, ...(onProgress ? { onProgress } : {}) });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.current !== undefined) continue;
      const pending = this.queue.shift() as Pending;
      slot.current = pending;
      slot.worker.postMessage(pending.task);
    }
  }

  /** Start a worker into `slot` (a new slot when absent); its death fails its task and starts the next. */
  private start(slot: Slot = { worker: undefined as unknown as Worker, current: undefined }): Slot {
    const worker = new Worker(this.entry.code, { eval: this.entry.eval });
    slot.worker = worker;
    let ready = false;
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') {
        ready = true;
        return;
      }
      const pending = slot.current;
      if (slot.worker !== worker || pending === undefined || pending.task.id !== reply.id) return;
      if (reply.type === 'progress') {
        pending.onProgress?.(reply.rowsDone);
        return;
      }
      slot.current = undefined;
      if (reply.type === 'done') pending.resolve(reply.value);
      else pending.reject(rebuildError(reply.error));
      this.dispatch();
    });
    let died = false;
    const die = (cause: unknown): void => {
      if (died || this.closed) return;
      died = true;
      const pending = slot.current;
      slot.current = undefined;
      if (!ready) {
        // It never started (a missing entry, a loader error): another would fail the same way.
        this.broken = new AdapterError('sign worker', 'start', { cause });
        for (const p of [pending, ...this.queue.splice(0), ...this.slots.map((s) => s.current)]) p?.reject(this.broken);
        return;
      }
      pending?.reject(workerDied(pending.task, cause));
      this.replacedCount++;
      this.start(slot);
      this.dispatch();
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`the thread exited with code ${code}`)));
    return slot;
  }
}

/** The error of a task whose worker died under it: the file, the range, and why (a wasm panic is named so). */
function workerDied(task: WorkerTask, cause: unknown): InvalidInputError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const trap = cause instanceof WebAssembly.RuntimeError || (cause instanceof Error && cause.name === 'RuntimeError');
  const what = task.type === 'units' ? 'reading its footer' : task.range ? `${task.unit ?? 'unit'}s [${task.range.start}, ${task.range.end})` : 'the whole file';
  const why = trap ? `parquet-wasm panicked (${message}): its pages are corrupt` : `the sign worker stopped (${message})`;
  return new InvalidInputError(task.path, `${what}: ${why} (the worker was replaced)`, { cause });
}

// ------------------------------------------------------------------------------------------- signing

/**
 * Items planned per worker: enough that one slow item does not leave the other workers idle for long, few
 * enough that the per-item cost (a footer read, the read-ahead restarting) stays small.
 */
export const ITEMS_PER_WORKER = 4;

/** signFilesInWorkers options: the signature options plus progress, the reader's options and the worker count. */
export type WorkerSignOptions = SignatureOptions & {
  /** Worker threads (1 to workerLimit()). */
  readonly workers: number;
  /** Called as each file's rows are signed (rows summed over the file's items). @default undefined */
  readonly onProgress?: (progress: SignProgress) => void;
  /** How each file is read in the workers. @default {} */
  readonly reader?: ReaderOptions;
  /** A pool to run on (kept open); its size must be `workers`. @default a pool of `workers`, closed at the end */
  readonly pool?: SignWorkerPool;
};

/** One planned item and the index of its file (the same path given twice is two files, as for signSources). */
export interface PlannedItem {
  readonly file: number;
  readonly item: WorkItem;
}

/**
 * The work items for `workers` workers: every file planned alone (core/signature/plan.ts). With `split` and two
 * or more workers, items of at most the total stored bytes / (workers × ITEMS_PER_WORKER), whole units each;
 * otherwise one item per file. A stream is always one item.
 *
 * Range partials merge to exactly the single pass when they share centred frames: against a reference they
 * use its frames; building one, signFilesInWorkers first signs a split file's first unit and passes the frames
 * it chose (framesOf) to every range of that file — the frames the single pass over the file chooses. Without
 * shared frames, partials whose frames differ would merge without the centred sketch (core/signature/numeric.ts).
 */
export function workerPlan(paths: readonly string[], files: readonly Pick<FileUnits, 'byteLength' | 'units'>[], workers: number, split: boolean): PlannedItem[] {
  const totalBytes = files.reduce((n, f) => n + f.byteLength, 0);
  const maxItemBytes = split && workers > 1 ? Math.max(1, Math.ceil(totalBytes / (workers * ITEMS_PER_WORKER))) : Number.MAX_SAFE_INTEGER;
  const budget = { maxItemBytes, maxUnitDecodedBytes: Number.MAX_SAFE_INTEGER };
  return paths.flatMap((key, file) => planSigning([{ key, byteLength: files[file].byteLength, units: files[file].units ?? undefined }], budget).map((item) => ({ file, item })));
}

/**
 * Sign local files on `workers` worker threads: read their footers, plan work items (`workerPlan`: ranges of
 * whole row groups / record batches; building a reference, a split file's ranges share its first unit's frames), sign them in parallel
 * and merge the partials in plan order. The result equals signSources over the same files. The first failing item in plan
 * order is thrown (an InvalidInputError naming its file), after which the pool is stopped.
 * @example
 * const signature = await signFilesInWorkers(['a.parquet', 'b.parquet'], { workers: 2, roles: { id: 'ignored' } });
 */
export async function signFilesInWorkers(paths: readonly string[], options: WorkerSignOptions): Promise<DatasetSignature> {
  const { workers, onProgress, reader, pool: _given, ...signatureOptions } = options;
  const limit = workerLimit();
  if (!(Number.isSafeInteger(workers) && workers >= 1 && workers <= limit)) {
    throw new ConfigError('workers', `expected a whole number from 1 to ${limit} (this machine's available parallelism), got ${workers}`);
  }
  if (paths.length === 0) throw new ConfigError('signFilesInWorkers', 'no files to sign (expected at least one)');
  if (options.pool !== undefined && options.pool.size !== workers) throw new ConfigError('workers', `the pool given has ${options.pool.size} workers, not ${workers}`);
  const pool = options.pool ?? new SignWorkerPool(workers);
  try {
    const files = await inOrder(paths.map((path) => pool.units(path, reader)));
    const plan = workerPlan(paths, files, workers, true);
    // Building a reference, a file split into ranges signs every range in the frames its own first unit
    // chooses (framesOf, core/signature/plan.ts: the frames the single pass over that file chooses), so its
    // partials merge to exactly the single pass, centred sketches included. A file signed whole needs none.
    const split = new Set(plan.filter(({ item }) => item.range !== undefined && item.range.start > 0).map(({ file }) => file));
    const fileOptions = await inOrder(
      paths.map(async (path, file) => {
        if (signatureOptions.reference !== undefined || signatureOptions.frames !== undefined || !split.has(file)) return signatureOptions;
        const first = await pool.sign(path, { start: 0, end: 1 }, signatureOptions, { ...(reader ? { reader } : {}), unit: files[file].format === 'parquet' ? 'row group' : 'record batch' });
        return { ...signatureOptions, frames: framesOf(first) };
      }),
    );
    const rowsDone = plan.map(() => 0);
    const fileRows = paths.map(() => 0);
    const report = (at: number, rows: number): void => {
      const { file, item } = plan[at];
      fileRows[file] += rows - rowsDone[at];
      rowsDone[at] = rows;
      onProgress?.({ file: item.key, rowsDone: fileRows[file], rowsTotal: files[file].rowCount });
    };
    paths.forEach((file, i) => onProgress?.({ file, rowsDone: 0, rowsTotal: files[i].rowCount }));
    const partials = await inOrder(
      plan.map(({ item }, at) =>
        pool.sign(item.key, item.range, fileOptions[plan[at].file], {
          ...(reader ? { reader } : {}),
          unit: files[plan[at].file].format === 'parquet' ? 'row group' : 'record batch',
          onProgress: (rows) => report(at, rows),
        }),
      ),
    );
    // As signSources: one signature per file (its items merged), then the files merged in order.
    const byFile: DatasetSignature[][] = paths.map(() => []);
    plan.forEach(({ file }, at) => byFile[file].push(partials[at]));
    const perFile = byFile.map((parts) => mergePartials(parts, signatureOptions));
    return mergeAll(perFile);
  } finally {
    if (options.pool === undefined) await pool.close();
  }
}

/** Await every promise in order: the first rejection in that order is thrown (the others are observed). */
async function inOrder<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  for (const p of promises) p.catch(() => undefined);
  const out: T[] = [];
  for (const p of promises) out.push(await p);
  return out;
}

/**
 * The SignSources port (core/ports.ts) on a pool, for sources that are local files named by their path (the
 * LocalStore's and fileByteSource's are): the local product's ingest and init sign on the workers. A source
 * whose name is not a local file of its size, or a range, is refused with a ConfigError (sign those in-process).
 * @example
 * const sign = workerSignSources(new SignWorkerPool(2)); // openLocalProduct({ dir, sign })
 */
export function workerSignSources(pool: SignWorkerPool): SignSources {
  return async (sources, options) => {
    if (options.range !== undefined) throw new ConfigError('workerSignSources', 'a unit range is signed in-process (signSources), not on the workers');
    for (const source of sources) {
      const size = await stat(source.name).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
      if (size !== source.byteLength) throw new ConfigError('workerSignSources', `${source.name} is not a local file of ${source.byteLength} bytes: only local files are signed on the workers`);
    }
    const { range: _range, ...signatureOptions } = options;
    return signFilesInWorkers(sources.map((s) => s.name), { ...signatureOptions, workers: pool.size, pool });
  };
}
