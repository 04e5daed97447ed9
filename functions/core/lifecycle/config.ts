import { z } from 'zod';
import type { ColumnRole } from '../columns.js';
import { compareOptionsSchema } from '../drift/options.js';
import { DEFAULT_SUBJECT_PREFIX } from '../report/notice-subject.js';
import { parseWith } from '../schema-parse.js';
import type { SignatureOptions } from '../signature/builder.js';
import type { DatasetSignature } from '../signature/types.js';

/**
 * A model's configuration (stored at `config/<modelId>.json`).
 *
 * Durations are either a whole number of seconds or a string `<n><unit>` with unit `s`, `m`, `h`, `d` or `w`
 * ("90m", "6h", "7d"); after parsing every duration is a number of seconds.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** Parse "6h" / "7d" / 3600 into seconds; undefined when the text is not a duration. */
export function durationSeconds(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+)\s*([smhdw])\s*$/.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds > 0 ? seconds : undefined;
}

/** A duration: positive whole seconds or "<n>s|m|h|d|w"; parsed to seconds. */
export const durationSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = durationSeconds(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "6h", "7d" or a positive whole number of seconds, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return seconds;
});

export const cadenceConfigSchema = z
  .strictObject({
    /** Shortest time between two checks (drift present or imminent). @default "1h" */
    minCheckInterval: durationSchema.default(3600),
    /** Longest time between two checks (stable data). @default "7d" */
    maxCheckInterval: durationSchema.default(7 * 86_400),
    /** Earliest retrain date after the last retrain/adoption. @default "1d" */
    minRetrainInterval: durationSchema.default(86_400),
    /** A retrain is proposed at the latest this long after the last retrain/adoption, drift or not. @default "90d" */
    maxRetrainInterval: durationSchema.default(90 * 86_400),
  })
  .superRefine((c, ctx) => {
    if (c.minCheckInterval > c.maxCheckInterval) {
      ctx.addIssue({ code: 'custom', path: ['minCheckInterval'], message: `minCheckInterval (${c.minCheckInterval}s) must not exceed maxCheckInterval (${c.maxCheckInterval}s)` });
    }
    if (c.minRetrainInterval > c.maxRetrainInterval) {
      ctx.addIssue({ code: 'custom', path: ['minRetrainInterval'], message: `minRetrainInterval (${c.minRetrainInterval}s) must not exceed maxRetrainInterval (${c.maxRetrainInterval}s)` });
    }
  });

export const approvalConfigSchema = z.strictObject({
  /** `manual`: only an explicit approval retrains. `veto`: a delivered notice not rejected within vetoWindow retrains. @default "manual" */
  mode: z.enum(['manual', 'veto']).default('manual'),
  /** In veto mode, how long after delivery of the notice the retrain goes ahead. @default "24h" */
  vetoWindow: durationSchema.default(86_400),
});

export const noticeConfigSchema = z.strictObject({
  /** Prefix of every notice subject. @default "[driftgate]" */
  subjectPrefix: z.string().max(40).default(DEFAULT_SUBJECT_PREFIX),
  /** Put a link to the HTML report in the notice (needs a report URL signer in the deployment). @default true */
  includeReportLink: z.boolean().default(true),
});

export const modelConfigSchema = z
  .strictObject({
    /** Version of this document's shape. Always 1. */
    schemaVersion: z.literal(1),
    /** The model's id: lowercase slug (a-z, 0-9, `-`, `_`), 1-64 characters. */
    modelId: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a lowercase slug: a-z, 0-9, "-", "_", at most 64 characters'),
    /**
     * Where this model's batches land, e.g. "batches/fraud/": must start with "batches/" (the deployed upload
     * notification and the ingest function's read permission cover only that prefix) and end with "/".
     */
    batchPrefix: z
      .string()
      .regex(/^batches\/[^/].*\/$/, 'expected a key prefix under "batches/" ending with "/", e.g. "batches/fraud/" (the deployed upload notification and permissions cover only batches/)'),
    /** How the drift comparison is configured (features, tests, thresholds, dataset rule). @default {} */
    features: compareOptionsSchema.default(compareOptionsSchema.parse({})),
    /** Bounds of the adaptive check cadence and of the retrain date. @default {} */
    cadence: cadenceConfigSchema.default(cadenceConfigSchema.parse({})),
    /** How a retrain proposal is approved. @default {mode:"manual",vetoWindow:"24h"} */
    approval: approvalConfigSchema.default(approvalConfigSchema.parse({})),
    /** Wording of notices. @default {} */
    notice: noticeConfigSchema.default(noticeConfigSchema.parse({})),
    /** After this, an undecided proposal expires (never approved by default). @default "72h" */
    proposalTtl: durationSchema.default(72 * 3600),
  })
  .superRefine((c, ctx) => {
    if (c.approval.mode === 'veto' && c.approval.vetoWindow >= c.proposalTtl) {
      ctx.addIssue({ code: 'custom', path: ['approval', 'vetoWindow'], message: `vetoWindow (${c.approval.vetoWindow}s) must be shorter than proposalTtl (${c.proposalTtl}s)` });
    }
  });

/** A parsed model configuration: every duration in seconds, defaults applied. */
export type ModelConfig = z.infer<typeof modelConfigSchema>;
/** What a config file may contain (durations as strings, defaults omitted). */
export type ModelConfigInput = z.input<typeof modelConfigSchema>;

/**
 * Validate a model configuration; throws ConfigError listing the path of every bad field.
 *
 * @example
 * const config = parseModelConfig(JSON.parse(text), 'config/fraud.json');
 */
export function parseModelConfig(input: unknown, source: string): ModelConfig {
  return parseWith(modelConfigSchema, input, source);
}

/** Column roles the signature builder needs from the config (per-feature `kind` overrides, e.g. integer codes as categorical). */
export function signatureRoles(config: ModelConfig): Record<string, ColumnRole> {
  const roles: Record<string, ColumnRole> = {};
  for (const [name, override] of Object.entries(config.features.overrides)) {
    if (override.kind) roles[name] = override.kind;
  }
  return roles;
}

/**
 * What every signature of a model is built with, in the CLI and the Lambdas alike: the config's roles
 * (plus any given on the command line) and, for a batch, the model's reference (its bin edges and column
 * kinds; `roleOf` in signature/builder.ts is the rule that applies them).
 * @example
 * const signature = await signSources(sources, signingOptions(config, reference));
 */
export function signingOptions(
  config: ModelConfig | undefined,
  reference?: DatasetSignature,
  extraRoles: Readonly<Record<string, ColumnRole>> = {},
): Pick<SignatureOptions, 'roles' | 'reference'> {
  const roles = { ...(config ? signatureRoles(config) : {}), ...extraRoles };
  return { roles, ...(reference !== undefined ? { reference } : {}) };
}
