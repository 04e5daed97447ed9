/**
 * Hosts the parquet-wasm module so that a Rust panic inside it cannot take the process down.
 *
 * Why: parquet-wasm 0.8's async reader panics (wasm `unreachable`) on some corrupt pages (a damaged page
 * header, a damaged zstd frame). The panic fires inside a wasm-bindgen-futures task run by
 * `queueMicrotask`, so it surfaces as an *uncaught exception* (crashing the CLI or the Lambda), and the
 * pending read never settles. Its synchronous reader returns proper errors for the same bytes, but needs
 * the whole file in memory.
 *
 * So: (1) parquet-wasm calls are serialised, so a panic belongs to the one active call; (2) once, we wrap
 * `globalThis.queueMicrotask` so that a WebAssembly.RuntimeError thrown by a task rejects the active call
 * instead of escaping (every other error is rethrown unchanged); (3) a panicked instance is never reused:
 * the CommonJS module is evicted from the require cache and loaded again (a fresh wasm instance), and
 * ParquetFiles opened on the old instance reopen themselves (see `generation`).
 * Inside a sign worker (sign-worker.ts, `--workers N`) the wrapper is not installed (`containPanicsInProcess(false)`):
 * an asynchronous panic there is an uncaught exception that ends that worker thread only, and the pool
 * (worker-pool.ts) fails the worker's item naming the file and range and starts a replacement; a synchronous
 * trap still rejects the call and retires the instance as in (3).
 * Every instance, the first too, is loaded on first use with `require('parquet-wasm')`, never at import:
 * compiling its 5 MB of wasm costs a cold start nothing that reads no Parquet. It must resolve at run
 * time (node_modules: the CLI and tests; the Lambda bundles keep it external, and only the functions that
 * read batches ship its Node build in their own node_modules, see lib/bundling.ts). Where it does not, a
 * Parquet read fails with an AdapterError that says so.
 */
import { createRequire } from 'node:module';
import { AdapterError } from '../core/errors.js';

export type ParquetWasm = typeof import('parquet-wasm');

/** parquet-wasm trapped (Rust panic); the instance was discarded. */
export class WasmPanicError extends Error {
  constructor(cause: unknown) {
    super(`parquet-wasm panicked (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'WasmPanicError';
  }
}

const nodeRequire = createRequire(import.meta.url);
let generation = 0;
let loaded: { module: ParquetWasm; generation: number } | undefined;
let tail: Promise<unknown> = Promise.resolve();
let active: ((error: unknown) => void) | undefined;
let wrapped = false;
let panicked = false;
let containInProcess = true;

/**
 * Whether the first parquet-wasm call installs the queueMicrotask wrapper (the default); a sign worker turns
 * it off before its first call, so an asynchronous panic ends the worker instead. Throws once it is installed.
 */
export function containPanicsInProcess(contain: boolean): void {
  if (wrapped && !contain) throw new Error('parquet-wasm host: the queueMicrotask wrapper is already installed in this thread');
  containInProcess = contain;
}

/** How many parquet-wasm instances this thread has loaded (0: never needed; tests and diagnostics). */
export function parquetWasmLoads(): number {
  return generation;
}

/** Whether this thread's queueMicrotask is wrapped (tests and the worker's ready message). */
export function queueMicrotaskWrapped(): boolean {
  return wrapped;
}

function load(): { module: ParquetWasm; generation: number } {
  if (!loaded) {
    try {
      const module = nodeRequire('parquet-wasm') as ParquetWasm;
      generation++;
      loaded = { module, generation };
    } catch (error) {
      const what = generation === 0 ? 'load (not installed beside this code: only the functions that read batches ship it)' : 'reload after a panic (restart the process)';
      throw new AdapterError('parquet-wasm', what, { cause: error });
    }
  }
  return loaded;
}

function discard(): void {
  if (!loaded) return;
  loaded = undefined;
  // Evict the glue module so the next require instantiates a fresh wasm instance.
  try {
    Reflect.deleteProperty(nodeRequire.cache, nodeRequire.resolve('parquet-wasm'));
  } catch {
    // Not resolvable (bundled build): load() reports it on the next use.
  }
}

function isWasmTrap(error: unknown): boolean {
  return error instanceof WebAssembly.RuntimeError;
}

function wrapQueueMicrotask(): void {
  if (wrapped) return;
  wrapped = true;
  const original = globalThis.queueMicrotask.bind(globalThis);
  globalThis.queueMicrotask = (callback: () => void): void => {
    original(() => {
      try {
        callback();
      } catch (error) {
        // A trap during a parquet-wasm call is that call's panic; after one panic, tasks still queued by
        // the retired instance may trap too. Anything else is not ours and escapes as before.
        if (!isWasmTrap(error) || (active === undefined && !panicked)) throw error;
        panicked = true;
        discard();
        active?.(error);
      }
    });
  };
}

/**
 * Run `work` against the current parquet-wasm instance, one call at a time; a panic (sync or async)
 * rejects with WasmPanicError and retires the instance.
 */
export function withParquetWasm<T>(work: (module: ParquetWasm, generation: number) => Promise<T>): Promise<T> {
  const run = (): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (error: unknown, value?: T): void => {
        if (settled) return;
        settled = true;
        active = undefined;
        if (error === undefined) resolve(value as T);
        else reject(error);
      };
      if (containInProcess) wrapQueueMicrotask();
      active = (error) => finish(new WasmPanicError(error));
      let current: { module: ParquetWasm; generation: number };
      try {
        current = load();
      } catch (error) {
        finish(error);
        return;
      }
      Promise.resolve()
        .then(() => work(current.module, current.generation))
        .then(
          (value) => finish(undefined, value),
          (error: unknown) => {
            if (isWasmTrap(error)) {
              panicked = true;
              discard();
              finish(new WasmPanicError(error));
            } else {
              finish(error ?? new Error('parquet-wasm failed'));
            }
          },
        );
    });
  const result = tail.then(run, run);
  tail = result.catch(() => undefined);
  return result;
}
