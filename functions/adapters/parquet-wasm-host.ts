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
 */
import { createRequire } from 'node:module';

export type ParquetWasm = typeof import('parquet-wasm');

/** parquet-wasm trapped (Rust panic); the instance was discarded. */
export class WasmPanicError extends Error {
  constructor(cause: unknown) {
    super(`parquet-wasm panicked (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'WasmPanicError';
  }
}

const require = createRequire(import.meta.url);
let loaded: { module: ParquetWasm; generation: number } | undefined;
let generation = 0;
let tail: Promise<unknown> = Promise.resolve();
let active: ((error: unknown) => void) | undefined;
let wrapped = false;

function load(): { module: ParquetWasm; generation: number } {
  if (!loaded) {
    generation++;
    loaded = { module: require('parquet-wasm') as ParquetWasm, generation };
  }
  return loaded;
}

function discard(): void {
  if (!loaded) return;
  // Evict the glue module so the next require instantiates a fresh wasm instance.
  const entry = require.resolve('parquet-wasm');
  Reflect.deleteProperty(require.cache, entry);
  loaded = undefined;
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
        if (!isWasmTrap(error) || !String((error as Error).stack).includes('parquet_wasm')) throw error;
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
      wrapQueueMicrotask();
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
