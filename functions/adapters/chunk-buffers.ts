/**
 * Where a chunk's arrays come from: a fresh allocation per chunk by default, or one reused set per column
 * (ChunkBuffers) when the caller asked for `reuseBuffers`. A 1M-row float64 column is 8 MB: allocating,
 * zeroing and collecting those per row group cost more than converting them.
 */

/** Allocates a chunk's arrays (see FRESH_ARRAYS and ChunkBuffers). */
export interface ChunkArrays {
  /** A Float64Array of length n (contents unspecified: the converter writes every element). */
  float64(n: number): Float64Array;
  /** A Uint8Array of length n (contents unspecified). */
  uint8(n: number): Uint8Array;
  /** An Int32Array of length n (contents unspecified). */
  int32(n: number): Int32Array;
}

/** A new array per call. */
export const FRESH_ARRAYS: ChunkArrays = {
  float64: (n) => new Float64Array(n),
  uint8: (n) => new Uint8Array(n),
  int32: (n) => new Int32Array(n),
};

/**
 * Reused arrays for one column's chunks: each call returns a view of the same growing buffer, so a chunk
 * built from it is valid only until the next chunk of that column is converted with it.
 */
export class ChunkBuffers implements ChunkArrays {
  private f64 = new Float64Array(0);
  private u8 = new Uint8Array(0);
  private i32 = new Int32Array(0);

  /** A reused Float64Array view of length n. */
  float64(n: number): Float64Array {
    if (this.f64.length < n) this.f64 = new Float64Array(n);
    return this.f64.length === n ? this.f64 : this.f64.subarray(0, n);
  }

  /** A reused Uint8Array view of length n. */
  uint8(n: number): Uint8Array {
    if (this.u8.length < n) this.u8 = new Uint8Array(n);
    return this.u8.length === n ? this.u8 : this.u8.subarray(0, n);
  }

  /** A reused Int32Array view of length n. */
  int32(n: number): Int32Array {
    if (this.i32.length < n) this.i32 = new Int32Array(n);
    return this.i32.length === n ? this.i32 : this.i32.subarray(0, n);
  }
}

/** The ChunkBuffers of `column` in `pool`, created on first use. */
export function buffersFor(pool: Map<string, ChunkBuffers>, column: string): ChunkBuffers {
  let buffers = pool.get(column);
  if (buffers === undefined) {
    buffers = new ChunkBuffers();
    pool.set(column, buffers);
  }
  return buffers;
}

/**
 * Reused read buffers for stored bytes (column chunks read ahead): a buffer is taken for one read and given back
 * once nothing refers to its bytes any more. Without them every chunk read is a fresh buffer, and on a 5M-row
 * file those pile up as garbage (tens of MB) until V8's external-memory limit forces a collection. The free
 * buffers held are capped at `keepBytes`: past it, the smallest free ones are dropped (left to the GC).
 */
export class ReadBuffers {
  private readonly free: Uint8Array[] = [];
  private freeBytes = 0;

  constructor(private readonly keepBytes: number) {}

  /** A buffer of at least `size` bytes: the smallest free one that fits, else a new one (rounded up to 1 MiB). */
  take(size: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].byteLength >= size && (best < 0 || this.free[i].byteLength < this.free[best].byteLength)) best = i;
    }
    if (best < 0) return new Uint8Array(Math.ceil(Math.max(size, 1) / READ_BUFFER_STEP) * READ_BUFFER_STEP);
    const [buffer] = this.free.splice(best, 1);
    this.freeBytes -= buffer.byteLength;
    return buffer;
  }

  /** Give `buffer` back (its bytes are no longer referred to); the smallest free ones are dropped past the cap. */
  give(buffer: Uint8Array): void {
    this.free.push(buffer);
    this.freeBytes += buffer.byteLength;
    this.free.sort((a, b) => b.byteLength - a.byteLength);
    while (this.freeBytes > this.keepBytes && this.free.length > 0) this.freeBytes -= (this.free.pop() as Uint8Array).byteLength;
  }
}

const READ_BUFFER_STEP = 1024 * 1024;

/**
 * Idle sets of work buffers kept for the next reader in this thread (each worker thread, or a warm Lambda, has
 * its own module state): a read takes a set, or makes one, and gives it back when it ends. Without it every
 * work item (a file or a range of one, core/signature/plan.ts) allocated its buffers afresh: on the 20M-row
 * bench file split into 10 items over 2 workers, 22 mark-compacts forced by that external memory against 7.
 * At most `keep` idle sets are held; more readers at once each make their own.
 */
export class IdleSets<T> {
  private readonly idle: T[] = [];

  constructor(
    private readonly make: () => T,
    private readonly keep = 1,
  ) {}

  /** An idle set, else a new one. */
  take(): T {
    return this.idle.pop() ?? this.make();
  }

  /** Give `set` back once nothing refers to its buffers; dropped when `keep` sets are idle already. */
  give(set: T): void {
    if (this.idle.length < this.keep) this.idle.push(set);
  }
}
