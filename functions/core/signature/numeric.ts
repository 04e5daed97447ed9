import type { CountedChunk, LogicalType, NumericChunk } from '../columns.js';
import {
  DEFAULT_RELATIVE_ACCURACY,
  MIN_INDEXABLE,
  SketchBuilder,
  type DenseStore,
  HIGH_WORD,
  fastLog,
  mergeSketches,
  sketchEdges,
  sketchHistogram,
} from './sketch.js';
import { binOf, binOfKey, edgeTable, type EdgeTable, type SignTable } from './edge-table.js';
import type { CentredSketchJson, ExactCountsJson, HistogramJson, NumericColumnSignature } from './types.js';

/**
 * Numeric column statistics in one pass per chunk: null/NaN/±Inf counts, min/max, the quantile sketch and,
 * when the reference fixed them, exact histogram counts on its edges. Moments are per chunk and combined
 * across chunks with Chan et al.'s parallel formula, the same one `mergeNumeric` uses. Within a chunk the
 * scan sums d = x − shift and d² around a shift (the running mean, or the chunk's first finite value), which
 * is exact enough while the shift lies within 3 standard deviations of the chunk's mean; otherwise (the data
 * moved, an outlier came first) a corrected two-pass sum of squared deviations runs on the chunk instead.
 *
 * Histogram bins are (−∞, e0], (e0, e1], …, (e_last, +∞) over finite values only (±Inf are counted apart).
 * When no reference edges are given (building a reference), the edges are chosen after the pass from the
 * sketch (see `sketchEdges`: the bucket boundary at each interior quantile i/B) and the counts come from the
 * sketch's bucket sums: exact except for values within rounding of an edge, and for values in the zero
 * bucket (|x| <= 1e-9), which count as 0.
 *
 * Counting on a reference's edges: those edges are bucket boundaries, so for large chunks the histogram follows
 * from the chunk's bucket-count deltas with no per-value work (see edge-table.ts); otherwise a key → bin table
 * with a binary-search fallback for buckets an edge cuts. Either way a value within ~1e-13 (relative) of an
 * edge that lies on a bucket boundary is binned by its bucket, exactly as the reference's own counts were.
 *
 * Measured (throwaway script, 5M lognormal doubles, 10% negative, 64k-row chunks, Node 20, CPU time, best of
 * 7, on this 2-core machine while other jobs kept its load average at 9–18, so absolute figures are noisy):
 * NumericAccumulator ≈ 35–50 ns/value without edges and ≈ 45–50 ns/value with 19 reference edges, against
 * 33–36 ns/value for a minimal inline peer loop (log + bucket + min/max + sum) in the same run and 13–17
 * ns/value for Math.log + ceil alone. In a quieter moment the accumulator measured 26 ns/value. Math.log
 * dominated, so the loop now takes the bucket key from the float's bits (`fastLog` in sketch.ts: exponent +
 * a table and a short series for the mantissa, ~2x cheaper than Math.log in a throwaway loop at load 6–10),
 * falling back to Math.log only within `keyMargin` of a bucket boundary: the keys, hence every bucket and
 * boundary, are bit-identical to ceil(log(x)/log γ). The fused moments above removed the second pass.
 */

/**
 * Exact value counts (`exact`): while a column has at most EXACT_VALUES_MAX distinct finite values (years,
 * counts, flags, ratings) every value's count is kept, so KS, Wasserstein and Jensen–Shannon are computed
 * exactly (drift/numeric.ts). The first value past the cap drops them for good; a merge whose union passes
 * the cap drops them too (so the result never depends on the order of merges), as does a merge with a side
 * that has none (a signature written before them). -0 counts as 0 (see ExactCounts).
 *
 * The centred sketch (`centred`): log buckets are α·|x| wide, so a column far from zero relative to its spread
 * (|mean| > CENTRE_RATIO·σ; mean 1000 and σ 7 gives 1.4 σ buckets) gets a second sketch of (x − offset)/scale,
 * where the buckets are α·|x − offset| wide. The frame is fixed once: by the reference when a batch is signed
 * against one (its `centred` frame, or none when it has none), otherwise from the first chunk with spread —
 * scale the power of two nearest its σ, offset its mean rounded to a multiple of scale — so batches of one
 * distribution mostly pick the same frame. Two sketches add only in the same frame: a merge of signatures
 * with different frames drops the centred sketch (defined, commutative, never approximate); statistics then
 * fall back to the main sketch and say that it is coarse.
 */
/** Most distinct finite values kept with exact counts. */
export const EXACT_VALUES_MAX = 256;
/** A column is far from zero when |mean| exceeds this many σ (see above). */
export const CENTRE_RATIO = 4;

/** A centred sketch's frame. */
export interface CentreFrame {
  readonly offset: number;
  readonly scale: number;
}

/** The frame chosen for data with this mean and σ, or null when the main sketch resolves it. */
export function centreFrameFor(mean: number, sd: number): CentreFrame | null {
  if (!(sd > 0) || !Number.isFinite(mean) || !(Math.abs(mean) > CENTRE_RATIO * sd)) return null;
  const scale = Math.pow(2, Math.round(Math.log2(sd)));
  if (!(scale > 0 && Number.isFinite(scale))) return null;
  return { offset: Math.round(mean / scale) * scale, scale };
}

/** Default number of histogram bins for a reference. */
export const DEFAULT_HISTOGRAM_BINS = 20;

/** Largest finite double: m2 saturates there instead of overflowing to Infinity (not JSON-serialisable). */
const MAX = Number.MAX_VALUE;

/** Streams numeric chunks of one column into its NumericColumnSignature. */
export class NumericAccumulator {
  private count = 0;
  private nulls = 0;
  private nan = 0;
  private posInf = 0;
  private negInf = 0;
  private finite = 0;
  private min = Infinity;
  private max = -Infinity;
  private mean = 0;
  private m2 = 0;
  private readonly sketch: SketchBuilder;
  private readonly edges: EdgeTable | undefined;
  private readonly hist: Float64Array | undefined;

  /** Exact value counts, or null once dropped (more than EXACT_VALUES_MAX distinct values). */
  private exact: ExactCounts | null = new ExactCounts();
  /** The centred sketch: undefined until the frame is chosen, null for none. */
  private centred: { readonly frame: CentreFrame; readonly builder: SketchBuilder } | null | undefined;

  constructor(
    private readonly type: LogicalType,
    options: {
      readonly relativeAccuracy?: number;
      readonly edges?: readonly number[];
      readonly bins?: number;
      /** The reference's centred frame (null: the reference has none, so keep none); omitted when building a reference. */
      readonly frame?: CentreFrame | null;
    } = {},
  ) {
    this.sketch = new SketchBuilder(options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY);
    if (options.frame !== undefined) this.centred = options.frame === null ? null : { frame: options.frame, builder: new SketchBuilder(this.sketch.mapping.relativeAccuracy) };
    if (options.edges !== undefined) {
      this.edges = edgeTable(this.sketch.mapping, options.edges);
      this.hist = new Float64Array(options.edges.length + 1);
    }
    this.bins = options.bins ?? DEFAULT_HISTOGRAM_BINS;
    this.scan = newScanState(this.sketch, this.edges, this.hist);
    this.plainScan = newScanState(this.sketch, undefined, undefined);
  }

  private readonly plainScan: ScanState;

  private readonly bins: number;
  private readonly scan: ScanState;
  private readonly dev = { d: 0, m2: 0 };

  /** Accumulate one chunk. */
  add(chunk: NumericChunk): void {
    const values = chunk.values;
    const nulls = chunk.nulls;
    const n = chunk.length;
    const scan = this.scan;
    scan.min = this.min;
    scan.max = this.max;
    scan.shift = this.finite > 0 ? this.mean : firstFinite(values, nulls, n);
    const table = this.edges;
    const hist = this.hist;
    const pos = this.sketch.positive;
    const neg = this.sketch.negative;
    // Bucket-aligned edges (a reference's own): bin by bucket-count deltas after the loop, not per value.
    // Worth it when the chunk is large next to the bucket arrays it has to snapshot.
    const byDelta =
      table !== undefined && hist !== undefined && table.bucketAligned && n >= 2 * (pos.counts.length + neg.counts.length) + 1024;
    if (byDelta) {
      const before = { pos: snapshot(pos), neg: snapshot(neg), zero: this.sketch.zeroCount };
      scanBlocks(this.plainScan, values, nulls, n, scan);
      if (pos.collapses === before.pos.collapses && neg.collapses === before.neg.collapses) {
        addDeltas(hist, table.positive, pos, before.pos);
        addDeltas(hist, table.negative, neg, before.neg);
        hist[table.zero] += scan.zero;
      } else {
        // A store collapsed during the chunk (data spanning > 4096 buckets): bin every value exactly.
        binValues(hist, table.edges, values, nulls, n);
      }
    } else scanBlocks(scan, values, nulls, n, scan);
    this.sketch.zeroCount += scan.zero;
    this.count += n;
    this.nulls += scan.nulls;
    this.nan += scan.nan;
    this.posInf += scan.posInf;
    this.negInf += scan.negInf;
    this.min = scan.min;
    this.max = scan.max;
    const finite = scan.finite;
    if (finite === 0) return;
    if (this.exact !== null && !this.exact.add(values, nulls, n)) this.exact = null;
    let mean: number;
    let m2: number;
    // The scan also summed d = x − shift and d²: m2 = Σd² − (Σd)²/n loses at most a factor 10 to
    // cancellation while q = (Σd)²/n <= 0.9·Σd², i.e. while the shift lies within 3 standard deviations of the
    // chunk's mean (the running mean usually does). Otherwise: the corrected two-pass below.
    const s1 = scan.s1;
    const s2 = scan.s2;
    const q = (s1 * s1) / finite;
    if (Number.isFinite(s2) && Number.isFinite(q) && q <= 0.9 * s2) {
      mean = scan.shift + s1 / finite;
      m2 = s2 - q;
    } else {
      // The plain sum in the scan's order (so the same bits as when the scan summed it too), here only.
      mean = finiteSum(values, nulls, n) / finite;
      if (!Number.isFinite(mean)) mean = scaledMean(values, nulls, n, finite);
      // Corrected two-pass sum of squared deviations around the chunk mean.
      const dev = this.dev;
      deviations(dev, values, nulls, n, mean);
      m2 = dev.m2 - (dev.d * dev.d) / finite;
      // Deviations of values spanning most of the float range overflow: keep the (scaled) mean then.
      const corrected = mean + dev.d / finite;
      if (Number.isFinite(corrected)) mean = corrected;
    }
    if (this.centred === undefined) {
      // Decided on the first chunk with finite values, so the centred sketch holds every value.
      const frame = centreFrameFor(mean, Math.sqrt(Math.max(0, m2) / finite));
      this.centred = frame === null ? null : { frame, builder: new SketchBuilder(this.sketch.mapping.relativeAccuracy) };
    }
    if (this.centred) addCentred(this.centred.builder, this.centred.frame, values, nulls, n);
    const combined = combineMoments(this.finite, this.mean, this.m2, finite, mean, Number.isFinite(m2) ? Math.max(0, m2) : MAX);
    this.finite += finite;
    this.mean = combined.mean;
    this.m2 = combined.m2;
  }

  /** The column's signature. */
  finish(): NumericColumnSignature {
    const sketch = this.sketch.toJson();
    let histogram: HistogramJson | null = null;
    if (this.edges !== undefined && this.hist !== undefined) {
      histogram = { edges: [...this.edges.edges], counts: [...this.hist] };
    } else if (this.finite > 0) {
      const edges = sketchEdges(sketch, this.bins);
      histogram = { edges, counts: sketchHistogram(sketch, edges) };
    }
    const empty = this.finite === 0;
    return {
      kind: 'numeric',
      type: this.type,
      count: this.count,
      nulls: this.nulls,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
      finite: this.finite,
      min: empty ? null : this.min,
      max: empty ? null : this.max,
      mean: this.mean,
      m2: this.m2,
      sketch,
      histogram,
      ...(this.exact !== null ? { exact: this.exact.toJson() } : {}),
      ...(this.centred ? { centred: { ...this.centred.frame, sketch: this.centred.builder.toJson() } } : {}),
    };
  }

  /**
   * Accumulate a counted chunk (distinct values and their row counts): the counts, specials, min and max,
   * sketches, histogram and exact counts are those its rows would give (each value's bucket and bin by the
   * mapping's definition, which the row scan reproduces bit for bit); the moments are summed per distinct
   * value, equal to the rows' within rounding.
   */
  addCounted(chunk: CountedChunk): void {
    const { values, counts } = chunk;
    const inv = this.sketch.mapping.invLogGamma;
    const table = this.edges;
    const hist = this.hist;
    let finite = 0;
    let sum = 0;
    let min = this.min;
    let max = this.max;
    for (let i = 0; i < values.length; i++) {
      const c = counts[i];
      if (c === 0) continue;
      const x = values[i];
      if (x - x !== 0) {
        if (x === Infinity) this.posInf += c;
        else if (x === -Infinity) this.negInf += c;
        else this.nan += c;
        continue;
      }
      finite += c;
      sum += c * x;
      if (x < min) min = x;
      if (x > max) max = x;
      // The bin the row scan gives: by bucket where no edge cuts it (edge-table.ts), else by the edges.
      let bin = -1;
      if (x > MIN_INDEXABLE) {
        const key = Math.ceil(Math.log(x) * inv);
        this.sketch.positive.add(key, c);
        if (table !== undefined) bin = binOfKey(table.positive, key);
      } else if (x < -MIN_INDEXABLE) {
        const key = Math.ceil(Math.log(-x) * inv);
        this.sketch.negative.add(key, c);
        if (table !== undefined) bin = binOfKey(table.negative, key);
      } else this.sketch.zeroCount += c;
      if (table !== undefined && hist !== undefined) hist[bin >= 0 ? bin : binOf(table.edges, x)] += c;
    }
    this.count += chunk.length;
    this.nulls += chunk.nulls;
    this.min = min;
    this.max = max;
    if (finite === 0) return;
    if (this.exact !== null && !this.exact.addCounts(values, counts)) this.exact = null;
    // Corrected two-pass around the counted mean; values scaled by the largest magnitude when a sum overflows
    // (m2 then overflows to what the row path records for it).
    let { mean, m2 } = countedMoments(values, counts, finite, sum / finite, 1);
    if (!Number.isFinite(mean)) {
      const scale = Math.max(Math.abs(min), Math.abs(max));
      ({ mean, m2 } = countedMoments(values, counts, finite, countedScaledMean(values, counts, finite) / scale, scale));
    }
    if (this.centred === undefined) {
      const frame = centreFrameFor(mean, Math.sqrt(Math.max(0, m2) / finite));
      this.centred = frame === null ? null : { frame, builder: new SketchBuilder(this.sketch.mapping.relativeAccuracy) };
    }
    if (this.centred) {
      const { frame, builder } = this.centred;
      for (let i = 0; i < values.length; i++) {
        const x = values[i];
        const c = counts[i];
        if (c === 0 || x - x !== 0) continue;
        const v = (x - frame.offset) / frame.scale;
        if (v > MIN_INDEXABLE) builder.positive.add(Math.ceil(Math.log(v) * inv), c);
        else if (v < -MIN_INDEXABLE) builder.negative.add(Math.ceil(Math.log(-v) * inv), c);
        else builder.zeroCount += c;
      }
    }
    const combined = combineMoments(this.finite, this.mean, this.m2, finite, mean, Number.isFinite(m2) ? Math.max(0, m2) : MAX);
    this.finite += finite;
    this.mean = combined.mean;
    this.m2 = combined.m2;
  }
}

/**
 * Slots of an ExactCounts table: a power of two >= 2 × EXACT_VALUES_MAX, so the table is at most about half
 * full before the cap drops it and linear probes stay short.
 */
const EXACT_SLOTS = 512;
/** Fibonacci hashing keeps the top log2(EXACT_SLOTS) bits of the mixed 32-bit hash. */
const EXACT_SHIFT = 32 - Math.log2(EXACT_SLOTS);

/**
 * Exact value counts of one column: an open-addressing hash table on typed arrays (keys and counts as
 * Float64Array, linear probing, NaN marks an empty slot since NaN is never counted), hashed from the double's
 * two 32-bit words. It replaced a Map<number, number> whose get + set per run of values cost about a quarter
 * of the numeric scan (issue 14; bench/loops.ts prints both). -0 is stored as 0 (what the Map's SameValueZero
 * keys did), so the JSON is the same.
 */
export class ExactCounts {
  private readonly keys = new Float64Array(EXACT_SLOTS).fill(NaN);
  private readonly counts = new Float64Array(EXACT_SLOTS);
  /** Distinct values counted. */
  size = 0;

  /**
   * Count the chunk's finite values; false as soon as there are more than EXACT_VALUES_MAX distinct (the
   * table is then incomplete: the caller drops it).
   */
  add(values: Float64Array, nulls: Uint8Array | undefined, n: number): boolean {
    const words = new Int32Array(values.buffer, values.byteOffset, 2 * n);
    // In blocks, like scanBlocks, so V8 compiles the loop as a function (see countBlock). A run cut at a block
    // end is added in two parts: the same integer count.
    let size = this.size;
    for (let from = 0; from < n && size >= 0; from += SCAN_BLOCK) size = countBlock(this.keys, this.counts, values, words, nulls, from, Math.min(n, from + SCAN_BLOCK), size);
    if (size < 0) return false;
    this.size = size;
    return true;
  }

  /** Add `counts[i]` rows of each finite `values[i]` (a counted chunk); false past EXACT_VALUES_MAX distinct. */
  addCounts(values: Float64Array, counts: Float64Array): boolean {
    const words = new Int32Array(values.buffer, values.byteOffset, 2 * values.length);
    const lowWord = 1 - HIGH_WORD;
    let size = this.size;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (counts[i] === 0 || x - x !== 0) continue;
      size = exactInsert(this.keys, this.counts, x, words[2 * i + HIGH_WORD], words[2 * i + lowWord], counts[i], size);
      if (size < 0) return false;
    }
    this.size = size;
    return true;
  }

  /** The counts in ascending order of value. */
  toJson(): ExactCountsJson {
    const order: number[] = [];
    for (let s = 0; s < EXACT_SLOTS; s++) if (this.keys[s] === this.keys[s]) order.push(s);
    order.sort((a, b) => this.keys[a] - this.keys[b]);
    return { values: order.map((s) => this.keys[s]), counts: order.map((s) => this.counts[s]) };
  }
}

function exactJson(counts: ReadonlyMap<number, number>): ExactCountsJson {
  const values = [...counts.keys()].map((v) => (v === 0 ? 0 : v)).sort((a, b) => a - b);
  return { values, counts: values.map((v) => counts.get(v) as number) };
}

/** One double and its two words: addCentred reads the high word of (x − offset) / scale for fastLog. */
const CENTRED_SCRATCH = new Float64Array(1);
const CENTRED_SCRATCH_WORDS = new Int32Array(CENTRED_SCRATCH.buffer);

/**
 * Add the chunk's finite values, mapped to (x − offset) / scale, to a centred sketch: SketchBuilder.addValue
 * inlined (the bucket count incremented in the dense store's array, its `add` only off the array's range),
 * so the stores end bit-identical to adding each value.
 */
export function addCentred(builder: SketchBuilder, frame: CentreFrame, values: Float64Array, nulls: Uint8Array | undefined, n: number): void {
  // In blocks, like scanBlocks: called once per 1M-value chunk, Node 24 ran the loop as on-stack-replaced code
  // that deoptimised at its exit on every chunk (--trace-deopt), so each chunk began in the interpreter.
  let zero = 0;
  for (let from = 0; from < n; from += SCAN_BLOCK) zero += centredBlock(builder, frame.offset, frame.scale, values, nulls, from, Math.min(n, from + SCAN_BLOCK));
  builder.zeroCount += zero;
}

/** addCentred over values [from, to); returns how many fell in the zero bucket. */
function centredBlock(
  builder: SketchBuilder,
  offset: number,
  scale: number,
  values: Float64Array,
  nulls: Uint8Array | undefined,
  from: number,
  to: number,
): number {
  const invLogGamma = builder.mapping.invLogGamma;
  const margin = builder.mapping.keyMargin;
  const y64 = CENTRED_SCRATCH;
  const yWords = CENTRED_SCRATCH_WORDS;
  const pos = builder.positive;
  const neg = builder.negative;
  let pCounts = pos.counts;
  let pOff = pos.offset;
  let pLen = pCounts.length;
  let nCounts = neg.counts;
  let nOff = neg.offset;
  let nLen = nCounts.length;
  let zero = 0;
  for (let i = from; i < to; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x !== 0) continue;
    const y = (x - offset) / scale;
    if (y > MIN_INDEXABLE) {
      // The key as scanChunk takes it (fastLog from the bits, Math.log within the margin): bit-identical.
      y64[0] = y;
      const t = fastLog(y, yWords[HIGH_WORD]) * invLogGamma;
      let k = Math.ceil(t);
      if (k - t < margin || t - k + 1 < margin) k = Math.ceil(Math.log(y) * invLogGamma);
      const j = k - pOff;
      if (j >= 0 && j < pLen) pCounts[j]++;
      else {
        pos.add(k, 1);
        pCounts = pos.counts;
        pOff = pos.offset;
        pLen = pCounts.length;
      }
    } else if (y < -MIN_INDEXABLE) {
      y64[0] = y;
      const t = fastLog(-y, yWords[HIGH_WORD] & 0x7fffffff) * invLogGamma;
      let k = Math.ceil(t);
      if (k - t < margin || t - k + 1 < margin) k = Math.ceil(Math.log(-y) * invLogGamma);
      const j = k - nOff;
      if (j >= 0 && j < nLen) nCounts[j]++;
      else {
        neg.add(k, 1);
        nCounts = neg.counts;
        nOff = neg.offset;
        nLen = nCounts.length;
      }
    } else zero++;
  }
  return zero;
}

/**
 * ExactCounts.add over values [from, to) with `size` distinct values so far: the new size, or -1 once past
 * EXACT_VALUES_MAX. A top-level function called per block: called once per 1M-value chunk, the loop ran on Node
 * 24 as on-stack-replaced code that deoptimised at its exit (as addCentred's did).
 */
/**
 * Add `n` of the finite value `x` (whose two words are `hi`, `lo`) to the exact-count table; returns the
 * distinct count, or -1 past EXACT_VALUES_MAX. -0 and 0 hash alike (0) and compare equal; -0 is stored as 0.
 */
function exactInsert(keys: Float64Array, counts: Float64Array, x: number, hi: number, lo: number, n: number, size: number): number {
  const h = x === 0 ? 0 : Math.imul(hi ^ Math.imul(lo, 0x85ebca6b), 0x9e3779b1);
  let slot = h >>> EXACT_SHIFT;
  for (;;) {
    const k = keys[slot];
    if (k === x) {
      counts[slot] += n;
      return size;
    }
    if (k !== k) {
      if (++size > EXACT_VALUES_MAX) return -1;
      keys[slot] = x + 0;
      counts[slot] = n;
      return size;
    }
    slot = (slot + 1) & (EXACT_SLOTS - 1);
  }
}

function countBlock(
  keys: Float64Array,
  counts: Float64Array,
  values: Float64Array,
  words: Int32Array,
  nulls: Uint8Array | undefined,
  from: number,
  to: number,
  size: number,
): number {
  const lowWord = 1 - HIGH_WORD;
  // Runs of one value (sorted or constant columns) cost one table update.
  let last = NaN;
  let lastAt = 0;
  let run = 0;
  for (let i = from; i <= to; i++) {
    let x = NaN;
    if (i < to) {
      if (nulls !== undefined && nulls[i] === 1) continue;
      x = values[i];
      if (x - x !== 0) continue;
      if (x === last) {
        run++;
        continue;
      }
    }
    if (run > 0) {
      // The run of `last` (first at index lastAt) into the table.
      size = exactInsert(keys, counts, last, words[2 * lastAt + HIGH_WORD], words[2 * lastAt + lowWord], run, size);
      if (size < 0) return -1;
    }
    last = x;
    lastAt = i;
    run = 1;
  }
  return size;
}

/** Exact counts of a merge: the union, or undefined when a side has none or the union passes the cap. */
function mergeExact(a: NumericColumnSignature, b: NumericColumnSignature): ExactCountsJson | undefined {
  if (a.exact === undefined || b.exact === undefined) return undefined;
  const counts = new Map<number, number>();
  for (const e of [a.exact, b.exact]) e.values.forEach((v, i) => counts.set(v, (counts.get(v) ?? 0) + e.counts[i]));
  return counts.size > EXACT_VALUES_MAX ? undefined : exactJson(counts);
}

/** Centred sketch of a merge: added in a shared frame; a side without finite values does not count; else dropped. */
function mergeCentred(a: NumericColumnSignature, b: NumericColumnSignature): CentredSketchJson | undefined {
  if (a.finite === 0 && a.centred === undefined) return b.centred;
  if (b.finite === 0 && b.centred === undefined) return a.centred;
  if (a.centred === undefined || b.centred === undefined) return undefined;
  if (a.centred.offset !== b.centred.offset || a.centred.scale !== b.centred.scale) return undefined;
  return { offset: a.centred.offset, scale: a.centred.scale, sketch: mergeSketches(a.centred.sketch, b.centred.sketch) };
}

/** Per-chunk scan state: the sketch stores and histogram it writes into, and the chunk's counts it returns. */
interface ScanState {
  readonly invLogGamma: number;
  readonly keyMargin: number;
  readonly pos: DenseStore;
  readonly neg: DenseStore;
  readonly hist: Float64Array | undefined;
  readonly table: EdgeTable | undefined;
  zero: number;
  nulls: number;
  nan: number;
  posInf: number;
  negInf: number;
  finite: number;
  min: number;
  max: number;
  /** Input: the shift of s1 and s2 (the running mean, or the chunk's first finite value). */
  shift: number;
  /** Σ(x − shift) and Σ(x − shift)² over the chunk's finite values. */
  s1: number;
  s2: number;
}

function newScanState(sketch: SketchBuilder, table: EdgeTable | undefined, hist: Float64Array | undefined): ScanState {
  return {
    invLogGamma: sketch.mapping.invLogGamma,
    keyMargin: sketch.mapping.keyMargin,
    pos: sketch.positive,
    neg: sketch.negative,
    hist,
    table,
    zero: 0,
    nulls: 0,
    nan: 0,
    posInf: 0,
    negInf: 0,
    finite: 0,
    min: Infinity,
    max: -Infinity,
    shift: 0,
    s1: 0,
    s2: 0,
  };
}

/**
 * Values per scanChunk call. The chunk is scanned in blocks so that scanChunk is called often and V8 compiles
 * it as a whole function: called once per 1M-value chunk, Node 24's V8 (unlike Node 20's) only ever ran it as
 * on-stack-replaced loop code (bench/loops.ts, numeric builder: Node 24 46-72 ns/value before, 37-45 after).
 * 4096-value blocks cost Node 20 about 20 % (40 -> 49-63 ns/value); 16384 measured 40 on Node 20. Every accumulator is carried from
 * block to block in `out`, so the sums are added in the same order as in one pass: bit-identical results.
 */
const SCAN_BLOCK = 16384;

/** scanChunk over values [0, n) in blocks of SCAN_BLOCK; `out.min`, `out.max` and `out.shift` are inputs. */
function scanBlocks(s: ScanState, values: Float64Array, nulls: Uint8Array | undefined, n: number, out: ScanState): void {
  out.zero = 0;
  out.nulls = 0;
  out.nan = 0;
  out.posInf = 0;
  out.negInf = 0;
  out.finite = 0;
  out.s1 = 0;
  out.s2 = 0;
  // The values' bits, for the exponent and top mantissa bits fastLog reads (a Float64Array is 8-aligned).
  const words = new Int32Array(values.buffer, values.byteOffset, 2 * n);
  for (let from = 0; from < n; from += SCAN_BLOCK) scanChunk(s, values, words, nulls, from, Math.min(n, from + SCAN_BLOCK), out);
}

/**
 * The hot loop: specials, shifted sums, min/max, sketch bucket and histogram bin of every value of one chunk.
 * A top-level function with nothing but the loop and its write-back, so V8 optimises it as a whole (when the
 * loop sat inside `add`, the on-stack-replaced loop code soft-deoptimised on the un-profiled code after it,
 * every chunk, and the second pass ran in the interpreter: ~2x slower).
 */
function scanChunk(
  s: ScanState,
  values: Float64Array,
  words: Int32Array,
  nulls: Uint8Array | undefined,
  from: number,
  to: number,
  out: ScanState,
): void {
  const invLogGamma = s.invLogGamma;
  const margin = s.keyMargin;
  const pos = s.pos;
  const neg = s.neg;
  let pCounts = pos.counts;
  let pOff = pos.offset;
  let pLen = pCounts.length;
  let nCounts = neg.counts;
  let nOff = neg.offset;
  let nLen = nCounts.length;
  let zero = out.zero;
  let nullCount = out.nulls;
  let nan = out.nan;
  let posInf = out.posInf;
  let negInf = out.negInf;
  let finite = out.finite;
  const shift = out.shift;
  let s1 = out.s1;
  let s2 = out.s2;
  let min = out.min;
  let max = out.max;
  const hist = s.hist;
  const table = s.table;
  const counting = hist !== undefined;
  const h = hist ?? new Float64Array(1);
  const edges = table?.edges ?? new Float64Array(0);
  const pTab = table?.positive.bins ?? new Int32Array(0);
  const pTabOff = table?.positive.offset ?? 0;
  const pTabLen = pTab.length;
  const pBelow = table?.positive.below ?? 0;
  const pAbove = table?.positive.above ?? 0;
  const nTab = table?.negative.bins ?? new Int32Array(0);
  const nTabOff = table?.negative.offset ?? 0;
  const nTabLen = nTab.length;
  const nBelow = table?.negative.below ?? 0;
  const nAbove = table?.negative.above ?? 0;
  for (let i = from; i < to; i++) {
    if (nulls !== undefined && nulls[i] === 1) {
      nullCount++;
      continue;
    }
    const x = values[i];
    if (x - x !== 0) {
      // NaN or ±Infinity.
      if (x === Infinity) posInf++;
      else if (x === -Infinity) negInf++;
      else nan++;
      continue;
    }
    finite++;
    const d = x - shift;
    s1 += d;
    s2 += d * d;
    if (x < min) min = x;
    if (x > max) max = x;
    if (x > MIN_INDEXABLE) {
      const t = fastLog(x, words[2 * i + HIGH_WORD]) * invLogGamma;
      let k = Math.ceil(t);
      if (k - t < margin || t - k + 1 < margin) k = Math.ceil(Math.log(x) * invLogGamma);
      const j = k - pOff;
      if (j >= 0 && j < pLen) pCounts[j]++;
      else {
        pos.add(k, 1);
        pCounts = pos.counts;
        pOff = pos.offset;
        pLen = pCounts.length;
      }
      if (counting) {
        const t = k - pTabOff;
        const bin = t < 0 ? pBelow : t >= pTabLen ? pAbove : pTab[t];
        h[bin >= 0 ? bin : binOf(edges, x)]++;
      }
    } else if (x < -MIN_INDEXABLE) {
      const t = fastLog(-x, words[2 * i + HIGH_WORD] & 0x7fffffff) * invLogGamma;
      let k = Math.ceil(t);
      if (k - t < margin || t - k + 1 < margin) k = Math.ceil(Math.log(-x) * invLogGamma);
      const j = k - nOff;
      if (j >= 0 && j < nLen) nCounts[j]++;
      else {
        neg.add(k, 1);
        nCounts = neg.counts;
        nOff = neg.offset;
        nLen = nCounts.length;
      }
      if (counting) {
        const t = k - nTabOff;
        const bin = t < 0 ? nBelow : t >= nTabLen ? nAbove : nTab[t];
        h[bin >= 0 ? bin : binOf(edges, x)]++;
      }
    } else {
      zero++;
      if (counting) h[binOf(edges, x)]++;
    }
  }
  out.zero = zero;
  out.nulls = nullCount;
  out.nan = nan;
  out.posInf = posInf;
  out.negInf = negInf;
  out.finite = finite;
  out.s1 = s1;
  out.s2 = s2;
  out.min = min;
  out.max = max;
}

interface StoreSnapshot {
  readonly offset: number;
  readonly counts: Float64Array;
  readonly collapses: number;
}

function snapshot(store: DenseStore): StoreSnapshot {
  return { offset: store.offset, counts: store.counts.slice(), collapses: store.collapses };
}

/** Add each bucket's count gained since `before` to its bin (no bucket is cut: see EdgeTable.bucketAligned). */
function addDeltas(hist: Float64Array, table: SignTable, store: DenseStore, before: StoreSnapshot): void {
  const counts = store.counts;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c === 0) continue;
    const j = store.offset + i - before.offset;
    const delta = j >= 0 && j < before.counts.length ? c - before.counts[j] : c;
    if (delta !== 0) hist[binOfKey(table, store.offset + i)] += delta;
  }
}

/** Exact bins of every finite value of one chunk (the fallback when a store collapsed mid-chunk). */
function binValues(hist: Float64Array, edges: Float64Array, values: Float64Array, nulls: Uint8Array | undefined, n: number): void {
  for (let i = 0; i < n; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x === 0) hist[binOf(edges, x)]++;
  }
}

/** The first finite value of a chunk (0 when it has none). */
function firstFinite(values: Float64Array, nulls: Uint8Array | undefined, n: number): number {
  for (let i = 0; i < n; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x === 0) return x;
  }
  return 0;
}

/** Σ(x − mean) and Σ(x − mean)² over the finite values of one chunk. */
function deviations(out: { d: number; m2: number }, values: Float64Array, nulls: Uint8Array | undefined, n: number, mean: number): void {
  let d = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x !== 0) continue;
    const dx = x - mean;
    d += dx;
    m2 += dx * dx;
  }
  out.d = d;
  out.m2 = m2;
}

/** Σx over the finite values of one chunk, in index order. */
function finiteSum(values: Float64Array, nulls: Uint8Array | undefined, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x === 0) sum += x;
  }
  return sum;
}

/** Mean of the finite values when their plain sum overflows. */
function scaledMean(values: Float64Array, nulls: Uint8Array | undefined, n: number, finite: number): number {
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (nulls !== undefined && nulls[i] === 1) continue;
    const x = values[i];
    if (x - x === 0) mean += x / finite;
  }
  return mean;
}

/**
 * Chan et al.'s parallel combination of (count, mean, m2) pairs, written symmetrically so that
 * combine(a, b) and combine(b, a) give identical bits.
 */
export function combineMoments(
  na: number,
  meanA: number,
  m2a: number,
  nb: number,
  meanB: number,
  m2b: number,
): { mean: number; m2: number } {
  if (na === 0) return { mean: meanB, m2: Math.min(m2b, MAX) };
  if (nb === 0) return { mean: meanA, m2: Math.min(m2a, MAX) };
  const n = na + nb;
  const delta = meanB - meanA;
  let mean = (na / n) * meanA + (nb / n) * meanB;
  if (!Number.isFinite(mean)) mean = meanA / 2 + meanB / 2;
  // Storing the mean as a double limits m2's relative accuracy to about eps·(mean/std)²·… : ~1e-9 for data
  // like 1e9 ± 1 merged from many chunks (measured on the scipy fixture), far better for ordinary data.
  const m2 = m2a + m2b + (delta * delta * (na * nb)) / n;
  return { mean, m2: Number.isFinite(m2) ? m2 : MAX };
}

/** Population variance m2/finite (0 when finite < 1). */
export function variance(col: NumericColumnSignature): number {
  return col.finite < 1 ? 0 : col.m2 / col.finite;
}

function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Counts of a numeric column on `edges` (length edges.length+1): exact when the column's histogram has these edges, else from the sketch. */
export function histogramOn(col: NumericColumnSignature, edges: readonly number[]): number[] {
  if (col.histogram !== null && sameEdges(col.histogram.edges, edges)) return [...col.histogram.counts];
  return sketchHistogram(col.sketch, edges);
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/**
 * Merge two numeric column signatures. Counts and the sketch add exactly; moments combine (Chan). Histograms
 * with equal edges add; otherwise the merged sketch is counted on the first signature's edges (or the other's
 * when the first has none), which may give fractional counts.
 */
export function mergeNumeric(a: NumericColumnSignature, b: NumericColumnSignature): NumericColumnSignature {
  const sketch = mergeSketches(a.sketch, b.sketch);
  const moments = combineMoments(a.finite, a.mean, a.m2, b.finite, b.mean, b.m2);
  let histogram: HistogramJson | null = null;
  if (a.histogram !== null && b.histogram !== null && sameEdges(a.histogram.edges, b.histogram.edges)) {
    histogram = { edges: [...a.histogram.edges], counts: a.histogram.counts.map((c, i) => c + b.histogram!.counts[i]) };
  } else {
    const edges = a.histogram?.edges ?? b.histogram?.edges;
    if (edges !== undefined) histogram = { edges: [...edges], counts: sketchHistogram(sketch, edges) };
  }
  return {
    kind: 'numeric',
    type: a.type,
    count: a.count + b.count,
    nulls: a.nulls + b.nulls,
    nan: a.nan + b.nan,
    posInf: a.posInf + b.posInf,
    negInf: a.negInf + b.negInf,
    finite: a.finite + b.finite,
    min: minOf(a.min, b.min),
    max: maxOf(a.max, b.max),
    mean: moments.mean,
    m2: moments.m2,
    sketch,
    histogram,
    ...optional('exact', mergeExact(a, b)),
    ...optional('centred', mergeCentred(a, b)),
  };
}

/** `{ [key]: value }`, or nothing when value is undefined (the signature keeps no undefined keys). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Convenience for tests and the drift module: a numeric column signature from plain numbers (NaN/±Infinity counted; null = missing). */
export function numericSignatureOf(
  values: ArrayLike<number | null>,
  options: { edges?: readonly number[]; relativeAccuracy?: number; frame?: CentreFrame | null } = {},
): NumericColumnSignature {
  const n = values.length;
  const data = new Float64Array(n);
  const nulls = new Uint8Array(n);
  let anyNull = false;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      nulls[i] = 1;
      anyNull = true;
    } else data[i] = v;
  }
  const acc = new NumericAccumulator('float', { relativeAccuracy: options.relativeAccuracy, edges: options.edges, frame: options.frame });
  acc.add({ kind: 'numeric', length: n, values: data, nulls: anyNull ? nulls : undefined });
  return acc.finish();
}

/**
 * Run every path of the hot loop once on a few values at load time, so V8 has type feedback for the whole of
 * `scanChunk` before it on-stack-replaces the loop; without it the OSR code soft-deoptimises at the loop exit
 * on every chunk (measured: ~47 vs ~26 ns/value).
 */
function warmUp(): void {
  // Several rounds: V8 allocates a function's feedback vector only after a few calls (lazy feedback
  // allocation), and feedback recorded before that is lost; Node 24's V8 needs more calls than Node 20's.
  for (let round = 0; round < WARM_UP_ROUNDS; round++) warmUpOnce();
}

/** Calls of each scanChunk path at load time (see warmUp). */
const WARM_UP_ROUNDS = 16;

function warmUpOnce(): void {
  // ±1 lie on a bucket boundary (key 0): the Math.log fallback of both signs. The frame runs addCentred.
  for (const [edges, frame] of [[undefined, undefined], [[-1, 0, 1], undefined], [undefined, { offset: 0, scale: 1 }]] as const) {
    const acc = new NumericAccumulator('float', { edges, frame });
    acc.add({
      kind: 'numeric',
      length: 9,
      values: Float64Array.of(1, -2, 0, NaN, Infinity, -Infinity, -1, 1e300, 5),
      nulls: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1),
    });
    acc.add({ kind: 'numeric', length: 2, values: Float64Array.of(3, -4) });
    acc.finish();
  }
}

warmUp();

/** The mean of counted finite values whose plain sum overflows: each value scaled down first. */
function countedScaledMean(values: Float64Array, counts: Float64Array, finite: number): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (counts[i] > 0 && x - x === 0) mean += (x / finite) * counts[i];
  }
  return mean;
}

/** Mean and m2 of counted finite values, around a first mean `mean0` of the values divided by `scale`. */
function countedMoments(values: Float64Array, counts: Float64Array, finite: number, mean0: number, scale: number): { mean: number; m2: number } {
  let d = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const c = counts[i];
    if (c === 0 || x - x !== 0) continue;
    const e = x / scale - mean0;
    d += c * e;
    m2 += c * e * e;
  }
  return { mean: (mean0 + d / finite) * scale, m2: (m2 - (d * d) / finite) * scale * scale };
}

/**
 * Whether `rows` rows drawn from `values` sign as a counted chunk within rounding of their rows: while no sum of
 * them can overflow (|value| x rows < 2^1000). Beyond that both orders of summation lose the small values to
 * cancellation, differently: such a chunk is signed by its rows, as every other reader signs it.
 */
export function countable(values: Float64Array, rows: number): boolean {
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > largest && a !== Infinity) largest = a;
  }
  return largest * Math.max(1, rows) < 2 ** 1000;
}
