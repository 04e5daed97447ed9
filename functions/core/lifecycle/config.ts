import { z } from 'zod';
import type { ColumnRole } from '../columns.js';
import { compareOptionsConfigSchema, featureNameSchema } from '../drift/options.js';
import { MAX_SAMPLE_ROWS } from '../signature/sample.js';
import { AUTONOMY_MEMORY, DEFAULT_PROMOTE_AFTER, DEFAULT_SUGGEST_AFTER } from './autonomy.js';
import { DEFAULT_SUBJECT_PREFIX } from '../report/notice-subject.js';
import { parseWith } from '../schema-parse.js';
import type { SignatureOptions } from '../signature/builder.js';
import { MAX_SLICE_SIGNATURES } from '../signature/slices.js';
import type { DatasetSignature } from '../signature/types.js';

/**
 * A model's configuration (stored at `config/<modelId>.json`).
 *
 * Durations are either a whole number of seconds or a string `<n><unit>` with unit `s`, `m`, `h`, `d` or `w`
 * ("90m", "6h", "7d"); after parsing every duration is a number of seconds. Every duration, name and prefix
 * has a bound (the constants below), so a config that would fail later — an interval of 10^11 weeks, a TTL
 * that overflows a date, a prefix that walks out of `batches/` — is refused when it is read.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** A bound of a duration field: its seconds and how a person writes it. */
interface DurationBound {
  readonly seconds: number;
  readonly text: string;
}

/** Shortest interval, TTL or window a config may set: checks more often than this are a mistake. @default "1m" */
export const MIN_DURATION: DurationBound = { seconds: 60, text: '1m' };
/** Longest check or retrain interval: a year, plus a leap day. @default "366d" */
export const MAX_INTERVAL: DurationBound = { seconds: 366 * 86_400, text: '366d' };
/** Longest proposal TTL and veto window: a proposal open longer is stale evidence. @default "90d" */
export const MAX_PROPOSAL_TTL: DurationBound = { seconds: 90 * 86_400, text: '90d' };
/** Longest batchPrefix, in characters (= bytes, the prefix is ASCII); leaves 768 of S3's 1024 key bytes for the batch's name. @default 256 */
export const MAX_BATCH_PREFIX_LENGTH = 256;
/** Longest modelId; it names keys such as `references/<modelId>/<version>.json`. @default 64 */
export const MAX_MODEL_ID_LENGTH = 64;

/** Parse "6h" / "7d" / 3600 into seconds; undefined when the text is not a duration. */
export function durationSeconds(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+)\s*([smhdw])\s*$/.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds > 0 && Number.isFinite(seconds) ? seconds : undefined;
}

/** A value for a message: JSON, cut at 40 characters (a hostile value may be megabytes long). */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`;
}

/** A duration within [min, max]: positive whole seconds or "<n>s|m|h|d|w"; parsed to seconds. */
export function durationWithin(min: DurationBound, max: DurationBound) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const seconds = durationSeconds(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "6h", "7d" or a positive whole number of seconds, got ${shown(value)}` });
      return z.NEVER;
    }
    if (seconds < min.seconds || seconds > max.seconds) {
      ctx.addIssue({ code: 'custom', message: `expected a duration from ${min.text} to ${max.text} (${min.seconds}..${max.seconds} s), got ${shown(value)}` });
      return z.NEVER;
    }
    return seconds;
  });
}

/** A check or retrain interval: 1m..366d. */
export const durationSchema = durationWithin(MIN_DURATION, MAX_INTERVAL);

const intervalSchema = durationSchema;
const proposalDurationSchema = durationWithin(MIN_DURATION, MAX_PROPOSAL_TTL);

export const cadenceConfigSchema = z
  .strictObject({
    /** Shortest time between two checks (drift present or imminent); 1m..366d, at most maxCheckInterval. @default "1h" */
    minCheckInterval: intervalSchema.default(3600),
    /** Longest time between two checks (stable data); 1m..366d. @default "7d" */
    maxCheckInterval: intervalSchema.default(7 * 86_400),
    /** Earliest retrain date after the last retrain/adoption; 1m..366d, at most maxRetrainInterval. @default "1d" */
    minRetrainInterval: intervalSchema.default(86_400),
    /** A retrain is proposed at the latest this long after the last retrain/adoption, drift or not; 1m..366d. @default "90d" */
    maxRetrainInterval: intervalSchema.default(90 * 86_400),
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
  /** In veto mode, how long after delivery of the notice the retrain goes ahead; 1m..90d, shorter than proposalTtl. @default "24h" */
  vetoWindow: proposalDurationSchema.default(86_400),
  /** Approved proposals in a row (no rejection, failed retrain or incident) that earn an offer of the next autonomy level; 1..100. @default 5 */
  promoteAfter: z.number().int().min(1).max(100).default(DEFAULT_PROMOTE_AFTER),
  /** Rejections of proposals driven by one feature as "not material"/"expected" that make driftgate suggest a higher threshold; 1..30. @default 3 */
  suggestAfter: z.number().int().min(1).max(AUTONOMY_MEMORY).default(DEFAULT_SUGGEST_AFTER),
});

/** Shortest review interval: people asked more often than hourly stop answering. @default "1h" */
export const MIN_REVIEW_INTERVAL: DurationBound = { seconds: 3600, text: '1h' };

export const reviewConfigSchema = z.strictObject({
  /** How often people are asked to look at sampled rows; 1h..90d. @default "7d" */
  every: durationWithin(MIN_REVIEW_INTERVAL, MAX_PROPOSAL_TTL).default(7 * 86_400),
  /** Rows shown per review; 1..MAX_SAMPLE_ROWS (100). @default 20 */
  rows: z.number().int().min(1).max(MAX_SAMPLE_ROWS).default(20),
  /**
   * Columns never read into the review sample (identifiers, personal data): ingest does not put them in
   * the sample, so no review page or notice can show them. Column names of 1..256 characters. @default []
   */
  exclude: z.array(featureNameSchema).default([]),
  /** A "looks wrong" share of reviewed rows above this opens a proposal with reason `human-review`; (0, 1]. @default 0.3 */
  wrongShare: z.number().gt(0).max(1).default(0.3),
  /** Reminders sent for an unanswered round, spread over its `every`, before it expires (logged); 0..5. @default 2 */
  reminders: z.number().int().min(0).max(5).default(2),
});

/** C0 and C1 control characters (NUL, newline, ESC, ...). */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

export const noticeConfigSchema = z.strictObject({
  /** Prefix of every notice subject; at most 40 characters, no control characters. @default "[driftgate]" */
  subjectPrefix: z
    .string()
    .max(40)
    .refine((text) => !CONTROL_CHARACTER.test(text), 'a subject prefix must not contain control characters (a subject is one line)')
    .default(DEFAULT_SUBJECT_PREFIX),
  /** Put a link to the HTML report in the notice (needs a report URL signer in the deployment). @default true */
  includeReportLink: z.boolean().default(true),
});

/** Where a local webhook POSTs: an http(s) URL, how long one try may take and how many tries before giving up. */
export const webhookConfigSchema = z.strictObject({
  /** The incoming-webhook URL (http or https). Required. */
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** Time allowed for one try, in milliseconds; 100..60000. @default 10000 */
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  /** Tries before the delivery is recorded undelivered (backoff doubles between tries); 1..10. @default 4 */
  attempts: z.number().int().min(1).max(10).default(4),
});

/** The notice channels of the embedded default (the CLI's `run`, `watch` and `demo`; AWS always uses SNS). */
export const LOCAL_NOTIFIERS = ['console', 'outbox', 'webhook'] as const;

export const localConfigSchema = z
  .strictObject({
    /** Channels a notice goes to; it counts as delivered only when every one took it. @default ["console","outbox"] */
    notifiers: z.array(z.enum(LOCAL_NOTIFIERS)).min(1).max(3).default(['console', 'outbox']),
    /** The webhook of the `webhook` notifier (a JSON `{"text": ...}` notice plus structured fields). @default none */
    webhook: webhookConfigSchema.optional(),
    /** Also POST each RetrainRequested event here (events always go to the store's events.jsonl). @default none */
    retrainWebhook: webhookConfigSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.notifiers.includes('webhook') && c.webhook === undefined) {
      ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'the "webhook" notifier needs local.webhook with its url' });
    }
  });
/** The parsed local settings of a model. */
export type LocalConfig = z.infer<typeof localConfigSchema>;

export const learningConfigSchema = z.strictObject({
  /** Gain per doubling of the training rows (in the metric's units) below which more data is not worth it: the learning-curve hint recommends the rows where the fitted curve's gain falls below it; > 0, at most 1. @default 0.002 */
  epsilon: z.number().positive().max(1).default(0.002),
  /** No hint when the recommended rows exceed this many times the largest reported learning-curve point (the curve is still rising steeply); 1..100. @default 4 */
  maxExtrapolation: z.number().min(1).max(100).default(4),
  /** No hint when the inverse power law fits the learning curve with an R² below this; 0..1. @default 0.9 */
  minR2: z.number().min(0).max(1).default(0.9),
});

/** Most slice columns a model may name. */
export const MAX_SLICE_COLUMNS = 4;

export const sliceOptionsConfigSchema = z.strictObject({
  /** Slice values kept per slice column (by rows in the reference); every other value is `other`; 1..50. @default 10 */
  k: z.number().int().min(1).max(50).default(10),
  /** A slice with fewer rows than this (current or reference) is `insufficient-data`, never drift; 30..1e9. @default 100 */
  minRows: z.number().int().min(30).max(1e9).default(100),
  /** A drifted slice's severity is weighted by min(1, its row share / this): a slice smaller than this share needs a larger shift to drive the action; (0, 1]. @default 0.05 */
  minActionShare: z.number().gt(0).max(1).default(0.05),
});

const MODEL_ID = new RegExp(`^[a-z0-9][a-z0-9_-]{0,${MAX_MODEL_ID_LENGTH - 1}}$`);

/** A batchPrefix segment: S3's "safe" characters that also make a file name (no leading "."). */
const PREFIX_SEGMENT = /^[A-Za-z0-9_=-][A-Za-z0-9._=-]*$/;

/**
 * Every reason `prefix` is not a safe batchPrefix, once each (a prefix is a key prefix in S3 and a folder of
 * the local store, so it must mean the same in both: no empty, "." or ".." segments, no hidden folders).
 */
function batchPrefixProblems(prefix: string): string[] {
  const problems: string[] = [];
  const control = CONTROL_CHARACTER.exec(prefix);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    problems.push(`must not contain control characters (U+${code} at index ${control.index})`);
  }
  const segments = prefix.split('/');
  if (prefix.endsWith('/')) segments.pop();
  if (segments.includes('')) problems.push('must not have an empty segment ("//")');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    problems.push('must not have a "." or ".." segment (S3 keeps it literally, a path resolves it: the prefix would name two places)');
  }
  if (segments.some((segment) => segment.startsWith('.') && segment !== '.' && segment !== '..')) {
    problems.push('a segment must not start with "." (a hidden folder; the local store cannot hold it)');
  }
  const unsafe = segments.find((segment) => segment !== '' && !segment.startsWith('.') && !PREFIX_SEGMENT.test(segment));
  if (unsafe !== undefined && !control) {
    const found = [...unsafe].find((c) => !/[A-Za-z0-9._=-]/.test(c)) ?? '';
    problems.push(`may use only A-Z, a-z, 0-9, "-", "_", "." and "=" between "/" (found ${shown(found)})`);
  }
  return problems;
}

export const modelConfigSchema = z
  .strictObject({
    /** Version of this document's shape. Always 1. */
    schemaVersion: z.literal(1),
    /** The model's id: lowercase slug (a-z, 0-9, `-`, `_`), 1..MAX_MODEL_ID_LENGTH (64) characters. Required. */
    modelId: z.string().regex(MODEL_ID, `expected a lowercase slug: a-z, 0-9, "-", "_", at most ${MAX_MODEL_ID_LENGTH} characters`),
    /**
     * Where this model's batches land, e.g. "batches/fraud/": must start with "batches/" (the deployed upload
     * notification and the ingest function's read permission cover only that prefix) and end with "/";
     * at most MAX_BATCH_PREFIX_LENGTH (256) characters; segments of A-Z a-z 0-9 - _ . = only, none empty,
     * "." or "..", none starting with ".". Required.
     */
    batchPrefix: z
      .string()
      .max(MAX_BATCH_PREFIX_LENGTH, `expected at most ${MAX_BATCH_PREFIX_LENGTH} characters`)
      .regex(/^batches\/[^/].*\/$/s, 'expected a key prefix under "batches/" ending with "/", e.g. "batches/fraud/" (the deployed upload notification and permissions cover only batches/)')
      .superRefine((prefix, ctx) => {
        if (prefix.length > MAX_BATCH_PREFIX_LENGTH) return; // said once by max(); no need to scan it
        for (const message of batchPrefixProblems(prefix)) ctx.addIssue({ code: 'custom', message });
      }),
    /**
     * Entries kept in each categorical column's top-K list when signing; the rest pool into "(other)" and the
     * distances are then labelled "over the top K plus (other)"; 2..100000. @default 256
     */
    categoryTopK: z.number().int().min(2).max(100_000).optional(),
    /** How the drift comparison is configured (features, tests, thresholds, dataset rule; `featureImportance` weighs the verdict). @default {} */
    features: compareOptionsConfigSchema.default(compareOptionsConfigSchema.parse({})),
    /** Bounds of the adaptive check cadence and of the retrain date. @default {} */
    cadence: cadenceConfigSchema.default(cadenceConfigSchema.parse({})),
    /** How a retrain proposal is approved. @default {mode:"manual",vetoWindow:"24h"} */
    approval: approvalConfigSchema.default(approvalConfigSchema.parse({})),
    /** Wording of notices. @default {} */
    notice: noticeConfigSchema.default(noticeConfigSchema.parse({})),
    /**
     * Categorical columns to slice by ("country", "device"): drift is also checked per top-K value of each
     * (signature/slices.ts, drift/slices.ts). Size budget: slices × (sliceOptions.k + 1) ≤ MAX_SLICE_SIGNATURES
     * (64) slice signatures per batch, each about the size of the batch's own signature. @default []
     */
    slices: z.array(z.string().min(1).max(256)).max(MAX_SLICE_COLUMNS).refine((c) => new Set(c).size === c.length, 'expected each slice column once').default([]),
    /** How slices are kept and judged. @default {k:10,minRows:100,minActionShare:0.05} */
    sliceOptions: sliceOptionsConfigSchema.default(sliceOptionsConfigSchema.parse({})),
    /** How the retrain hints are computed from reported learning curves (core/learning/curve.ts). @default {} */
    learning: learningConfigSchema.default(learningConfigSchema.parse({})),
    /** After this, an undecided proposal expires (never approved by default); 1m..90d. @default "72h" */
    proposalTtl: proposalDurationSchema.default(72 * 3600),
    /** Notice channels and webhooks of the embedded default (ignored by the AWS functions). @default {notifiers:["console","outbox"]} */
    local: localConfigSchema.optional(),
    /** Review samples (opt-in): rows shown to people on a schedule. @default none: no review samples */
    review: reviewConfigSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const sliceSignatures = c.slices.length * (c.sliceOptions.k + 1);
    if (sliceSignatures > MAX_SLICE_SIGNATURES) {
      ctx.addIssue({ code: 'custom', path: ['slices'], message: `${c.slices.length} slice columns × (k=${c.sliceOptions.k} + 1) = ${sliceSignatures} slice signatures per batch, over the budget of ${MAX_SLICE_SIGNATURES}: slice fewer columns or lower sliceOptions.k` });
    }
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
): Pick<SignatureOptions, 'roles' | 'reference' | 'slices' | 'topK'> {
  const roles = { ...(config ? signatureRoles(config) : {}), ...extraRoles };
  const slices = config !== undefined && config.slices.length > 0 ? { slices: { columns: config.slices, k: config.sliceOptions.k } } : {};
  return { roles, ...(reference !== undefined ? { reference } : {}), ...slices, ...(config?.categoryTopK !== undefined ? { topK: config.categoryTopK } : {}) };
}
