import { z } from 'zod';
import type { ColumnField } from '../columns.js';
import { ConfigError } from '../errors.js';
import { parseWith } from '../schema-parse.js';
import { byCodeUnit, putKey } from './builder.js';
import { HLL_P } from './hll.js';
import { MAX_BUCKETS } from './sketch.js';
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

const storeSchema = z.strictObject({
  offset: z.number().int(),
  counts: z.array(count).max(MAX_BUCKETS),
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
    edges: z.array(z.number()),
    counts: z.array(z.number().nonnegative()),
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

/** The stored signature document (schemaVersion 1). */
export const datasetSignatureSchema = z.strictObject({
  schemaVersion: z.literal(SIGNATURE_SCHEMA_VERSION),
  rowCount: count,
  schema: z.array(fieldSchema),
  columns: z.record(z.string(), z.discriminatedUnion('kind', [numericSchema, categoricalSchema, timeSchema])),
  sources: z.array(z.string()),
});

/** Validate a stored signature (an object or its JSON text); throws ConfigError naming each bad field path. */
export function parseSignature(input: unknown, source: string): DatasetSignature {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new ConfigError(source, `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }
  const parsed: DatasetSignature = parseWith(datasetSignatureSchema, value, source);
  return parsed;
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
  const columns: Record<string, ColumnSignature> = {};
  for (const name of Object.keys(sig.columns).sort(byCodeUnit)) putKey(columns, name, canonicalColumn(sig.columns[name]));
  const doc: DatasetSignature = {
    schemaVersion: sig.schemaVersion,
    rowCount: sig.rowCount,
    schema: [...sig.schema].sort((a, b) => byCodeUnit(a.name, b.name)).map(canonicalField),
    columns,
    sources: [...sig.sources].sort(byCodeUnit),
  };
  return JSON.stringify(doc);
}
