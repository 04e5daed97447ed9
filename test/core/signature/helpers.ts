/** Test helpers: build ColumnBatch inputs directly (no files needed for the pure signature core). */
import fc from 'fast-check';
import type { ColumnBatch, ColumnChunk, ColumnField, LogicalType, NumericChunk } from '../../../functions/core/columns.js';
import { mulberry32 } from '../../../functions/core/random.js';
import { categoricalChunkOf } from '../../../functions/core/signature/categorical.js';
import { serializeSignature } from '../../../functions/core/signature/serialize.js';
import type { DatasetSignature } from '../../../functions/core/signature/types.js';

/** A numeric chunk from plain numbers; null = missing. */
export function numericChunk(values: readonly (number | null)[]): NumericChunk {
  const data = new Float64Array(values.length);
  const nulls = new Uint8Array(values.length);
  let any = false;
  values.forEach((v, i) => {
    if (v === null) {
      nulls[i] = 1;
      any = true;
    } else data[i] = v;
  });
  return { kind: 'numeric', length: values.length, values: data, nulls: any ? nulls : undefined };
}

/** A dictionary-encoded chunk from plain strings; null = missing. Dictionary in first-seen order. */
export const categoricalChunk = categoricalChunkOf;

/** A batch from named chunks (all the same length). */
export function batch(columns: Record<string, ColumnChunk>): ColumnBatch {
  const chunks = Object.values(columns);
  return { rowCount: chunks.length === 0 ? 0 : chunks[0].length, columns: new Map(Object.entries(columns)) };
}

/** A schema field. */
export function field(name: string, type: LogicalType, sourceType: string = type): ColumnField {
  return { name, type, sourceType, nullable: true };
}


/** Deterministic PRNG (mulberry32) so distribution tests do not depend on a seed file. */
export const prng = mulberry32;

/** Standard normal draws from a PRNG (Box–Muller). */
export function normals(rnd: () => number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rnd() || 1e-12;
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd()));
  }
  return out;
}

/** Value of 0-based rank floor(q·(n−1)) in sorted data (numpy method="lower"). */
export function lowerQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

/** |a − b| <= rel · max(|a|, |b|, floor). */
export function close(a: number, b: number, rel: number, floor = 0): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), floor);
}

/**
 * The signature without its moments (compared within 1e-9 instead) and without its centred sketch: a
 * partial that builds a reference picks its centring frame from its own first chunk, and merging partials
 * whose frames differ drops that sketch (never approximates it), so a merged reference may lack what the
 * single pass kept (the check then uses the marked coarse path). `centredAgrees` checks it is never wrong.
 */
export function withoutMoments(sig: DatasetSignature): string {
  const doc = JSON.parse(serializeSignature(sig));
  for (const column of Object.values(doc.columns) as Record<string, unknown>[]) {
    delete column.mean;
    delete column.m2;
    delete column.centred;
  }
  return JSON.stringify(doc);
}

/** Every centred sketch the merge kept is the single pass's own. */
export function centredAgrees(merged: DatasetSignature, whole: DatasetSignature): boolean {
  return Object.entries(merged.columns).every(([name, column]) => {
    const kept = column.kind === 'numeric' ? column.centred : undefined;
    const own = whole.columns[name];
    return kept === undefined || (own?.kind === 'numeric' && JSON.stringify(own.centred) === JSON.stringify(kept));
  });
}

/** The merge property tests' cell values: mostly doubles, some small integers, and the special values. */
export const numberValue = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -1e9, max: 1e9, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -50, max: 50 }) },
  { weight: 1, arbitrary: fc.constantFrom<number | null>(NaN, Infinity, -Infinity, null, 0, -0, 1e-12) },
);
/** At most 40 categories (and two odd ones), below K = 256, so top-K merges are exact. */
export const category = fc.option(fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `cat-${i}`), 'é', ''), { freq: 8 });
/** Timestamps in ms, or null. */
export const time = fc.option(fc.integer({ min: 1.6e12, max: 1.8e12 }), { freq: 8 });
