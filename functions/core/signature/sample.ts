/**
 * A review sample (pure): a small, bounded, mergeable, deterministic sample of rows, for people to look at.
 *
 * Bottom-k sampling: every row gets a priority from a hash of (source, row number): the source's FNV-1a,
 * mixed with the row number by murmur3's fmix32 (no string per row: ingest hashes every row). The sample
 * keeps the k rows of lowest priority. The k lowest of a union are the k lowest of the parts' k lowest, so
 * `mergeSamples(sample(A), sample(B))` is exactly `sample(A ∪ B)`, whatever the order; the same input
 * gives the same rows (no clock, no random source). Only the columns it is given are ever read: the
 * caller passes the model's feature columns minus `review.exclude` (identifiers, personal data), so an
 * excluded column never enters a sample. Values are capped (VALUE_MAX characters) and stay raw data:
 * every page and notice escapes them for its medium.
 */
import type { ColumnBatch } from '../columns.js';
import { ConfigError } from '../errors.js';

/** Most rows a sample may keep (a review shows at most this many). @default 100 */
export const MAX_SAMPLE_ROWS = 100;
/** Longest text value kept in a sample; longer ones are cut (a review row is for a glance, not a copy). */
export const VALUE_MAX = 256;

/** One sampled row: its priority (lower wins), where it came from, and its values by column. */
export interface SampledRow {
  /** 32-bit priority from the hash of source and row; ties are broken by `source`, then `row`. */
  readonly priority: number;
  readonly source: string;
  readonly row: number;
  readonly values: Readonly<Record<string, string | number | null>>;
}

/** A review sample as stored in a signature. */
export interface RowSample {
  readonly k: number;
  /** The columns it holds, sorted (never an excluded one). */
  readonly columns: readonly string[];
  /** At most k rows, lowest priority first. */
  readonly rows: readonly SampledRow[];
}

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a, 32 bit, over UTF-16 code units, continuing from `h` (no final mix). */
function fnvStep(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A final avalanche (murmur3's fmix32), so consecutive row numbers spread over the whole range. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hash of a source's name (FNV-1a of `${source}\n`): computed once per source, not per row. */
function sourceHash(source: string): number {
  return fnvStep(FNV_OFFSET, `${source}\n`);
}

/** A row's priority from its source's hash: two integer mixes a row, no string (the ingest hot loop). */
function mixRow(sourceH: number, row: number): number {
  const lo = row >>> 0;
  const hi = Math.floor(row / 4_294_967_296) >>> 0;
  return fmix32((sourceH ^ fmix32((lo ^ 0x9e3779b9) >>> 0) ^ Math.imul(hi, 0x85ebca6b)) >>> 0);
}

/** The priority of one row of one source (the same number in every process and on every run). */
export function rowPriority(source: string, row: number): number {
  return mixRow(sourceHash(source), row);
}

function before(a: SampledRow, b: SampledRow): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.row - b.row;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_SAMPLE_ROWS) throw new ConfigError('review sample', `rows must be an integer from 1 to ${MAX_SAMPLE_ROWS}, got ${k}`);
}

function cut(value: string): string {
  return value.length <= VALUE_MAX ? value : `${value.slice(0, VALUE_MAX - 1)}…`;
}

/**
 * Keeps the k lowest-priority rows of one source, reading only `columns`.
 * @example
 * const acc = new SampleAccumulator(['amount', 'country'], 20, 'batches/fraud/2026-01-01.parquet');
 * for (const batch of batches) acc.add(batch);
 * const sample = acc.finish();
 */
export class SampleAccumulator {
  private readonly columns: readonly string[];
  private kept: SampledRow[] = [];
  private next = 0;

  constructor(
    columns: readonly string[],
    private readonly k: number,
    private readonly source: string,
  ) {
    checkK(k);
    this.columns = [...new Set(columns)].sort();
  }

  /** Offer every row of one batch; only rows that may make the k lowest are materialised. */
  add(batch: ColumnBatch): void {
    // The source's part of every row's hash, once (the hot loop hashes only the row number's digits).
    const prefix = sourceHash(this.source);
    let threshold = this.kept.length < this.k ? Number.POSITIVE_INFINITY : this.kept[this.kept.length - 1].priority;
    for (let i = 0; i < batch.rowCount; i++) {
      const row = this.next + i;
      const priority = mixRow(prefix, row);
      if (priority > threshold) continue;
      const values: Record<string, string | number | null> = {};
      for (const name of this.columns) {
        const chunk = batch.columns.get(name);
        if (chunk === undefined) {
          values[name] = null;
        } else if (chunk.kind === 'numeric') {
          values[name] = chunk.nulls?.[i] === 1 || Number.isNaN(chunk.values[i]) ? null : chunk.values[i];
        } else {
          const index = chunk.indices[i];
          values[name] = index < 0 ? null : cut(chunk.dictionary[index]);
        }
      }
      this.kept = [...this.kept, { priority, source: this.source, row, values }].sort(before).slice(0, this.k);
      if (this.kept.length >= this.k) threshold = this.kept[this.kept.length - 1].priority;
    }
    this.next += batch.rowCount;
  }

  /** The sample of everything added. */
  finish(): RowSample {
    return { k: this.k, columns: this.columns, rows: this.kept };
  }
}

/**
 * The sample of the union of two samples' sources: the k lowest of both (k the smaller of the two), on
 * the columns both hold.
 */
export function mergeSamples(a: RowSample, b: RowSample): RowSample {
  const k = Math.min(a.k, b.k);
  const common = a.columns.filter((c) => b.columns.includes(c));
  const project = (r: SampledRow): SampledRow => ({ ...r, values: Object.fromEntries(common.map((c) => [c, r.values[c] ?? null])) });
  const seen = new Set<string>();
  const rows = [...a.rows, ...b.rows]
    .sort(before)
    .filter((r) => {
      const id = `${r.source}\n${r.row}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .slice(0, k)
    .map(project);
  return { k, columns: common, rows };
}

/** The columns a review sample may read: the given columns minus the excluded ones. */
export function sampleColumns(columns: readonly string[], exclude: readonly string[]): string[] {
  const out = new Set(exclude);
  return columns.filter((c) => !out.has(c));
}

/**
 * A review sample as stored (`signatures/<modelId>.samples/<day>.json`): the columns once, each row as
 * `[priority, source index, row, ...values in column order]`, each source name once. About a third of the
 * bytes of the object form; `decodeSample(encodeSample(s))` is `s`.
 */
export interface StoredSample {
  readonly schemaVersion: 1;
  readonly k: number;
  readonly columns: readonly string[];
  readonly sources: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

/** The stored form of a sample (see StoredSample). */
export function encodeSample(sample: RowSample): StoredSample {
  const sources = [...new Set(sample.rows.map((r) => r.source))].sort();
  const index = new Map(sources.map((s, i) => [s, i] as const));
  return {
    schemaVersion: 1,
    k: sample.k,
    columns: [...sample.columns],
    sources,
    rows: sample.rows.map((r) => [r.priority, index.get(r.source) ?? 0, r.row, ...sample.columns.map((c) => r.values[c] ?? null)]),
  };
}

/** A stored sample back as a RowSample; a document of another shape throws a ConfigError naming `source` and what was expected. */
export function decodeSample(raw: unknown, source: string): RowSample {
  const bad = (what: string): never => {
    throw new ConfigError(source, `not a review sample: ${what}`);
  };
  if (raw === null || typeof raw !== 'object') return bad('expected an object');
  const d = raw as Partial<StoredSample>;
  if (d.schemaVersion !== 1) bad('expected schemaVersion 1');
  if (!Number.isInteger(d.k) || (d.k as number) < 1 || (d.k as number) > MAX_SAMPLE_ROWS) bad(`expected k from 1 to ${MAX_SAMPLE_ROWS}`);
  if (!Array.isArray(d.columns) || !d.columns.every((c) => typeof c === 'string')) bad('expected columns, a list of names');
  if (!Array.isArray(d.sources) || !d.sources.every((c) => typeof c === 'string')) bad('expected sources, a list of names');
  if (!Array.isArray(d.rows) || d.rows.length > (d.k as number)) bad('expected at most k rows');
  const columns = d.columns as string[];
  const sources = d.sources as string[];
  const rows = (d.rows as unknown[]).map((r, i): SampledRow => {
    if (!Array.isArray(r) || r.length !== columns.length + 3) return bad(`row ${i}: expected [priority, source, row, ...${columns.length} values]`);
    const [priority, s, row, ...values] = r as unknown[];
    if (typeof priority !== 'number' || typeof s !== 'number' || sources[s] === undefined || typeof row !== 'number') return bad(`row ${i}: bad priority, source or row number`);
    if (!values.every((v) => v === null || typeof v === 'number' || typeof v === 'string')) return bad(`row ${i}: values must be numbers, strings or null`);
    return { priority, source: sources[s], row, values: Object.fromEntries(columns.map((c, j) => [c, values[j] as string | number | null])) };
  });
  return { k: d.k as number, columns, rows };
}
