/**
 * The stored form of a report: stable JSON of its input, read back (validated) by `driftgate report`.
 * Non-finite numbers are written as strings (drift/json-number.ts), which the contract's schemas read back.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { encodeNumber } from '../drift/json-number.js';
import { parseWith } from '../schema-parse.js';
import { reportInputSchema, type ReportInput } from './types.js';
import { sliceReportField } from './slice-section.js';

/** Version of the stored report document: 3 since results carry their action, reason and incidents. */
export const REPORT_JSON_SCHEMA_VERSION = 3 as const;

type Doc = Record<string, unknown> & { result?: unknown };

function isDoc(raw: unknown): raw is Doc {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw);
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
  return stableJson({ schemaVersion: REPORT_JSON_SCHEMA_VERSION, ...input, ...sliceReportField(input.result) });
}

/**
 * Version 1 (before severity was stored on each feature) to version 2: its severity is not known, so the
 * decision boundary stands in (1 for a drifted feature, 0 for a judged one, -1 when not judged).
 */
function upgradeV1(doc: Doc): Doc {
  const result = isDoc(doc.result) ? doc.result : undefined;
  const features = Array.isArray(result?.features) ? (result.features as Record<string, unknown>[]) : undefined;
  if (features === undefined) return { ...doc, schemaVersion: 2 };
  const severity = (f: Record<string, unknown>): number => (f.status === 'insufficient-data' ? -1 : f.drift === true ? 1 : 0);
  return { ...doc, schemaVersion: 2, result: { ...result, features: features.map((f) => ('severity' in f ? f : { ...f, severity: severity(f) })) } };
}

/**
 * A drift result from before action classes, with its action: derived from the stored verdict (drift →
 * 'drift', anything else → 'none'), with no incidents, since the old rule counted data-quality findings as
 * drift. A result that has its action, or is not an object, is returned as it is (the schema judges it).
 * @example upgradeDriftResult(JSON.parse(await readFile('check.json', 'utf8')))
 */
export function upgradeDriftResult(raw: unknown): unknown {
  if (!isDoc(raw) || 'action' in raw) return raw;
  const drift = raw.verdict === 'drift';
  const verdict = typeof raw.verdict === 'string' ? raw.verdict : 'unknown';
  return {
    ...raw,
    action: drift ? 'drift' : 'none',
    actionReason: drift ? 'Drift: the stored verdict was drift (checked before action classes).' : `No action: the stored verdict was ${verdict} (checked before action classes).`,
    incidents: [],
  };
}

/** Version 2 (before action classes) to version 3: the result gets its action (upgradeDriftResult). */
function upgradeV2(doc: Doc): Doc {
  return { ...doc, schemaVersion: 3, result: upgradeDriftResult(doc.result) };
}

/** Bring an older stored report up to REPORT_JSON_SCHEMA_VERSION one version at a time; anything else is left for the schema to refuse. */
function upgradeReport(raw: unknown): unknown {
  if (!isDoc(raw)) return raw;
  let doc = raw;
  if (doc.schemaVersion === 1) doc = upgradeV1(doc);
  if (doc.schemaVersion === 2) doc = upgradeV2(doc);
  return doc;
}

/** Schema of a stored report document (the output of `renderReportJson`): the report input and its version; versions 1 and 2 are upgraded on read. */
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
