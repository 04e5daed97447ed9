/**
 * Per-slice signatures (pure): beside a batch's aggregate signature, one mergeable signature per value
 * of each slice column (`slices: ["country"]` in the model config), so a shift confined to one segment
 * can be found (core/drift/slices.ts).
 *
 * - Which values: a reference keeps its top-K values by rows (K = `sliceOptions.k`; among the first
 *   REFERENCE_CANDIDATES_PER_K × K distinct values it meets, later new values go to `other`), the rest
 *   merged into `other`. A batch signed against a reference uses exactly the reference's values (and its
 *   slice signatures as each slice's reference, for the same bin edges); any other value goes to `other`.
 *   A null slice value goes to `other`.
 * - Size: each slice value is one DatasetSignature, about the size of the aggregate, so a stored
 *   signature grows by Σ (K + 1) over the slice columns; the config bounds that sum (MAX_SLICE_SIGNATURES).
 */
import type { CategoricalChunk, ColumnBatch, ColumnChunk, ColumnField, NumericChunk } from '../columns.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import { SignatureBuilder, type SignatureOptions, byCodeUnit, putKey } from './builder.js';
import { mergeAll } from './merge.js';
import type { DatasetSignature } from './types.js';

/** Most slice signatures one batch may keep: Σ (K + 1) over the slice columns. */
export const MAX_SLICE_SIGNATURES = 64;
/** A reference tracks this many times K distinct values before sending new ones to `other`. */
export const REFERENCE_CANDIDATES_PER_K = 4;

/** The slices of one column: the top values' signatures and the rest's. */
export interface ColumnSlices {
  readonly k: number;
  /** By slice value; at most k entries. */
  readonly values: Readonly<Record<string, DatasetSignature>>;
  /** Every other value (and null); null when no row fell there. */
  readonly other: DatasetSignature | null;
}

/** Slices by slice column name. */
export type SliceSignatures = Readonly<Record<string, ColumnSlices>>;

/** What to slice by. */
export interface SliceOptions {
  readonly columns: readonly string[];
  readonly k: number;
}

/**
 * Typed buffers reused from chunk to chunk (the accumulators never keep a chunk's arrays), so slicing a
 * chunk allocates nothing once the largest chunk has been seen.
 */
class Scratch {
  private f64 = new Map<string, Float64Array>();
  private i32 = new Map<string, Int32Array>();
  private u8 = new Map<string, Uint8Array>();

  float64(key: string, n: number): Float64Array {
    return this.grown(this.f64, key, n, (m) => new Float64Array(m));
  }

  int32(key: string, n: number): Int32Array {
    return this.grown(this.i32, key, n, (m) => new Int32Array(m));
  }

  uint8(key: string, n: number): Uint8Array {
    return this.grown(this.u8, key, n, (m) => new Uint8Array(m));
  }

  private grown<T extends { length: number }>(pool: Map<string, T>, key: string, n: number, make: (m: number) => T): T {
    const have = pool.get(key);
    if (have !== undefined && have.length >= n) return have;
    const made = make(Math.max(n, Math.ceil((have?.length ?? 0) * 1.5)));
    pool.set(key, made);
    return made;
  }
}

/**
 * One column's values scattered into slot order: the rows of slot s land at [start[s], start[s + 1]) in
 * row order, in one sequential pass over the source (`next` is the per-slot write cursor, reset here).
 */
function scatter(chunk: ColumnChunk, rowSlot: Int32Array, start: Int32Array, next: Int32Array, n: number, scratch: Scratch, key: string): ColumnChunk {
  next.set(start.subarray(0, next.length));
  if (chunk.kind === 'categorical') {
    const out = scratch.int32(key, n);
    const src = chunk.indices;
    for (let i = 0; i < n; i++) out[next[rowSlot[i]]++] = src[i];
    return { kind: 'categorical', length: n, dictionary: chunk.dictionary, indices: out } satisfies CategoricalChunk;
  }
  const out = scratch.float64(key, n);
  const src = chunk.values;
  const nulls = chunk.nulls;
  if (nulls === undefined) {
    for (let i = 0; i < n; i++) out[next[rowSlot[i]]++] = src[i];
    return { kind: 'numeric', length: n, values: out } satisfies NumericChunk;
  }
  const outNulls = scratch.uint8(key, n);
  for (let i = 0; i < n; i++) {
    const at = next[rowSlot[i]]++;
    out[at] = src[i];
    outNulls[at] = nulls[i];
  }
  return { kind: 'numeric', length: n, values: out, nulls: outNulls } satisfies NumericChunk;
}

/** Rows per block when slicing a chunk: bounds the scratch buffers (13 columns × 128 Ki rows ≈ 14 MB). */
export const SLICE_BLOCK_ROWS = 1 << 17;

/** Rows [from, to) of a batch's named columns, as views. */
function blockOf(batch: ColumnBatch, names: readonly string[], from: number, to: number): ColumnBatch {
  const columns = new Map<string, ColumnChunk>();
  for (const name of names) {
    const c = batch.columns.get(name);
    if (c !== undefined) columns.set(name, view(c, from, to));
  }
  return { rowCount: to - from, columns };
}

/** Rows [from, to) of a chunk, as a view. */
function view(chunk: ColumnChunk, from: number, to: number): ColumnChunk {
  if (chunk.kind === 'categorical') return { kind: 'categorical', length: to - from, dictionary: chunk.dictionary, indices: chunk.indices.subarray(from, to) };
  return chunk.nulls === undefined
    ? { kind: 'numeric', length: to - from, values: chunk.values.subarray(from, to) }
    : { kind: 'numeric', length: to - from, values: chunk.values.subarray(from, to), nulls: chunk.nulls.subarray(from, to) };
}

/** One slice column's builders: one per value slot, slot 0 is `other`. */
class ColumnSliceAccumulator {
  private readonly slotOf = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly builders: SignatureBuilder[] = [];
  private readonly fixed: boolean;
  private readonly cap: number;
  private readonly scratch = new Scratch();

  constructor(
    private readonly schema: readonly ColumnField[],
    private readonly column: string,
    private readonly k: number,
    private readonly options: SignatureOptions,
    reference: ColumnSlices | undefined,
    private readonly aggregateEdges: boolean,
  ) {
    this.fixed = reference !== undefined;
    this.cap = reference !== undefined ? Object.keys(reference.values).length : REFERENCE_CANDIDATES_PER_K * k;
    this.builders.push(this.builderFor(reference?.other ?? undefined));
    this.names.push('');
    if (reference !== undefined) {
      for (const value of Object.keys(reference.values).sort(byCodeUnit)) this.addSlot(value, reference.values[value]);
    }
  }

  private builderFor(reference: DatasetSignature | undefined): SignatureBuilder {
    const { reference: aggregate, ...rest } = this.options;
    // Signing a batch, every slice counts on the aggregate reference's edges, so the slices add up exactly
    // to the aggregate (builder.ts then derives the aggregate's numeric columns from them).
    const signWith = this.aggregateEdges ? aggregate : reference;
    return new SignatureBuilder(this.schema, { ...rest, ...(signWith !== undefined ? { reference: signWith } : {}) });
  }

  /** Every slot merged: exactly the whole batch (each row is in one slot). */
  whole(finished: readonly DatasetSignature[]): DatasetSignature {
    return mergeAll(finished);
  }

  private addSlot(value: string, reference: DatasetSignature | undefined): number {
    const slot = this.builders.length;
    this.slotOf.set(value, slot);
    this.names.push(value);
    this.builders.push(this.builderFor(reference));
    return slot;
  }

  add(batch: ColumnBatch): void {
    const chunk = batch.columns.get(this.column);
    if (chunk === undefined || chunk.kind !== 'categorical') {
      throw new InvalidInputError('<batch>', `slice column "${this.column}" must be a categorical column of the batch`);
    }
    // Dictionary entry -> slot, once per batch; then a counting sort of the rows by slot.
    const slotOfEntry = new Int32Array(chunk.dictionary.length);
    for (let d = 0; d < chunk.dictionary.length; d++) {
      const value = chunk.dictionary[d];
      let slot = this.slotOf.get(value);
      if (slot === undefined) slot = !this.fixed && this.builders.length - 1 < this.cap ? this.addSlot(value, undefined) : 0;
      slotOfEntry[d] = slot;
    }
    const total = batch.rowCount;
    const names = this.builders[0].columns;
    for (const name of names) {
      const c = batch.columns.get(name);
      if (c !== undefined && c.length !== total) throw new InvalidInputError('<batch>', `column "${name}" has ${c.length} rows, expected ${total}`);
    }
    // Block by block, so the scratch buffers stay small (a row group can hold millions of rows).
    for (let from = 0; from < total; from += SLICE_BLOCK_ROWS) {
      const to = Math.min(total, from + SLICE_BLOCK_ROWS);
      this.addBlock(from === 0 && to === total ? batch : blockOf(batch, names, from, to), chunk.indices.subarray(from, to), slotOfEntry);
    }
  }

  private addBlock(batch: ColumnBatch, indices: Int32Array, slotOfEntry: Int32Array): void {
    const n = batch.rowCount;
    const slots = this.builders.length;
    // A counting sort on the slot codes: the slot of each row, then each slot's start.
    const rowSlot = this.scratch.int32('\u0000slot', n);
    const start = new Int32Array(slots + 1);
    for (let i = 0; i < n; i++) {
      const index = indices[i];
      const slot = index < 0 ? 0 : slotOfEntry[index];
      rowSlot[i] = slot;
      start[slot + 1]++;
    }
    for (let s = 0; s < slots; s++) start[s + 1] += start[s];
    const next = new Int32Array(slots);
    const scattered = new Map<string, ColumnChunk>();
    for (const name of this.builders[0].columns) {
      const c = batch.columns.get(name);
      if (c === undefined) continue;
      scattered.set(name, scatter(c, rowSlot, start, next, n, this.scratch, name));
    }
    for (let s = 0; s < slots; s++) {
      const from = start[s];
      const to = start[s + 1];
      if (to === from) continue;
      const columns = new Map<string, ColumnChunk>();
      for (const [name, c] of scattered) columns.set(name, view(c, from, to));
      this.builders[s].add({ rowCount: to - from, columns });
    }
  }

  finish(sources: readonly string[]): ColumnSlices {
    return this.finishWithWhole(sources).slices;
  }

  /** The slices, and (when asked) all slots merged: the whole batch's signature. */
  finishWithWhole(sources: readonly string[], withWhole = false): { slices: ColumnSlices; whole?: DatasetSignature } {
    const finished = this.builders.map((b) => b.finish(sources));
    const whole = withWhole ? mergeAll(finished) : undefined;
    const candidates = finished
      .map((signature, slot) => ({ signature, slot, name: this.names[slot] }))
      .filter((c) => c.slot > 0 && c.signature.rowCount > 0)
      .sort((a, b) => b.signature.rowCount - a.signature.rowCount || byCodeUnit(a.name, b.name));
    const kept = this.fixed ? candidates : candidates.slice(0, this.k);
    const rest = this.fixed ? [] : candidates.slice(this.k).map((c) => c.signature);
    const values: Record<string, DatasetSignature> = {};
    for (const c of [...kept].sort((a, b) => byCodeUnit(a.name, b.name))) putKey(values, c.name, c.signature);
    const others = [...(finished[0].rowCount > 0 ? [finished[0]] : []), ...rest];
    const slices = { k: this.k, values, other: others.length === 0 ? null : mergeAll(others) };
    return whole === undefined ? { slices } : { slices, whole };
  }
}

/** Every problem with slice options against a schema, as one ConfigError. */
export function checkSliceOptions(options: SliceOptions): void {
  const budget = options.columns.length * (options.k + 1);
  if (budget > MAX_SLICE_SIGNATURES) {
    throw new ConfigError('slice options', `${options.columns.length} slice column(s) × (K=${options.k} + 1) = ${budget} slice signatures per batch, more than ${MAX_SLICE_SIGNATURES}`);
  }
}

/**
 * Accumulates per-slice signatures batch by batch beside a SignatureBuilder (builder.ts calls it).
 * @example
 * const slices = new SliceAccumulator(schema, { columns: ['country'], k: 10 }, options);
 * slices.add(batch); const sig = slices.finish([name]);
 */
export class SliceAccumulator {
  private readonly columns: ColumnSliceAccumulator[] = [];
  private readonly names: string[] = [];
  /**
   * Whether the whole batch's numeric columns can be derived from the first slice column's slots (signing
   * a batch against a reference: every slot counts on the reference's edges, so the merge is exact).
   */
  readonly derivesWhole: boolean;

  constructor(schema: readonly ColumnField[], slices: SliceOptions, options: SignatureOptions) {
    checkSliceOptions(slices);
    this.derivesWhole = options.reference !== undefined && slices.columns.length > 0 && schema.some((f) => f.name === slices.columns[0]);
    for (const column of slices.columns) {
      if (!schema.some((f) => f.name === column)) continue; // absent from this file: its rows count nowhere
      const reference = options.reference?.slices?.[column];
      this.names.push(column);
      this.columns.push(new ColumnSliceAccumulator(schema, column, slices.k, options, reference, options.reference !== undefined));
    }
  }

  add(batch: ColumnBatch): void {
    for (const c of this.columns) c.add(batch);
  }

  finish(sources: readonly string[]): SliceSignatures {
    return this.finishWithWhole(sources).slices;
  }

  /** The slices and, when `derivesWhole`, the whole batch's signature merged from the first column's slots. */
  finishWithWhole(sources: readonly string[]): { slices: SliceSignatures; whole?: DatasetSignature } {
    const out: Record<string, ColumnSlices> = {};
    let whole: DatasetSignature | undefined;
    this.names.forEach((name, i) => {
      const done = this.columns[i].finishWithWhole(sources, i === 0 && this.derivesWhole);
      if (done.whole !== undefined) whole = done.whole;
      putKey(out, name, done.slices);
    });
    return whole === undefined ? { slices: out } : { slices: out, whole };
  }
}

function mergeColumnSlices(a: ColumnSlices, b: ColumnSlices): ColumnSlices {
  const values: Record<string, DatasetSignature> = {};
  for (const name of [...new Set([...Object.keys(a.values), ...Object.keys(b.values)])].sort(byCodeUnit)) {
    const x = Object.hasOwn(a.values, name) ? a.values[name] : undefined;
    const y = Object.hasOwn(b.values, name) ? b.values[name] : undefined;
    putKey(values, name, x === undefined ? (y as DatasetSignature) : y === undefined ? x : mergeAll([x, y]));
  }
  let other = a.other === null ? b.other : b.other === null ? a.other : mergeAll([a.other, b.other]);
  const k = Math.max(a.k, b.k);
  const names = Object.keys(values);
  if (names.length > k) {
    // References built from several files each chose their own top K: keep the top K of the union.
    const ranked = names.sort((x, y) => values[y].rowCount - values[x].rowCount || byCodeUnit(x, y));
    const dropped = ranked.slice(k).map((n) => values[n]);
    other = mergeAll([...(other === null ? [] : [other]), ...dropped]);
    const kept: Record<string, DatasetSignature> = {};
    for (const n of ranked.slice(0, k).sort(byCodeUnit)) putKey(kept, n, values[n]);
    return { k, values: kept, other };
  }
  return { k, values, other };
}

/**
 * Merge the slices of several batch signatures (signed against the same reference, so the same values).
 * @example
 * const current = mergeSlices(signatures.map((s) => s.slices));
 */
export function mergeSlices(all: readonly (SliceSignatures | undefined)[]): SliceSignatures | undefined {
  let out: Record<string, ColumnSlices> | undefined;
  for (const slices of all) {
    if (slices === undefined) continue;
    out ??= {};
    for (const [column, s] of Object.entries(slices)) putKey(out, column, Object.hasOwn(out, column) ? mergeColumnSlices(out[column], s) : s);
  }
  return out;
}
