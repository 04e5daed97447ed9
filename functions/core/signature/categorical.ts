import type { CategoricalChunk, ColumnChunk, CountedCategories, CountedChunk, LogicalType } from '../columns.js';
import { ConfigError } from '../errors.js';
import { HLL_P, hllAdd, hllDecode, hllEncode, hllEstimate, hllMergeInto, hllRegisters } from './hll.js';
import type { CategoricalColumnSignature } from './types.js';

/**
 * Categorical column statistics: exact counts per value while building, then the top K (count desc, value
 * asc) with the rest in `other`, plus HyperLogLog registers for the distinct count.
 *
 * Bounded memory: when a column has more than 2 × VALUE_CAP distinct values in the build map, the map is
 * pruned to the values whose count is above the (VALUE_CAP+1)-th largest count (so at most VALUE_CAP are
 * kept, values tied at the cut are all dropped) and the pruned counts move to `other`. A pruned value seen
 * again starts from zero, so for such high-cardinality columns the top counts are lower bounds (the sums stay
 * exact: count = nulls + Σ top + other always holds). The distinct estimate is unaffected (every value is
 * hashed).
 *
 * Merging top-K lists is exact when each side has at most K distinct values (its `other` is 0); otherwise a
 * value's merged count misses what a side had folded into `other`, so it is a lower bound, short by at most
 * min(that side's `other`, the smallest count in that side's top list) for each side whose list lacks it.
 */

/** Default K of the top-K list (200-category columns exist; keep them whole). */
export const DEFAULT_TOP_K = 256;
/** Distinct values kept exactly while building (see the pruning note above). */
export const VALUE_CAP = 10_000;

/** Canonical order: count desc, then value asc (code-unit order, locale-free). */
export function compareEntries(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** Canonical string of a number used as a category (integers configured as categorical): -0 → "0". */
export function numberKey(x: number): string {
  return x === 0 ? '0' : String(x);
}

/** Streams chunks of one categorical column (dictionary-encoded, or numbers given the role) into its signature. */
export class CategoricalAccumulator {
  private count = 0;
  private nulls = 0;
  private other = 0;
  private values = new Map<string, number>();
  private readonly registers = hllRegisters();
  private indexCounts = new Int32Array(0);

  constructor(
    private readonly type: LogicalType,
    private readonly k: number = DEFAULT_TOP_K,
  ) {
    if (!(Number.isInteger(k) && k >= 1)) throw new ConfigError('signature options', `topK must be an integer >= 1, got ${k}`);
  }

  /** Accumulate one chunk (dictionary-encoded, or numeric values treated as categories). */
  add(chunk: ColumnChunk): void {
    this.count += chunk.length;
    if (chunk.kind === 'categorical') {
      const { indices, dictionary } = chunk;
      if (this.indexCounts.length < dictionary.length) this.indexCounts = new Int32Array(dictionary.length);
      const counts = this.indexCounts;
      let nulls = 0;
      for (let i = 0; i < chunk.length; i++) {
        const idx = indices[i];
        if (idx < 0) nulls++;
        else counts[idx]++;
      }
      this.nulls += nulls;
      for (let d = 0; d < dictionary.length; d++) {
        const c = counts[d];
        if (c !== 0) {
          this.fold(dictionary[d], c);
          counts[d] = 0;
        }
      }
      return;
    }
    const { values, nulls } = chunk;
    const byNumber = new Map<number, number>();
    let nullCount = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (nulls !== undefined && nulls[i] === 1) {
        nullCount++;
        continue;
      }
      const x = values[i];
      byNumber.set(x, (byNumber.get(x) ?? 0) + 1);
    }
    this.nulls += nullCount;
    // Map keys use SameValueZero: 0 and -0 share an entry; NaN is one entry.
    for (const [x, c] of byNumber) this.fold(numberKey(x), c);
  }

  /**
   * Accumulate a counted chunk (a dictionary's entries, or distinct numbers treated as categories, with their
   * row counts): the signature its rows would give.
   */
  addCounted(chunk: CountedCategories | CountedChunk): void {
    this.count += chunk.length;
    this.nulls += chunk.nulls;
    const counts = chunk.counts;
    if (chunk.kind === 'counted-categories') {
      for (let d = 0; d < counts.length; d++) if (counts[d] !== 0) this.fold(chunk.dictionary[d], counts[d]);
      return;
    }
    // As add: numbers keyed by SameValueZero first (0 and -0 one entry, NaN one entry).
    const byNumber = new Map<number, number>();
    for (let d = 0; d < counts.length; d++) if (counts[d] !== 0) byNumber.set(chunk.values[d], (byNumber.get(chunk.values[d]) ?? 0) + counts[d]);
    for (const [x, c] of byNumber) this.fold(numberKey(x), c);
  }

  private fold(value: string, n: number): void {
    this.values.set(value, (this.values.get(value) ?? 0) + n);
    hllAdd(this.registers, value);
    if (this.values.size > 2 * VALUE_CAP) this.prune();
  }

  private prune(): void {
    // Keep the values whose count is above the (VALUE_CAP+1)-th largest count: at most VALUE_CAP of them, no
    // tie-breaking needed (deterministic), and a numeric typed-array sort instead of a string-keyed one.
    const counts = Float64Array.from(this.values.values()).sort().reverse();
    const threshold = counts[VALUE_CAP];
    // A fresh map: deleting most entries of a large Map in place is far slower in V8.
    const kept = new Map<string, number>();
    for (const [value, c] of this.values) {
      if (c > threshold) kept.set(value, c);
      else this.other += c;
    }
    this.values = kept;
  }

  /** The column's signature. */
  finish(): CategoricalColumnSignature {
    const { top, rest } = topK([...this.values], this.k);
    return {
      kind: 'categorical',
      type: this.type,
      count: this.count,
      nulls: this.nulls,
      top,
      other: this.other + rest,
      k: this.k,
      distinct: { type: 'hll', p: HLL_P, registers: hllEncode(this.registers) },
    };
  }
}

function topK(entries: [string, number][], k: number): { top: [string, number][]; rest: number } {
  entries.sort(compareEntries);
  let rest = 0;
  for (let i = k; i < entries.length; i++) rest += entries[i][1];
  return { top: entries.slice(0, k), rest };
}

/** Merge two categorical column signatures (see the module note for when top-K merging is exact). */
export function mergeCategorical(a: CategoricalColumnSignature, b: CategoricalColumnSignature): CategoricalColumnSignature {
  const values = new Map<string, number>();
  for (const [v, c] of a.top) values.set(v, c);
  for (const [v, c] of b.top) values.set(v, (values.get(v) ?? 0) + c);
  const k = Math.min(a.k, b.k);
  const { top, rest } = topK([...values], k);
  const p = a.distinct.p;
  const registers = hllDecode(a.distinct.registers, p);
  hllMergeInto(registers, hllDecode(b.distinct.registers, b.distinct.p));
  return {
    kind: 'categorical',
    type: a.type,
    count: a.count + b.count,
    nulls: a.nulls + b.nulls,
    top,
    other: a.other + b.other + rest,
    k,
    distinct: { type: 'hll', p, registers: hllEncode(registers) },
  };
}

/** Distinct non-null values: exact (the top list's length) when nothing spilled into `other`, else the HLL estimate. */
export function estimateDistinct(col: CategoricalColumnSignature): number {
  if (col.other === 0) return col.top.length;
  const estimate = hllEstimate(hllDecode(col.distinct.registers, col.distinct.p));
  return Math.max(estimate, col.top.length + 1);
}

/** Convenience for tests and the drift module: a categorical column signature from plain strings (null = missing). */
export function categoricalSignatureOf(
  values: ArrayLike<string | null>,
  options: { topK?: number } = {},
): CategoricalColumnSignature {
  const acc = new CategoricalAccumulator('string', options.topK ?? DEFAULT_TOP_K);
  acc.add(categoricalChunkOf(values));
  return acc.finish();
}

/** Dictionary-encode plain values (null = missing) into the chunk shape readers deliver. */
export function categoricalChunkOf(values: ArrayLike<string | null>): CategoricalChunk {
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const indices = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      indices[i] = -1;
      continue;
    }
    let idx = index.get(v);
    if (idx === undefined) {
      idx = dictionary.length;
      dictionary.push(v);
      index.set(v, idx);
    }
    indices[i] = idx;
  }
  return { kind: 'categorical', length: values.length, dictionary, indices };
}
