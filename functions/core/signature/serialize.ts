import { z } from 'zod';
import type { ColumnField } from '../columns.js';
import { ConfigError } from '../errors.js';
import { parseWith } from '../schema-parse.js';
import { byCodeUnit, putKey } from './builder.js';
import { HLL_P } from './hll.js';
import { MAX_BUCKETS } from './sketch.js';
import type { ColumnSlices } from './slices.js';
import { EXACT_VALUES_MAX } from './numeric.js';
import type {
  CategoricalColumnSignature,
  ColumnSignature,
  DatasetSignature,
  HistogramJson,
  NumericColumnSignature,
  QuantileSketchJson,
  TimeColumnSignature,
} from './types.js';

/** Current version of the stored signature document. */
export const SIGNATURE_SCHEMA_VERSION = 1;

const count = z.number().int().nonnegative();
const logicalType = z.enum(['boolean', 'int', 'float', 'decimal', 'string', 'date', 'timestamp', 'other']);

/**
 * An array of numbers checked in one loop: zod's per-element checks were most of a 500-column signature's
 * parse (0.84 s of it, measured in bench/check-scale.ts). The first bad element is named by its index.
 */
function numberArray(what: 'count' | 'nonnegative' | 'finite', max = Number.POSITIVE_INFINITY) {
  const expected = what === 'count' ? 'a non-negative integer' : what === 'nonnegative' ? 'a non-negative number' : 'a finite number';
  return z.custom<number[]>((v) => Array.isArray(v), { message: 'expected an array of numbers' }).superRefine((v, ctx) => {
    if (v.length > max) ctx.addIssue({ code: 'custom', message: `expected at most ${max} entries, got ${v.length}` });
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const ok = typeof x === 'number' && (what === 'count' ? Number.isSafeInteger(x) && x >= 0 : what === 'nonnegative' ? Number.isFinite(x) && x >= 0 : Number.isFinite(x));
      if (!ok) {
        ctx.addIssue({ code: 'custom', path: [i], message: `expected ${expected}, got ${JSON.stringify(x)}` });
        return;
      }
    }
  });
}

const storeSchema = z.strictObject({
  offset: z.number().int(),
  counts: numberArray('count', MAX_BUCKETS),
});

const sketchSchema = z.strictObject({
  type: z.literal('ddsketch'),
  relativeAccuracy: z.number().gt(0).lt(1),
  zeroCount: count,
  positive: storeSchema,
  negative: storeSchema,
});

const histogramSchema = z
  .strictObject({
    edges: numberArray('finite'),
    counts: numberArray('nonnegative'),
  })
  .superRefine((h, ctx) => {
    if (h.counts.length !== h.edges.length + 1) {
      ctx.addIssue({ code: 'custom', path: ['counts'], message: `expected ${h.edges.length + 1} counts (edges + 1), got ${h.counts.length}` });
    }
    for (let i = 1; i < h.edges.length; i++) {
      if (!(h.edges[i] > h.edges[i - 1])) {
        ctx.addIssue({ code: 'custom', path: ['edges', i], message: 'edges must be strictly increasing' });
        break;
      }
    }
  });

/** Exact value counts (numeric.ts EXACT_VALUES_MAX): values strictly ascending, one positive count each. */
const exactCountsSchema = z
  .strictObject({ values: z.array(z.number()).max(EXACT_VALUES_MAX), counts: z.array(z.number().int().positive()) })
  .superRefine((e, ctx) => {
    if (e.counts.length !== e.values.length) ctx.addIssue({ code: 'custom', path: ['counts'], message: `expected ${e.values.length} counts (one per value)` });
    for (let i = 1; i < e.values.length; i++) {
      if (!(e.values[i] > e.values[i - 1])) {
        ctx.addIssue({ code: 'custom', path: ['values', i], message: 'values must be strictly increasing' });
        break;
      }
    }
  });

const numericSchema = z
  .strictObject({
    kind: z.literal('numeric'),
    type: logicalType,
    count,
    nulls: count,
    nan: count,
    posInf: count,
    negInf: count,
    finite: count,
    min: z.number().nullable(),
    max: z.number().nullable(),
    mean: z.number(),
    m2: z.number().nonnegative(),
    sketch: sketchSchema,
    histogram: histogramSchema.nullable(),
    exact: exactCountsSchema.optional(),
    centred: z.strictObject({ offset: z.number(), scale: z.number().positive(), sketch: sketchSchema }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.finite !== c.count - c.nulls - c.nan - c.posInf - c.negInf) {
      ctx.addIssue({ code: 'custom', path: ['finite'], message: 'expected count - nulls - nan - posInf - negInf' });
    }
    if ((c.finite === 0) !== (c.min === null) || (c.finite === 0) !== (c.max === null)) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min/max must be null exactly when finite is 0' });
    }
  });

const categoricalSchema = z
  .strictObject({
    kind: z.literal('categorical'),
    type: logicalType,
    count,
    nulls: count,
    top: z.array(z.tuple([z.string(), count])),
    other: count,
    k: z.number().int().positive(),
    distinct: z.strictObject({
      type: z.literal('hll'),
      p: z.literal(HLL_P),
      registers: z
        .base64()
        .refine((r) => r.length === Math.ceil((1 << HLL_P) / 3) * 4, { message: `expected ${1 << HLL_P} base64-encoded registers` }),
    }),
  })
  .superRefine((c, ctx) => {
    if (c.top.length > c.k) ctx.addIssue({ code: 'custom', path: ['top'], message: `at most k = ${c.k} entries` });
    let seen = c.nulls + c.other;
    for (const [, n] of c.top) seen += n;
    if (seen !== c.count) ctx.addIssue({ code: 'custom', path: ['count'], message: 'expected nulls + Σ top + other' });
  });

const timeSchema = z.strictObject({
  kind: z.literal('time'),
  type: logicalType,
  count,
  nulls: count,
  min: z.number().nullable(),
  max: z.number().nullable(),
});

const fieldSchema = z.strictObject({
  name: z.string(),
  type: logicalType,
  sourceType: z.string(),
  nullable: z.boolean(),
});

const plainSignatureSchema = z.strictObject({
  schemaVersion: z.literal(SIGNATURE_SCHEMA_VERSION),
  rowCount: count,
  schema: z.array(fieldSchema),
  columns: z.record(z.string(), z.discriminatedUnion('kind', [numericSchema, categoricalSchema, timeSchema])),
  sources: z.array(z.string()),
});

/** Per-slice signatures (signature/slices.ts): optional, absent when the model slices nothing. */
const slicesSchema = z.record(
  z.string(),
  z.strictObject({ k: z.number().int().positive(), values: z.record(z.string(), plainSignatureSchema), other: plainSignatureSchema.nullable() }),
);

/** The stored signature document (schemaVersion 1). */
export const datasetSignatureSchema = plainSignatureSchema.extend({ slices: slicesSchema.optional() });

/**
 * Validate a stored signature (an object or its JSON text, plain or packed, see `packSignature`); throws
 * ConfigError naming each bad field path.
 */
export function parseSignature(input: unknown, source: string): DatasetSignature {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new ConfigError(source, `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, PACKING_KEY)) value = unpackDocument(value as Record<string, unknown>, source);
  const parsed: DatasetSignature = parseWith(datasetSignatureSchema, value, source);
  return parsed;
}

// ---------------------------------------------------------------------------------------------- packed form

/**
 * The packed form of a signature document, version 1 (`"packing": 1` at the top level): the same JSON
 * document as `serializeSignature`, except that every array of at least PACK_MIN_LENGTH numbers, wherever it
 * is, is replaced by a one-key object:
 *
 * - `{"$i": "<base64>"}` when every element is a safe integer: zigzag-encoded LEB128 varints (a sketch's
 *   counts, mostly zeros and small numbers, take 1 byte each instead of 2-4 characters);
 * - `{"$f": "<base64>"}` otherwise: IEEE-754 float64, little-endian, 8 bytes each (exact, unlike decimal text).
 *
 * It is generic over the document (no field is named), so fields added to signatures later are packed or
 * left as they are without a format change. Plain JSON signatures (no `packing` key) still read as before.
 */
export const SIGNATURE_PACKING = 1;
const PACKING_KEY = 'packing';
/** Shorter arrays stay plain JSON (a marker object would not pay for itself). */
const PACK_MIN_LENGTH = 16;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string, source: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new ConfigError(source, 'a packed array is not valid base64', { cause });
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function packInts(values: readonly number[]): string {
  const bytes: number[] = [];
  for (const v of values) {
    // Zigzag by arithmetic, not bit operations: counts go past 2^31.
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    while (z >= 128) {
      bytes.push((z % 128) + 128);
      z = Math.floor(z / 128);
    }
    bytes.push(z);
  }
  return toBase64(Uint8Array.from(bytes));
}

function unpackInts(text: string, source: string): number[] {
  const bytes = fromBase64(text, source);
  const out: number[] = [];
  let z = 0;
  let scale = 1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    z += (b & 127) * scale;
    if (b < 128) {
      out.push(z % 2 === 0 ? z / 2 : -(z + 1) / 2);
      z = 0;
      scale = 1;
    } else {
      scale *= 128;
      if (scale > 2 ** 56) throw new ConfigError(source, 'a packed integer array holds a varint longer than 8 bytes');
    }
  }
  if (scale !== 1) throw new ConfigError(source, 'a packed integer array ends inside a varint');
  return out;
}

function packFloats(values: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(values.length * 8));
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return toBase64(new Uint8Array(view.buffer));
}

function unpackFloats(text: string, source: string): number[] {
  const bytes = fromBase64(text, source);
  if (bytes.length % 8 !== 0) throw new ConfigError(source, `a packed float array has ${bytes.length} bytes, not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

function packValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length >= PACK_MIN_LENGTH && value.every((x) => typeof x === 'number')) {
      return value.every((x) => Number.isSafeInteger(x)) ? { $i: packInts(value as number[]) } : { $f: packFloats(value as number[]) };
    }
    return value.map(packValue);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) putKey(out, k, packValue(v));
    return out;
  }
  return value;
}

function unpackValue(value: unknown, source: string): unknown {
  if (Array.isArray(value)) return value.map((v) => unpackValue(v, source));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const record = value as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === '$i' && typeof record.$i === 'string') return unpackInts(record.$i, source);
    if (keys.length === 1 && keys[0] === '$f' && typeof record.$f === 'string') return unpackFloats(record.$f, source);
    const out: Record<string, unknown> = {};
    for (const k of keys) putKey(out, k, unpackValue(record[k], source));
    return out;
  }
  return value;
}

function unpackDocument(doc: Record<string, unknown>, source: string): unknown {
  if (doc[PACKING_KEY] !== SIGNATURE_PACKING) throw new ConfigError(source, `unknown signature packing ${JSON.stringify(doc[PACKING_KEY])}: expected ${SIGNATURE_PACKING}`);
  const { [PACKING_KEY]: _packing, ...rest } = doc;
  return unpackValue(rest, source);
}

/** The canonical signature in the packed form (see SIGNATURE_PACKING); `parseSignature` reads it. */
export function packSignature(sig: DatasetSignature): string {
  return JSON.stringify({ [PACKING_KEY]: SIGNATURE_PACKING, ...(packValue(JSON.parse(serializeSignature(sig))) as object) });
}

/** -0 → 0, so equal signatures give equal bytes. */
function num(x: number): number {
  return x === 0 ? 0 : x;
}

function nums(xs: readonly number[]): number[] {
  return xs.map(num);
}

function nullableNum(x: number | null): number | null {
  return x === null ? null : num(x);
}

function canonicalSketch(s: QuantileSketchJson): QuantileSketchJson {
  return {
    type: s.type,
    relativeAccuracy: s.relativeAccuracy,
    zeroCount: s.zeroCount,
    positive: { offset: s.positive.offset, counts: nums(s.positive.counts) },
    negative: { offset: s.negative.offset, counts: nums(s.negative.counts) },
  };
}

function canonicalHistogram(h: HistogramJson | null): HistogramJson | null {
  return h === null ? null : { edges: nums(h.edges), counts: nums(h.counts) };
}

function canonicalColumn(c: ColumnSignature): ColumnSignature {
  switch (c.kind) {
    case 'numeric': {
      const out: NumericColumnSignature = {
        kind: c.kind,
        type: c.type,
        count: c.count,
        nulls: c.nulls,
        nan: c.nan,
        posInf: c.posInf,
        negInf: c.negInf,
        finite: c.finite,
        min: nullableNum(c.min),
        max: nullableNum(c.max),
        mean: num(c.mean),
        m2: num(c.m2),
        sketch: canonicalSketch(c.sketch),
        histogram: canonicalHistogram(c.histogram),
        ...(c.exact !== undefined ? { exact: { values: nums(c.exact.values), counts: [...c.exact.counts] } } : {}),
        ...(c.centred !== undefined ? { centred: { offset: num(c.centred.offset), scale: c.centred.scale, sketch: canonicalSketch(c.centred.sketch) } } : {}),
      };
      return out;
    }
    case 'categorical': {
      const out: CategoricalColumnSignature = {
        kind: c.kind,
        type: c.type,
        count: c.count,
        nulls: c.nulls,
        top: c.top.map(([v, n]) => [v, n] as const),
        other: c.other,
        k: c.k,
        distinct: { type: c.distinct.type, p: c.distinct.p, registers: c.distinct.registers },
      };
      return out;
    }
    case 'time': {
      const out: TimeColumnSignature = {
        kind: c.kind,
        type: c.type,
        count: c.count,
        nulls: c.nulls,
        min: nullableNum(c.min),
        max: nullableNum(c.max),
      };
      return out;
    }
  }
}

function canonicalField(f: ColumnField): ColumnField {
  return { name: f.name, type: f.type, sourceType: f.sourceType, nullable: f.nullable };
}

/** Canonical JSON: fixed key order, columns and schema sorted by name, -0 normalised; same signature → same bytes. */
export function serializeSignature(sig: DatasetSignature): string {
  return JSON.stringify(canonicalSignature(sig));
}

function canonicalSignature(sig: DatasetSignature): DatasetSignature {
  const columns: Record<string, ColumnSignature> = {};
  for (const name of Object.keys(sig.columns).sort(byCodeUnit)) putKey(columns, name, canonicalColumn(sig.columns[name]));
  const doc: DatasetSignature = {
    schemaVersion: sig.schemaVersion,
    rowCount: sig.rowCount,
    schema: [...sig.schema].sort((a, b) => byCodeUnit(a.name, b.name)).map(canonicalField),
    columns,
    sources: [...sig.sources].sort(byCodeUnit),
  };
  if (sig.slices === undefined) return doc;
  const slices: Record<string, ColumnSlices> = {};
  for (const column of Object.keys(sig.slices).sort(byCodeUnit)) {
    const s = sig.slices[column];
    const values: Record<string, DatasetSignature> = {};
    for (const value of Object.keys(s.values).sort(byCodeUnit)) putKey(values, value, canonicalSignature(s.values[value]));
    putKey(slices, column, { k: s.k, values, other: s.other === null ? null : canonicalSignature(s.other) });
  }
  return { ...doc, slices };
}
