/**
 * The stored form of a report: stable JSON of its input, read back (validated) by `driftgate report`.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseWith } from '../schema-parse.js';
import type { ReportInput } from './types.js';

/** Version of the stored report document. */
export const REPORT_JSON_SCHEMA_VERSION = 1 as const;

/** JSON has no Infinity or NaN: they are stored as these strings and restored on parse. */
const NON_FINITE = { Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY, NaN: Number.NaN } as const;

function encodeNumber(x: number): number | string {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

function stable(value: unknown): unknown {
  if (typeof value === 'number') return encodeNumber(value);
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = stable(v);
    }
    return out;
  }
  return value;
}

/** Serialise any JSON-like value with sorted keys and non-finite numbers as strings (same input, same bytes). */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(stable(value), null, 2)}\n`;
}

/**
 * Render the report input as stable JSON, tagged with a schemaVersion, for storage beside the HTML.
 * @example
 * await store.put(`reports/${checkId}.json`, renderReportJson(input));
 */
export function renderReportJson(input: ReportInput): string {
  return stableJson({ schemaVersion: REPORT_JSON_SCHEMA_VERSION, ...input });
}

const num = z.union([z.number(), z.enum(['Infinity', '-Infinity', 'NaN'])]).transform((v) => (typeof v === 'number' ? v : NON_FINITE[v]));
const nullableNum = z.union([num, z.null()]);
const range = z.tuple([nullableNum, nullableNum]);
const iso = z.string().min(1);
const verdict = z.enum(['drift', 'no-drift', 'insufficient-data']);

const featureBase = {
  name: z.string(),
  drift: z.boolean(),
  status: z.enum(['ok', 'insufficient-data']),
  test: z.string(),
  score: num,
  threshold: num,
  thresholdSource: z.enum(['feature', 'model', 'default']),
  scoreKind: z.enum(['distance', 'p-value']),
  nullShare: z.object({ reference: num, current: num }),
  count: z.object({ reference: num, current: num }),
  explanation: z.string(),
};

const numericFeature = z.object({
  ...featureBase,
  kind: z.literal('numeric'),
  metrics: z.object({ ksStat: num, ksPValue: num, wassersteinNorm: num, psi: num, jsDistance: num }),
  outOfRangeShare: num,
  range: z.object({ reference: range, current: range }),
  quantiles: z.array(z.object({ p: num, reference: nullableNum, current: nullableNum })),
  bins: z.object({ edges: z.array(num), reference: z.array(num), current: z.array(num) }),
  mean: z.object({ reference: num, current: num }),
});

const categoricalFeature = z.object({
  ...featureBase,
  kind: z.literal('categorical'),
  metrics: z.object({ jsDistance: num, psi: num, chi2PValue: num, unseenShare: num }),
  categories: z.array(z.object({ value: z.string(), reference: num, current: num, unseen: z.boolean() })),
});

const driftResultSchema = z.object({
  schemaVersion: z.literal(1),
  drift: z.boolean(),
  verdict,
  rule: z.object({ kind: z.string(), description: z.string() }),
  features: z.array(z.discriminatedUnion('kind', [numericFeature, categoricalFeature])),
  schema: z.object({
    missing: z.array(z.string()),
    added: z.array(z.string()),
    retyped: z.array(z.object({ name: z.string(), reference: z.string(), current: z.string() })),
  }),
  time: z.array(z.object({ name: z.string(), reference: range, current: range })),
  rowCount: z.object({ reference: num, current: num }),
  summary: z.string(),
  score: num,
  driftIndex: num,
});

/** Schema of a stored report document (the output of `renderReportJson`). */
export const reportJsonSchema = z.object({
  schemaVersion: z.literal(REPORT_JSON_SCHEMA_VERSION),
  modelId: z.string().min(1),
  checkId: z.string().min(1),
  generatedAt: iso,
  result: driftResultSchema,
  history: z.array(z.object({ at: iso, checkId: z.string(), verdict, score: num, driftIndex: num })),
  cadence: z.array(z.object({ at: iso, checkIntervalSeconds: num, previousIntervalSeconds: num, reason: z.string() })),
  forecast: z.union([z.object({ crossingAt: z.union([iso, z.null()]), slopePerDay: num, points: num, method: z.string() }), z.null()]),
  proposal: z.object({ proposalId: z.string(), expiresAt: iso, retrainBy: iso.optional() }).optional(),
});

/**
 * Parse a stored report JSON back into a ReportInput; a bad document throws a ConfigError naming `source` and each bad field.
 * @example
 * const input = parseReportJson(await readFile(path, 'utf8'), path);
 */
export function parseReportJson(text: string, source: string): ReportInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(source, `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const { schemaVersion: _version, ...input } = parseWith(reportJsonSchema, raw, source);
  const typed: ReportInput = input;
  return typed;
}
