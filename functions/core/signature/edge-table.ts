import { MIN_INDEXABLE, bucketUpper, type SketchMapping } from './sketch.js';

/**
 * Fast path for counting values on fixed histogram edges: the hot loop already knows each value's sketch
 * bucket key, so a table maps key → bin for every bucket that lies entirely inside one bin. Buckets an edge
 * cuts get −1 and fall back to an exact binary search, as do zero-bucket values. Bins are (−∞, e0], (e0, e1], …, (e_last, +∞): a value's bin
 * is the number of edges strictly below it. Since bin(x) is monotone, a bucket whose two (widened) ends share
 * a bin is wholly in it, so the fast path is exact.
 */

/** Largest key table kept per sign; edges spanning more buckets than this use the binary search outside it. */
const MAX_TABLE = 1 << 16;
/**
 * log() rounding can put a value within ~1e-13 (relative) of a bucket boundary into the neighbouring bucket.
 * Such values are binned by their bucket, like the reference's sketch-derived counts; every other value gets
 * exactly its bin.
 */
const MARGIN = 1e-12;

/** Bins for one sign's bucket keys. */
export interface SignTable {
  readonly offset: number;
  readonly bins: Int32Array;
  /** Bin of every key below the table (−1: binary search). */
  readonly below: number;
  /** Bin of every key above the table (−1: binary search). */
  readonly above: number;
}

export interface EdgeTable {
  readonly edges: Float64Array;
  readonly positive: SignTable;
  readonly negative: SignTable;
  /** Bin of the zero bucket (|x| <= MIN_INDEXABLE), or −1 when an edge cuts it. */
  readonly zero: number;
  /**
   * True when no bucket is cut by an edge (always so for edges a reference chose: they are bucket
   * boundaries). Then a chunk's histogram follows from its bucket-count deltas, with no per-value work.
   */
  readonly bucketAligned: boolean;
}

/** Bin of bucket `key` of one sign (−1: cut by an edge). */
export function binOfKey(table: SignTable, key: number): number {
  const t = key - table.offset;
  return t < 0 ? table.below : t >= table.bins.length ? table.above : table.bins[t];
}

/** Number of edges strictly below x: the bin of x. */
export function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function keyOf(mapping: SketchMapping, a: number): number {
  return Math.ceil(Math.log(a) * mapping.invLogGamma);
}

/**
 * Bins for one sign. `toValue(a)` maps a magnitude to the signed value (identity or negation), so the same
 * code serves both signs; a bucket k holds magnitudes (γ^(k−1), γ^k].
 */
function signTable(mapping: SketchMapping, edges: Float64Array, magnitudes: number[], sign: 1 | -1): SignTable {
  const constantBin = (aLow: number, aHigh: number): number => {
    const b1 = binOf(edges, sign * aLow);
    const b2 = binOf(edges, sign * aHigh);
    return b1 === b2 ? b1 : -1;
  };
  const lowEnd = MIN_INDEXABLE;
  if (magnitudes.length === 0) {
    // No edge of this sign: every bucket has the same bin unless an edge sits at |x| <= MIN_INDEXABLE.
    const bin = constantBin(lowEnd, Number.MAX_VALUE);
    return { offset: 0, bins: new Int32Array(0), below: bin, above: bin };
  }
  const kMin = keyOf(mapping, Math.min(...magnitudes)) - 2;
  const kMax = keyOf(mapping, Math.max(...magnitudes)) + 2;
  if (kMax - kMin + 1 > MAX_TABLE) return { offset: 0, bins: new Int32Array(0), below: -1, above: -1 };
  const bins = new Int32Array(kMax - kMin + 1);
  for (let k = kMin; k <= kMax; k++) {
    // Inner margins: an edge lying on this bucket's boundary (the reference's edges all do) does not cut it.
    const low = bucketUpper(mapping.gamma, k - 1) * (1 + MARGIN);
    const high = bucketUpper(mapping.gamma, k) * (1 - MARGIN);
    bins[k - kMin] = constantBin(low, high);
  }
  return {
    offset: kMin,
    bins,
    // Outer margins (1e-9) here: kMin/kMax keep two buckets of slack from any edge.
    below: constantBin(lowEnd, bucketUpper(mapping.gamma, kMin - 1) * (1 + 1e-9)),
    above: constantBin(bucketUpper(mapping.gamma, kMax) * (1 - 1e-9), Number.MAX_VALUE),
  };
}

/** The key → bin tables for `edges` under a sketch mapping. */
export function edgeTable(mapping: SketchMapping, edges: readonly number[]): EdgeTable {
  const e = Float64Array.from(edges);
  const positive = edges.filter((x) => x > MIN_INDEXABLE);
  const negative = edges.filter((x) => x < -MIN_INDEXABLE).map((x) => -x);
  const pos = signTable(mapping, e, positive, 1);
  const neg = signTable(mapping, e, negative, -1);
  const zeroLow = binOf(e, -MIN_INDEXABLE);
  const zero = zeroLow === binOf(e, MIN_INDEXABLE) ? zeroLow : -1;
  const uncut = (t: SignTable) => t.below >= 0 && t.above >= 0 && t.bins.every((b) => b >= 0);
  return { edges: e, positive: pos, negative: neg, zero, bucketAligned: zero >= 0 && uncut(pos) && uncut(neg) };
}
