/**
 * Numbers in stored JSON documents. JSON has no Infinity or NaN (JSON.stringify turns them into null), so a
 * stored document writes them as these strings and its schema reads them back: one encoding, one decoding.
 * compare keeps every score finite (finite.ts); the encoding is for values callers build or compute later.
 */
import { z } from 'zod';

/** The strings that stand for non-finite numbers in a stored document. */
export const NON_FINITE_TOKENS = { Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, NaN: Number.NaN } as const;

/** A number as stored: finite numbers as they are, non-finite ones as their token. */
export function encodeNumber(x: number): number | keyof typeof NON_FINITE_TOKENS {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

/** A stored number: a JSON number, or a non-finite token restored to its number. */
export const jsonNumberSchema = z
  .union([z.number(), z.enum(['Infinity', '-Infinity', 'NaN'])])
  .transform((v) => (typeof v === 'number' ? v : NON_FINITE_TOKENS[v]));

/** Make every field, array and tuple of an inferred type read-only (a homomorphic mapped type keeps arrays and tuples). */
export type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
