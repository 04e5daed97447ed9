/**
 * Model configs that must be refused when they are read (validate-config, upload-config, every read of
 * config/<modelId>.json), each with the path the error must name and a piece of its reason. Shared by
 * test/core/lifecycle/config.test.ts (parseModelConfig) and test/cli/validate-config.test.ts (the real CLI).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A minimal good config; each bad one changes one part of it. */
export const GOOD_BASE = { schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' } as const;

export interface HostileConfig {
  /** What is wrong, as the test title. */
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** The dotted path the error must name (`at <path>` in z.prettifyError's lines). */
  readonly path: string;
  /** A piece of the reason. */
  readonly reason: RegExp;
}

const withBase = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...GOOD_BASE, ...patch });
const features = (f: Record<string, unknown>): Record<string, unknown> => withBase({ features: f });
const DOT_SEGMENT = /"\." or "\.\." segment/;
const RANGE = (from: string, to: string): RegExp => new RegExp(`from ${from} to ${to}`);

export const HOSTILE_CONFIGS: readonly HostileConfig[] = [
  // batchPrefix: a key prefix that must mean one place, in S3 and as a folder
  { name: 'batchPrefix walking up to config/', config: withBase({ batchPrefix: 'batches/../config/' }), path: 'batchPrefix', reason: DOT_SEGMENT },
  { name: 'batchPrefix walking up to state/', config: withBase({ batchPrefix: 'batches/x/../../state/' }), path: 'batchPrefix', reason: DOT_SEGMENT },
  { name: 'batchPrefix with a "." segment', config: withBase({ batchPrefix: 'batches/./fraud/' }), path: 'batchPrefix', reason: DOT_SEGMENT },
  { name: 'batchPrefix with a NUL byte', config: withBase({ batchPrefix: 'batches/fr\u0000aud/' }), path: 'batchPrefix', reason: /control characters \(U\+0000 at index 10\)/ },
  { name: 'batchPrefix with a newline', config: withBase({ batchPrefix: 'batches/fraud\n/' }), path: 'batchPrefix', reason: /control characters/ },
  { name: 'batchPrefix of 10k characters', config: withBase({ batchPrefix: `batches/${'a'.repeat(10_000)}/` }), path: 'batchPrefix', reason: /at most 256 characters/ },
  { name: 'batchPrefix of 257 characters', config: withBase({ batchPrefix: `batches/${'a'.repeat(248)}/` }), path: 'batchPrefix', reason: /at most 256 characters/ },
  { name: 'batchPrefix with an empty segment', config: withBase({ batchPrefix: 'batches/fraud//eu/' }), path: 'batchPrefix', reason: /empty segment/ },
  { name: 'batchPrefix with a hidden folder', config: withBase({ batchPrefix: 'batches/.fraud/' }), path: 'batchPrefix', reason: /must not start with "\."/ },
  { name: 'batchPrefix with a space', config: withBase({ batchPrefix: 'batches/fraud eu/' }), path: 'batchPrefix', reason: /may use only A-Z.*found " "/ },
  { name: 'batchPrefix with a backslash', config: withBase({ batchPrefix: 'batches/fraud\\..\\/' }), path: 'batchPrefix', reason: /may use only/ },
  { name: 'batchPrefix with a non-ASCII letter', config: withBase({ batchPrefix: 'batches/modèle/' }), path: 'batchPrefix', reason: /may use only.*found "è"/ },
  { name: 'batchPrefix outside batches/', config: withBase({ batchPrefix: 'state/' }), path: 'batchPrefix', reason: /under "batches\/"/ },
  { name: 'batchPrefix not a string', config: withBase({ batchPrefix: ['batches/fraud/'] }), path: 'batchPrefix', reason: /expected string/ },
  // modelId: it names keys
  { name: 'modelId of 65 characters', config: withBase({ modelId: 'a'.repeat(65) }), path: 'modelId', reason: /at most 64 characters/ },
  { name: 'modelId with a path', config: withBase({ modelId: '../state' }), path: 'modelId', reason: /lowercase slug/ },
  { name: 'modelId with a NUL byte', config: withBase({ modelId: 'fraud\u0000' }), path: 'modelId', reason: /lowercase slug/ },
  { name: 'modelId empty', config: withBase({ modelId: '' }), path: 'modelId', reason: /lowercase slug/ },
  // durations: bounded, so no date overflows and no check waits for centuries
  { name: 'proposalTtl 1e300 seconds', config: withBase({ proposalTtl: 1e300 }), path: 'proposalTtl', reason: RANGE('1m', '90d') },
  { name: 'proposalTtl 91d', config: withBase({ proposalTtl: '91d' }), path: 'proposalTtl', reason: RANGE('1m', '90d') },
  { name: 'proposalTtl 30 seconds', config: withBase({ proposalTtl: 30 }), path: 'proposalTtl', reason: RANGE('1m', '90d') },
  { name: 'minCheckInterval 99999999999w', config: withBase({ cadence: { minCheckInterval: '99999999999w' } }), path: 'cadence.minCheckInterval', reason: RANGE('1m', '366d') },
  { name: 'minCheckInterval 59 seconds', config: withBase({ cadence: { minCheckInterval: 59 } }), path: 'cadence.minCheckInterval', reason: RANGE('1m', '366d') },
  { name: 'maxCheckInterval 367d', config: withBase({ cadence: { maxCheckInterval: '367d' } }), path: 'cadence.maxCheckInterval', reason: RANGE('1m', '366d') },
  { name: 'maxRetrainInterval of 401 digits (Infinity)', config: withBase({ cadence: { maxRetrainInterval: `1${'0'.repeat(400)}s` } }), path: 'cadence.maxRetrainInterval', reason: /expected a duration like/ },
  { name: 'minRetrainInterval fractional', config: withBase({ cadence: { minRetrainInterval: 3600.5 } }), path: 'cadence.minRetrainInterval', reason: /expected a duration like/ },
  { name: 'minRetrainInterval negative', config: withBase({ cadence: { minRetrainInterval: '-1d' } }), path: 'cadence.minRetrainInterval', reason: /expected a duration like/ },
  { name: 'minCheckInterval above maxCheckInterval', config: withBase({ cadence: { minCheckInterval: '8d' } }), path: 'cadence.minCheckInterval', reason: /must not exceed maxCheckInterval/ },
  { name: 'vetoWindow 100d', config: withBase({ approval: { mode: 'veto', vetoWindow: '100d' } }), path: 'approval.vetoWindow', reason: RANGE('1m', '90d') },
  { name: 'vetoWindow not shorter than proposalTtl', config: withBase({ approval: { mode: 'veto', vetoWindow: '3d' }, proposalTtl: '72h' }), path: 'approval.vetoWindow', reason: /shorter than proposalTtl/ },
  // tests and thresholds: refused now, not at the first check
  { name: 'unknown test in an override', config: features({ overrides: { amount: { test: 'anderson' } } }), path: 'features.overrides.amount.test', reason: /expected one of "ks"\|"wasserstein"\|"psi"\|"jensenshannon"\|"chi2"/ },
  { name: 'unknown test as a model default', config: features({ defaults: { numeric: { test: 'magic' } } }), path: 'features.defaults.numeric.test', reason: /expected one of/ },
  { name: 'test name "__proto__"', config: features({ defaults: { categorical: { test: '__proto__' } } }), path: 'features.defaults.categorical.test', reason: /expected one of/ },
  { name: 'p-value threshold 5 on an override test', config: features({ overrides: { amount: { test: 'ks', threshold: 5 } } }), path: 'features.overrides.amount.threshold', reason: /'ks' gives a p-value, so its threshold must be below 1, got 5/ },
  { name: 'p-value threshold 5 on a model default', config: features({ defaults: { categorical: { test: 'chi2', threshold: 5 } } }), path: 'features.defaults.categorical.threshold', reason: /'chi2' gives a p-value/ },
  { name: 'p-value threshold exactly 1', config: features({ defaults: { numeric: { test: 'ks', threshold: 1 } } }), path: 'features.defaults.numeric.threshold', reason: /below 1, got 1/ },
  {
    name: 'p-value threshold from the default of the kind the override states',
    config: features({ defaults: { categorical: { test: 'chi2' } }, overrides: { code: { kind: 'categorical', threshold: 2 } } }),
    path: 'features.overrides.code.threshold',
    reason: /'chi2' gives a p-value/,
  },
  {
    name: 'p-value threshold where both kinds default to p-value tests',
    config: features({ defaults: { numeric: { test: 'ks' }, categorical: { test: 'chi2' } }, overrides: { x: { threshold: 2 } } }),
    path: 'features.overrides.x.threshold',
    reason: /test 'ks' or 'chi2' gives a p-value/,
  },
  { name: 'numeric test on a stated categorical override', config: features({ overrides: { code: { kind: 'categorical', test: 'wasserstein' } } }), path: 'features.overrides.code.test', reason: /'wasserstein' does not apply to categorical features/ },
  { name: 'categorical test on a stated numeric override', config: features({ overrides: { amount: { kind: 'numeric', test: 'chi2' } } }), path: 'features.overrides.amount.test', reason: /'chi2' does not apply to numeric features/ },
  { name: 'numeric test as the categorical default', config: features({ defaults: { categorical: { test: 'ks' } } }), path: 'features.defaults.categorical.test', reason: /'ks' does not apply to categorical/ },
  { name: 'threshold 0', config: features({ overrides: { amount: { threshold: 0 } } }), path: 'features.overrides.amount.threshold', reason: /expected number to be >0/ },
  { name: 'threshold negative', config: features({ defaults: { numeric: { threshold: -0.1 } } }), path: 'features.defaults.numeric.threshold', reason: /expected number to be >0/ },
  { name: 'threshold 1e400 (Infinity)', config: features({ overrides: { amount: { threshold: Number.POSITIVE_INFINITY } } }), path: 'features.overrides.amount.threshold', reason: /expected number/ },
  { name: 'threshold as a string', config: features({ overrides: { amount: { threshold: '0.1' } } }), path: 'features.overrides.amount.threshold', reason: /expected number/ },
  { name: 'unknown kind', config: features({ overrides: { amount: { kind: 'text' } } }), path: 'features.overrides.amount.kind', reason: /expected one of "numeric"\|"categorical"/ },
  { name: 'dataset share above 1', config: features({ datasetRule: { share: 1.5 } }), path: 'features.datasetRule.share', reason: /<=1/ },
  // names
  { name: 'empty excluded column', config: features({ exclude: [''] }), path: 'features.exclude[0]', reason: /expected a column name/ },
  { name: 'included column with a NUL', config: features({ include: ['amount\u0000'] }), path: 'features.include[0]', reason: /control characters/ },
  { name: 'key feature of 300 characters', config: features({ datasetRule: { keyFeatures: ['k'.repeat(300)] } }), path: 'features.datasetRule.keyFeatures[0]', reason: /at most 256 characters/ },
  { name: 'override of a column named with an ESC', config: features({ overrides: { 'a\u001b[31m': { threshold: 0.2 } } }), path: 'features.overrides["a\\u001b[31m"]', reason: /a column name must not contain control characters/ },
  // z.prettifyError writes the empty key as a trailing ".".
  { name: 'override of a column named ""', config: features({ overrides: { '': { threshold: 0.2 } } }), path: 'features.overrides.', reason: /expected a column name, got ""/ },
  { name: 'subject prefix with a newline', config: withBase({ notice: { subjectPrefix: '[fraud]\nBcc: x' } }), path: 'notice.subjectPrefix', reason: /control characters/ },
  // shape
  { name: 'schemaVersion 2', config: withBase({ schemaVersion: 2 }), path: 'schemaVersion', reason: /expected 1/ },
  { name: 'unknown key in cadence', config: withBase({ cadence: { minCheckIntervall: '1h' } }), path: 'cadence', reason: /Unrecognized key: "minCheckIntervall"/ },
];

/** Configs that are fine and must stay accepted (bounds inclusive, a kind-dependent threshold left to compare). */
export const GOOD_CONFIGS: readonly { readonly name: string; readonly config: Record<string, unknown> }[] = [
  { name: 'the minimal config', config: { ...GOOD_BASE } },
  { name: 'nested prefix with Hive-style and dotted segments', config: withBase({ batchPrefix: 'batches/team-a/fraud_v2/region=eu/v1.2/' }) },
  { name: 'batchPrefix of exactly 256 characters', config: withBase({ batchPrefix: `batches/${'a'.repeat(247)}/` }) },
  { name: 'modelId of exactly 64 characters', config: withBase({ modelId: 'a'.repeat(64) }) },
  {
    name: 'every duration at its bounds',
    config: withBase({
      cadence: { minCheckInterval: '1m', maxCheckInterval: '366d', minRetrainInterval: 60, maxRetrainInterval: `${366 * 86_400}s` },
      approval: { mode: 'veto', vetoWindow: '89d' },
      proposalTtl: '90d',
    }),
  },
  { name: 'a manual-mode veto window longer than the TTL (unused)', config: withBase({ approval: { mode: 'manual', vetoWindow: '24h' }, proposalTtl: '90m' }) },
  { name: 'a distance threshold above 1 (Wasserstein in σ)', config: features({ overrides: { amount: { test: 'wasserstein', threshold: 2.5 } }, defaults: { numeric: { threshold: 5 } } }) },
  { name: 'a p-value threshold below 1', config: features({ overrides: { amount: { test: 'ks', threshold: 0.01 } }, defaults: { categorical: { test: 'chi2', threshold: 0.001 } } }) },
  {
    // The column's kind decides whether 'ks' applies: compare() checks it against the reference.
    name: 'a threshold of 2 where only the numeric default is a p-value test and the kind is not stated',
    config: features({ defaults: { numeric: { test: 'ks' } }, overrides: { x: { threshold: 2 } } }),
  },
  { name: 'a test without a stated kind', config: features({ overrides: { amount: { test: 'ks' }, city: { test: 'chi2' } } }) },
  { name: 'column names with spaces, dots and non-ASCII', config: features({ include: ['montant (€)', 'a.b'], exclude: ['ID'], overrides: { 'montant (€)': { threshold: 0.2 } } }) },
];

/** The model configs shown in README.md (its ```json blocks that have a batchPrefix). */
export function readmeConfigs(): unknown[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  return [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
    .map((match) => match[1])
    .filter((block) => block.includes('"schemaVersion": 1') && block.includes('"batchPrefix"'))
    .map((block) => JSON.parse(block) as unknown);
}

/** JSON for a config file; Infinity is written as 1e400, which JSON.parse reads back as Infinity. */
export function configJson(config: unknown): string {
  const INFINITY = '__infinity__';
  return JSON.stringify(config, (_key, value: unknown) => (value === Number.POSITIVE_INFINITY ? INFINITY : value)).replaceAll(`"${INFINITY}"`, '1e400');
}
