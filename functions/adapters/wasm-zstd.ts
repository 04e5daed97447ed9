/**
 * zstd page bodies decompressed in place, inside the wasm memory of @foxglove/wasm-zstd (facebook/zstd built
 * with emscripten -O3; MIT): the decompressed page is a view of that memory, valid until the next call, so a
 * page costs no allocation. node:zlib's zstd (Node >= 22.15 only) returns a fresh buffer per page, which piles
 * up as garbage until V8's external-memory limit (about 64 MB) forces a collection: measured on the 5M-row
 * bench file (bench/README.md, "zstd in place"). This module also gives zstd to Node 20, which has none.
 *
 * Only the package's .wasm file is used (its emscripten glue is not loaded): it is instantiated here with the
 * two imports it has (grow the heap, copy within it). Its export names are the build's minified ones, so the
 * version is pinned exactly in package.json, and a round trip through its own compressor is checked when it
 * is loaded: if anything differs, `zstdInPlace` is undefined and callers use node:zlib or parquet-wasm.
 *
 * Hostile input: ZSTD_decompress writes at most the capacity it is given (the page's declared, budget-checked
 * size) and fails on a corrupt or longer frame; a shorter frame returns fewer bytes, which the caller checks.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';

/** The package and the one file of it this module loads (lib/bundling.ts ships them beside the bundles that read batches). */
export const WASM_ZSTD_PACKAGE = '@foxglove/wasm-zstd';
export const WASM_ZSTD_FILE = 'dist/wasm-zstd.wasm';

interface Exports {
  readonly memory: WebAssembly.Memory;
  readonly malloc: (size: number) => number;
  readonly free: (pointer: number) => void;
  readonly compress: (dst: number, dstSize: number, src: number, srcSize: number, level: number) => number;
  readonly decompress: (dst: number, dstSize: number, src: number, srcSize: number) => number;
}

/** One region of the wasm heap, grown (never shrunk) to the largest page seen. */
interface Region {
  pointer: number;
  capacity: number;
}

/** wasm pages are 64 KiB; emscripten's heap may grow to 2 GiB. */
const WASM_PAGE = 65536;
const HEAP_MAX = 2 ** 31;

function instantiate(bytes: Uint8Array<ArrayBuffer>): Exports {
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    a: {
      // emscripten_resize_heap(requested bytes) -> 1 when the heap now holds them.
      a: (requested: number): number => {
        const need = requested >>> 0;
        if (memory === undefined || need > HEAP_MAX) return 0;
        const have = memory.buffer.byteLength;
        if (need <= have) return 1;
        try {
          memory.grow(Math.ceil((need - have) / WASM_PAGE));
          return 1;
        } catch {
          return 0;
        }
      },
      // emscripten_memcpy_big(dest, src, num)
      b: (dest: number, src: number, num: number): void => {
        if (memory !== undefined) new Uint8Array(memory.buffer).copyWithin(dest, src, src + num);
      },
    },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  const e = instance.exports as Record<string, unknown>;
  const fn = (name: string): ((...args: number[]) => number) => {
    const f = e[name];
    if (typeof f !== 'function') throw new Error(`export ${name} is not a function`);
    return f as (...args: number[]) => number;
  };
  if (!(e.c instanceof WebAssembly.Memory)) throw new Error('export c is not its memory');
  memory = e.c;
  fn('d')(); // __wasm_call_ctors
  return { memory, malloc: fn('f'), free: fn('g'), compress: fn('i'), decompress: fn('j') };
}

/** Room for `size` bytes in `region`, reallocated (twice the old capacity at least) when it is too small. */
function reserve(wasm: Exports, region: Region, size: number): number {
  if (region.capacity >= size && region.pointer !== 0) return region.pointer;
  if (region.pointer !== 0) wasm.free(region.pointer);
  const capacity = Math.max(size, 2 * region.capacity, 64 * 1024);
  const pointer = wasm.malloc(capacity);
  region.pointer = pointer;
  region.capacity = pointer === 0 ? 0 : capacity;
  if (pointer === 0) throw new Error(`the zstd decoder could not reserve ${capacity} bytes`);
  return pointer;
}

/**
 * Decompress `body` (one or more zstd frames) into at most `capacity` bytes of the decoder's memory: a view of
 * what it wrote (valid until the next call), or an Error for a corrupt frame or one longer than `capacity`.
 */
export type ZstdInPlace = (body: Uint8Array, capacity: number) => Uint8Array;

function decoderOf(wasm: Exports): ZstdInPlace {
  const input: Region = { pointer: 0, capacity: 0 };
  const output: Region = { pointer: 0, capacity: 0 };
  return (body, capacity) => {
    // Both reservations first: malloc may grow the memory, which replaces its buffer.
    const src = reserve(wasm, input, body.length);
    const dst = reserve(wasm, output, capacity);
    new Uint8Array(wasm.memory.buffer, src, body.length).set(body);
    const written = wasm.decompress(dst, capacity, src, body.length);
    if (written < 0) throw new Error(`a corrupt zstd frame, or one longer than ${capacity} bytes`);
    return new Uint8Array(wasm.memory.buffer, dst, written);
  };
}

/** Round trip 256 KiB of mixed bytes through the build's own compressor: proves the export names mean what they should. */
function selfTest(wasm: Exports, decode: ZstdInPlace): void {
  const sample = new Uint8Array(256 * 1024);
  let x = 12345;
  for (let i = 0; i < sample.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    sample[i] = i % 3 === 0 ? x >>> 24 : i & 0x3f;
  }
  const bound = sample.length + 4096;
  const src = wasm.malloc(sample.length);
  const dst = wasm.malloc(bound);
  try {
    if (src === 0 || dst === 0) throw new Error('no memory for the self-test');
    new Uint8Array(wasm.memory.buffer, src, sample.length).set(sample);
    const size = wasm.compress(dst, bound, src, sample.length, 3);
    if (size <= 0) throw new Error('its compressor failed');
    const frame = new Uint8Array(wasm.memory.buffer, dst, size).slice();
    const back = decode(frame, sample.length);
    if (back.length !== sample.length || back.some((b, i) => b !== sample[i])) throw new Error('the round trip differs');
    let refused = false;
    try {
      decode(frame, sample.length - 1);
    } catch {
      refused = true;
    }
    if (!refused) throw new Error('a frame longer than its capacity was not refused');
  } finally {
    if (src !== 0) wasm.free(src);
    if (dst !== 0) wasm.free(dst);
  }
}

let loaded: ZstdInPlace | null | undefined;
let loadError: string | undefined;

/**
 * This thread's in-place zstd decoder, loaded on first use; undefined when the package is missing or is not
 * the build this module knows (why: `wasmZstdUnavailable()`).
 */
export function wasmZstd(): ZstdInPlace | undefined {
  if (loaded === undefined) {
    try {
      const path = createRequire(import.meta.url).resolve(`${WASM_ZSTD_PACKAGE}/${WASM_ZSTD_FILE}`);
      const wasm = instantiate(new Uint8Array(readFileSync(path)));
      const decode = decoderOf(wasm);
      selfTest(wasm, decode);
      loaded = decode;
    } catch (error) {
      loaded = null;
      loadError = error instanceof Error ? error.message : String(error);
    }
  }
  return loaded ?? undefined;
}

/** Why `wasmZstd()` is undefined (tests and diagnostics), or undefined when it loaded. */
export function wasmZstdUnavailable(): string | undefined {
  wasmZstd();
  return loadError;
}

type ZlibZstd = (input: Uint8Array, options: { maxOutputLength: number; chunkSize: number }) => Uint8Array;
/** node:zlib's zstd (Node >= 22.15), or undefined on older Node. */
const zlibZstd = (zlib as unknown as { zstdDecompressSync?: ZlibZstd }).zstdDecompressSync;
let chosen: ZstdInPlace | null | undefined;

/**
 * The zstd decoder the readers use (chosen once per thread): in place (`wasmZstd`), else node:zlib's, which
 * returns a fresh buffer per call (one output chunk of the capacity: node:zlib otherwise fills 16 KiB chunks and
 * joins them), else undefined (Parquet zstd chunks then go to parquet-wasm).
 */
export function zstdDecoder(): ZstdInPlace | undefined {
  if (chosen === undefined) {
    const viaZlib: ZstdInPlace | undefined = zlibZstd && ((body, capacity) => zlibZstd(body, { maxOutputLength: Math.max(1, capacity), chunkSize: Math.max(64, capacity) }));
    chosen = pickZstd(wasmZstd(), viaZlib, wasmZstdUnavailable, (message) => process.emitWarning(message, { code: ZSTD_FALLBACK_WARNING })) ?? null;
  }
  return chosen ?? undefined;
}

/** The code of the process warning zstdDecoder emits (once per thread) when the in-place decoder did not load. */
export const ZSTD_FALLBACK_WARNING = 'DRIFTGATE_ZSTD_FALLBACK';

/**
 * The in-place decoder, else node:zlib's, else none; a fallback is said (`warn`, once per choice), because it
 * means a missing or unknown `.wasm` beside a bundle and slower zstd pages, not wrong results.
 */
export function pickZstd(
  inPlace: ZstdInPlace | undefined,
  viaZlib: ZstdInPlace | undefined,
  why: () => string | undefined,
  warn: (message: string) => void,
): ZstdInPlace | undefined {
  if (inPlace !== undefined) return inPlace;
  const instead = viaZlib !== undefined ? "node:zlib's decoder (a fresh buffer per page)" : 'parquet-wasm (this Node has no zstd in node:zlib)';
  warn(`driftgate: the in-place zstd decoder (${WASM_ZSTD_PACKAGE}/${WASM_ZSTD_FILE}) did not load (${why() ?? 'unknown reason'}): zstd pages are decoded by ${instead}, more slowly`);
  return viaZlib;
}
