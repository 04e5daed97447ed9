import { ConfigError } from '../errors.js';
import type { QuantileSketchJson } from './types.js';

/**
 * The quantile sketch: DDSketch-style logarithmic buckets (Masson, Rim & Lee, "DDSketch: a fast and
 * fully-mergeable quantile sketch with relative-error guarantees", VLDB 2019).
 *
 * Why this design:
 * - A value x > MIN_INDEXABLE falls in bucket k = ceil(log(x) / log(γ)) with γ = (1+α)/(1−α), i.e. the
 *   interval (γ^(k−1), γ^k]. Negative values use the same mapping on |x| in a second store; values with
 *   |x| <= MIN_INDEXABLE (1e-9) go to one zero bucket. The bucket's representative 2γ^k/(γ+1) is within a
 *   relative error α of every value in the bucket, so every quantile has relative value error <= α
 *   (values in the zero bucket: absolute error <= 1e-9 instead).
 * - Exactly mergeable: bucket counts add, so merge(sk(A), sk(B)) === sk(A ∪ B) bit for bit. The mapping
 *   is a fixed function of α, so the sketch is deterministic and independent of the order of the values.
 * - Reference and current signatures share the mapping, so the empirical CDF of both is known exactly at
 *   every bucket boundary (up to values lying exactly on a boundary): the drift module evaluates KS and
 *   Wasserstein there (`sketchBoundaries`, `sketchCdf`).
 * - Bounded size: each store keeps at most MAX_BUCKETS (4096) consecutive buckets. When a new value would
 *   widen a store past that, the lowest buckets (smallest |x|) are collapsed into the lowest kept bucket,
 *   like DDSketch's collapsing-lowest store. The final state is "every bucket below max − 4095 folded into
 *   max − 4095" whatever the order, so merging stays exact. With α = 0.005 (log γ ≈ 0.01) 4096 buckets
 *   span a factor of about 6e17 in |x|; only data spanning more than that loses accuracy, and only at the
 *   small-magnitude end.
 * - Quantile definition: `sketchQuantile(s, q)` estimates the value of 0-based rank floor(q·(n−1)) in the
 *   sorted data (numpy's method="lower").
 *
 * The hot loop that fills the stores lives in numeric.ts (with its measured cost).
 */

/** Default relative accuracy α of the sketch. */
export const DEFAULT_RELATIVE_ACCURACY = 0.005;
/** Values with |x| <= this go to the zero bucket. */
export const MIN_INDEXABLE = 1e-9;
/** Maximum number of buckets kept per sign; lower buckets collapse into the lowest kept one. */
export const MAX_BUCKETS = 4096;

/** γ and the reciprocal of log γ for a relative accuracy α. */
export interface SketchMapping {
  readonly relativeAccuracy: number;
  readonly gamma: number;
  readonly invLogGamma: number;
  /**
   * Half-width of the band around an integer inside which `fastBucketKey`'s approximate scaled log defers
   * to Math.log (see KEY_TABLES): wider than the approximation's worst error, so keys stay bit-identical.
   */
  readonly keyMargin: number;
}

/**
 * Tables for `fastBucketKey`: log(x) = e·ln 2 + log(c_j) + log1p(m/c_j − 1), where e is the float's exponent,
 * m ∈ [1, 2) its mantissa and c_j the centre of the mantissa's 1/128 cell (top 7 mantissa bits), so
 * |m/c_j − 1| < 2^-8 and a degree-5 series for log1p is accurate to ~1e-16. Three table reads and a few
 * multiply-adds instead of Math.log (a call into V8's C library, the hot loop's main cost).
 */
const MANTISSA_BITS = 7;
const CELLS = 1 << MANTISSA_BITS;
const INV_CENTRE = new Float64Array(CELLS);
const LOG_CENTRE = new Float64Array(CELLS);
for (let j = 0; j < CELLS; j++) {
  const centre = 1 + (j + 0.5) / CELLS;
  INV_CENTRE[j] = 1 / centre;
  LOG_CENTRE[j] = Math.log(centre);
}
/** 2^−e for each biased exponent (normal floats only: callers pass |x| > MIN_INDEXABLE). */
const INV_POW2 = new Float64Array(2047);
const EXP_LN2 = new Float64Array(2047);
for (let b = 1; b < 2047; b++) {
  INV_POW2[b] = Math.pow(2, 1023 - b);
  EXP_LN2[b] = (b - 1023) * Math.LN2;
}
/** Index of the high (sign/exponent) 32-bit word of a float64 in an Int32Array view: 1 on little-endian. */
export const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const SCRATCH = new Float64Array(1);
const SCRATCH_WORDS = new Int32Array(SCRATCH.buffer);

/**
 * log(a) for a normal positive double `a` whose high word is `hi`, to within ~3e-16 relative plus
 * ~1e-16·|e|·ln 2 absolute rounding (see INV_CENTRE); the caller inlines the same steps in its hot loop.
 */
export function fastLog(a: number, hi: number): number {
  const biased = hi >>> 20;
  const j = (hi >>> (20 - MANTISSA_BITS)) & (CELLS - 1);
  const r = a * INV_POW2[biased] * INV_CENTRE[j] - 1;
  const r2 = r * r;
  return EXP_LN2[biased] + LOG_CENTRE[j] + (r - r2 * 0.5 + r2 * r * (1 / 3 - r * 0.25 + r2 * 0.2));
}

/**
 * Bucket key of a magnitude a > MIN_INDEXABLE, bit-identical to Math.ceil(Math.log(a) * invLogGamma) (the
 * mapping's definition) but computed from the float's bits; within `keyMargin` of a boundary it takes that
 * expression itself.
 */
export function fastBucketKey(mapping: SketchMapping, a: number): number {
  SCRATCH[0] = a;
  const t = fastLog(a, SCRATCH_WORDS[HIGH_WORD]) * mapping.invLogGamma;
  const k = Math.ceil(t);
  return k - t < mapping.keyMargin || t - k + 1 < mapping.keyMargin ? Math.ceil(Math.log(a) * mapping.invLogGamma) : k;
}

/** The bucket mapping for a relative accuracy α (0 < α < 1). */
export function sketchMapping(relativeAccuracy: number): SketchMapping {
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new ConfigError('signature options', `relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
  }
  const gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
  const invLogGamma = 1 / Math.log(gamma);
  // Worst case |fastLog − Math.log| ≲ 3e-13 (exponent term's rounding up to |e|·ln 2 ≈ 709, series
  // truncation 6e-16, Math.log's 1 ulp), plus each product's rounding (≲ 8e-14·invLogGamma): a margin of
  // 1e-11·invLogGamma covers them twenty-fold. The share of values that take Math.log is ~2·keyMargin.
  return { relativeAccuracy, gamma, invLogGamma, keyMargin: 1e-9 + 1e-11 * invLogGamma };
}

/** Upper bound γ^k of bucket k (the same function everywhere, so boundaries compare exactly). */
export function bucketUpper(gamma: number, key: number): number {
  return Math.pow(gamma, key);
}

/** Bucket key of a magnitude a > MIN_INDEXABLE, consistent with `bucketUpper`: a ∈ (γ^(k−1), γ^k]. */
function exactKey(mapping: SketchMapping, a: number): number {
  let k = Math.ceil(Math.log(a) * mapping.invLogGamma);
  while (bucketUpper(mapping.gamma, k) < a) k++;
  while (bucketUpper(mapping.gamma, k - 1) >= a) k--;
  return k;
}

/**
 * Dense bucket counts for one sign, growable, at most MAX_BUCKETS long. The hot loop increments
 * `counts[k - offset]` directly when in range and calls `add` otherwise.
 */
export class DenseStore {
  counts: Float64Array = new Float64Array(0);
  offset = 0;
  /** Times buckets were folded into the lowest kept one (lets callers know bucket identity was lost). */
  collapses = 0;

  /** Add `n` to bucket `key`, growing or collapsing as needed (the slow path). */
  add(key: number, n: number): void {
    const j = key - this.offset;
    if (j >= 0 && j < this.counts.length) {
      this.counts[j] += n;
      return;
    }
    if (key < this.offset && this.counts.length === MAX_BUCKETS && this.counts[MAX_BUCKETS - 1] !== 0) {
      // Already collapsing (the array spans MAX_BUCKETS up to the highest used key): fold into the lowest bucket.
      this.counts[0] += n;
      this.collapses++;
      return;
    }
    if (key > this.offset + MAX_BUCKETS - 1 && this.counts.length === MAX_BUCKETS) {
      // A new highest key on a full array: slide the window up in place, folding what falls below it.
      const c = this.counts;
      const shift = key - (this.offset + MAX_BUCKETS - 1);
      const cut = Math.min(shift, MAX_BUCKETS - 1);
      let below = 0;
      for (let i = 0; i < cut; i++) below += c[i];
      const folded = below + c[cut];
      c.copyWithin(0, cut);
      c.fill(0, MAX_BUCKETS - cut);
      c[0] = folded;
      if (below !== 0 || (shift > cut && folded !== 0)) this.collapses++;
      if (shift > cut) {
        // Shifted by the whole window: everything folds into the new lowest bucket.
        c.fill(0, 1);
      }
      this.offset += shift;
      c[MAX_BUCKETS - 1] += n;
      return;
    }
    const [minKey, maxKey] = this.usedRange();
    let lo = minKey === undefined ? key : Math.min(minKey, key);
    const hi = maxKey === undefined ? key : Math.max(maxKey, key);
    if (hi - lo + 1 > MAX_BUCKETS) {
      lo = hi - MAX_BUCKETS + 1;
      // Something is folded: the new key or the old lowest bucket lies below the new floor.
      this.collapses++;
    }
    const span = hi - lo + 1;
    // Grow geometrically (with slack on the side that grew) so a stream of new keys stays amortised O(1).
    const len = Math.min(MAX_BUCKETS, Math.max(span, 2 * this.counts.length, 64));
    const slack = len - span;
    // Slack goes on the side that grew (centred for the first key). Every key of the array stays within
    // MAX_BUCKETS of every other, so the fast path never needs to collapse.
    const wanted =
      minKey === undefined ? key - (slack >> 1) : key >= hi ? lo : key <= lo ? hi - len + 1 : lo - (slack >> 1);
    const offset = Math.min(lo, Math.max(wanted, hi - len + 1));
    const next = new Float64Array(len);
    const old = this.counts;
    for (let i = 0; i < old.length; i++) {
      const c = old[i];
      if (c !== 0) next[Math.max(this.offset + i, lo) - offset] += c;
    }
    next[Math.max(key, lo) - offset] += n;
    this.counts = next;
    this.offset = offset;
  }

  /** [lowest, highest] key with a non-zero count, or [undefined, undefined] when empty. */
  usedRange(): [number | undefined, number | undefined] {
    const c = this.counts;
    let a = 0;
    while (a < c.length && c[a] === 0) a++;
    if (a === c.length) return [undefined, undefined];
    let b = c.length - 1;
    while (c[b] === 0) b--;
    return [this.offset + a, this.offset + b];
  }

  /** The canonical form: offset = lowest used key, counts trimmed of zeros at both ends. */
  toJson(): { offset: number; counts: number[] } {
    const [minKey, maxKey] = this.usedRange();
    if (minKey === undefined || maxKey === undefined) return { offset: 0, counts: [] };
    const out: number[] = [];
    for (let k = minKey; k <= maxKey; k++) out.push(this.counts[k - this.offset]);
    return { offset: minKey, counts: out };
  }

  /** Add every bucket of a serialised store. */
  addJson(store: { readonly offset: number; readonly counts: readonly number[] }): void {
    for (let i = 0; i < store.counts.length; i++) {
      const c = store.counts[i];
      if (c !== 0) this.add(store.offset + i, c);
    }
  }
}

/** A growable sketch (the builder side); the numeric accumulator inlines its hot loop over the stores. */
export class SketchBuilder {
  readonly mapping: SketchMapping;
  readonly positive = new DenseStore();
  readonly negative = new DenseStore();
  zeroCount = 0;

  constructor(relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY) {
    this.mapping = sketchMapping(relativeAccuracy);
  }

  /** Add one finite value (slow path; fine for tests and merges). */
  addValue(x: number): void {
    if (x > MIN_INDEXABLE) this.positive.add(Math.ceil(Math.log(x) * this.mapping.invLogGamma), 1);
    else if (x < -MIN_INDEXABLE) this.negative.add(Math.ceil(Math.log(-x) * this.mapping.invLogGamma), 1);
    else this.zeroCount++;
  }

  /** Add a serialised sketch with the same relative accuracy. */
  addJson(sketch: QuantileSketchJson): void {
    assertSameAccuracy(this.mapping.relativeAccuracy, sketch.relativeAccuracy);
    this.zeroCount += sketch.zeroCount;
    this.positive.addJson(sketch.positive);
    this.negative.addJson(sketch.negative);
  }

  /** The canonical serialised sketch. */
  toJson(): QuantileSketchJson {
    return {
      type: 'ddsketch',
      relativeAccuracy: this.mapping.relativeAccuracy,
      zeroCount: this.zeroCount,
      positive: this.positive.toJson(),
      negative: this.negative.toJson(),
    };
  }
}

function assertSameAccuracy(a: number, b: number): void {
  if (a !== b) {
    throw new ConfigError('signature', `cannot combine sketches with relative accuracy ${a} and ${b}`);
  }
}

/** An empty sketch with relative accuracy α. */
export function emptySketch(relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY): QuantileSketchJson {
  return new SketchBuilder(relativeAccuracy).toJson();
}

/** Merge two sketches with the same relative accuracy: bucket counts add (exact). */
export function mergeSketches(a: QuantileSketchJson, b: QuantileSketchJson): QuantileSketchJson {
  const builder = new SketchBuilder(a.relativeAccuracy);
  builder.addJson(a);
  builder.addJson(b);
  return builder.toJson();
}

/** Number of values in the sketch. */
export function sketchCount(sketch: QuantileSketchJson): number {
  return sketch.zeroCount + sum(sketch.positive.counts) + sum(sketch.negative.counts);
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/**
 * Estimate of the q-quantile (value of rank floor(q·(n−1))), within relative error α; null when empty. The
 * bucket holding that rank is found by binary search on the sketch's cached cumulative counts (the drift tests
 * read dozens of quantiles of each sketch): the bucket a linear scan finds, since counts are whole numbers.
 */
export function sketchQuantile(sketch: QuantileSketchJson, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const pre = prefixOf(sketch);
  const n = pre.total;
  if (n === 0) return null;
  const rank = Math.floor(q * (n - 1));
  const { gamma } = pre.mapping;
  const neg = sketch.negative;
  if (pre.negTotal > rank) {
    // The largest i whose values and all more negative ones exceed the rank: negAbove[i] + counts[i] > rank.
    let lo = 0;
    let hi = neg.counts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pre.negAbove[mid] + neg.counts[mid] > rank) lo = mid;
      else hi = mid - 1;
    }
    return (-2 * bucketUpper(gamma, neg.offset + lo)) / (gamma + 1);
  }
  const belowPositive = pre.negTotal + sketch.zeroCount;
  if (belowPositive > rank) return 0;
  const pos = sketch.positive;
  // The smallest i with belowPositive + posBelow[i] + counts[i] > rank (the last bucket for an inconsistent sketch).
  let lo = 0;
  let hi = pos.counts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (belowPositive + pre.posBelow[mid] + pos.counts[mid] > rank) hi = mid;
    else lo = mid + 1;
  }
  return (2 * bucketUpper(gamma, pos.offset + lo)) / (gamma + 1);
}

/** Cumulative counts, cached per sketch object: the drift module evaluates many points on one sketch. */
interface Prefix {
  readonly mapping: SketchMapping;
  /** negAbove[i] = count of negative buckets with index > i (i.e. more negative values). */
  readonly negAbove: Float64Array;
  /** posBelow[i] = count of positive buckets with index < i. */
  readonly posBelow: Float64Array;
  readonly negTotal: number;
  readonly total: number;
}

const prefixCache = new WeakMap<QuantileSketchJson, Prefix>();

function prefixOf(sketch: QuantileSketchJson): Prefix {
  const cached = prefixCache.get(sketch);
  if (cached !== undefined) return cached;
  const neg = sketch.negative.counts;
  const negAbove = new Float64Array(neg.length);
  let acc = 0;
  for (let i = neg.length - 1; i >= 0; i--) {
    negAbove[i] = acc;
    acc += neg[i];
  }
  const negTotal = acc;
  const pos = sketch.positive.counts;
  const posBelow = new Float64Array(pos.length);
  let p = 0;
  for (let i = 0; i < pos.length; i++) {
    posBelow[i] = p;
    p += pos[i];
  }
  const prefix: Prefix = {
    mapping: sketchMapping(sketch.relativeAccuracy),
    negAbove,
    posBelow,
    negTotal,
    total: negTotal + sketch.zeroCount + p,
  };
  prefixCache.set(sketch, prefix);
  return prefix;
}

/**
 * Number of the sketch's values <= x: exact at bucket boundaries, linear inside a bucket; the zero bucket
 * counts as a point mass at 0.
 */
export function sketchRankAt(sketch: QuantileSketchJson, x: number): number {
  const pre = prefixOf(sketch);
  if (Number.isNaN(x)) throw new RangeError('sketchCdf: x is NaN');
  if (x === Infinity) return pre.total;
  if (x === -Infinity) return 0;
  const { gamma } = pre.mapping;
  if (x < 0) {
    const a = -x;
    if (a <= MIN_INDEXABLE) return pre.negTotal;
    const k = exactKey(pre.mapping, a);
    const neg = sketch.negative;
    const i = k - neg.offset;
    if (i >= neg.counts.length) return 0;
    if (i < 0) return pre.negTotal;
    // Bucket k holds x ∈ [−γ^k, −γ^(k−1)).
    const upper = bucketUpper(gamma, k);
    const lower = bucketUpper(gamma, k - 1);
    return pre.negAbove[i] + (neg.counts[i] * (x + upper)) / (upper - lower);
  }
  const belowPositive = pre.negTotal + sketch.zeroCount;
  if (x <= MIN_INDEXABLE) return belowPositive;
  const k = exactKey(pre.mapping, x);
  const pos = sketch.positive;
  const i = k - pos.offset;
  if (i < 0) return belowPositive;
  if (i >= pos.counts.length) return pre.total;
  const upper = bucketUpper(gamma, k);
  const lower = bucketUpper(gamma, k - 1);
  return belowPositive + pre.posBelow[i] + (pos.counts[i] * (x - lower)) / (upper - lower);
}

/** Fraction of the sketch's values <= x (exact at bucket boundaries, linear interpolation inside a bucket otherwise). */
export function sketchCdf(sketch: QuantileSketchJson, x: number): number {
  const total = prefixOf(sketch).total;
  return total === 0 ? 0 : sketchRankAt(sketch, x) / total;
}

/** Sorted distinct bucket boundaries of both sketches (plus zero): points where both empirical CDFs are known exactly. */
export function sketchBoundaries(a: QuantileSketchJson, b: QuantileSketchJson): number[] {
  assertSameAccuracy(a.relativeAccuracy, b.relativeAccuracy);
  const { gamma } = sketchMapping(a.relativeAccuracy);
  const points = new Set<number>([0]);
  for (const sketch of [a, b]) {
    for (let i = 0; i < sketch.positive.counts.length; i++) {
      if (sketch.positive.counts[i] === 0) continue;
      const k = sketch.positive.offset + i;
      points.add(bucketUpper(gamma, k - 1));
      points.add(bucketUpper(gamma, k));
    }
    for (let i = 0; i < sketch.negative.counts.length; i++) {
      if (sketch.negative.counts[i] === 0) continue;
      const k = sketch.negative.offset + i;
      points.add(-bucketUpper(gamma, k - 1));
      points.add(-bucketUpper(gamma, k));
    }
  }
  return [...points].sort((x, y) => x - y);
}

/**
 * Edges for a reference histogram: for each interior quantile i/bins, the upper boundary of the bucket
 * holding it (so the reference's counts on these edges come exactly from bucket sums), deduplicated.
 */
export function sketchEdges(sketch: QuantileSketchJson, bins: number): number[] {
  const { gamma } = sketchMapping(sketch.relativeAccuracy);
  const n = sketchCount(sketch);
  if (n === 0) return [];
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const rank = Math.floor((i / bins) * (n - 1));
    const edge = bucketUpperEdgeAtRank(sketch, gamma, rank);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

function bucketUpperEdgeAtRank(sketch: QuantileSketchJson, gamma: number, rank: number): number {
  let acc = 0;
  const neg = sketch.negative;
  for (let i = neg.counts.length - 1; i >= 0; i--) {
    acc += neg.counts[i];
    // Bucket k holds [−γ^k, −γ^(k−1)): everything in it is <= −γ^(k−1).
    if (acc > rank) return -bucketUpper(gamma, neg.offset + i - 1);
  }
  acc += sketch.zeroCount;
  if (acc > rank) return 0;
  const pos = sketch.positive;
  for (let i = 0; i < pos.counts.length; i++) {
    acc += pos.counts[i];
    if (acc > rank) return bucketUpper(gamma, pos.offset + i);
  }
  return bucketUpper(gamma, pos.offset + pos.counts.length - 1);
}

/** Counts of the sketch's values on `edges` (bins (−∞, e0], (e0, e1], …, (e_last, ∞)), via `sketchRankAt`. */
export function sketchHistogram(sketch: QuantileSketchJson, edges: readonly number[]): number[] {
  const counts: number[] = [];
  let previous = 0;
  for (const edge of edges) {
    const rank = sketchRankAt(sketch, edge);
    counts.push(Math.max(0, rank - previous));
    previous = rank;
  }
  counts.push(Math.max(0, prefixOf(sketch).total - previous));
  return counts;
}
