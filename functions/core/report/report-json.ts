/**
 * The stored form of a report: stable JSON of its input, read back (validated) by `driftgate report`.
 * Non-finite numbers are written as strings (drift/json-number.ts), which the contract's schemas read back.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { encodeNumber } from '../drift/json-number.js';
import { parseWith } from '../schema-parse.js';
import { reportInputSchema, type ReportInput } from './types.js';

/** Version of the stored report document. */
export const REPORT_JSON_SCHEMA_VERSION = 2 as const;

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

/**
 * A version 1 report (before severity was stored on each feature) as version 2: its severity is not known,
 * so the decision boundary stands in (1 for a drifted feature, 0 for a judged one, -1 when not judged).
 */
function upgradeReport(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || (raw as { schemaVersion?: unknown }).schemaVersion !== 1) return raw;
  const v1 = raw as { result?: { features?: unknown } };
  const features = Array.isArray(v1.result?.features) ? (v1.result.features as Record<string, unknown>[]) : undefined;
  if (features === undefined) return raw;
  const severity = (f: Record<string, unknown>): number => (f.status === 'insufficient-data' ? -1 : f.drift === true ? 1 : 0);
  return { ...v1, schemaVersion: REPORT_JSON_SCHEMA_VERSION, result: { ...v1.result, features: features.map((f) => ('severity' in f ? f : { ...f, severity: severity(f) })) } };
}

/** Schema of a stored report document (the output of `renderReportJson`): the report input and its version; version 1 is upgraded on read. */
export const reportJsonSchema = z.preprocess(upgradeReport, reportInputSchema.extend({ schemaVersion: z.literal(REPORT_JSON_SCHEMA_VERSION) }));

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
  return input;
}
