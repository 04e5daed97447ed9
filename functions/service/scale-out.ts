/**
 * Scale-out signing, the use cases behind the Step Functions state machine (lib/scale-out.ts): plan a job
 * into work items (core/signature/plan.ts) and write their manifest, sign one item (a unit range of one
 * file) into a partial signature, merge groups of partials (one level of a tree merge), and finish: install
 * the merged signature as a reference (adoption) or store it as a batch signature (ingest).
 *
 * Idempotent end to end: the job id is a hash of the job, every partial is written once under a key derived
 * from the job id, its level and its index, and the finish goes through the same create-once writes and
 * conditional state update as the single-function paths. Re-running an execution stores nothing new.
 *
 * A file that cannot be read is not an exception of the sign step (which would fail the Distributed Map
 * with an error naming no file): its item stores a failure naming the file, the merges carry it, and the
 * finish throws InvalidInputError naming that file before anything is installed. Transient failures
 * (AdapterError) still throw, so the state machine's retries take them.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { KEY_PREFIX } from '../core/constants.js';
import { AdapterError, ConfigError, InvalidInputError } from '../core/errors.js';
import { parseStoredAdoptionManifest } from '../core/lifecycle/adoption.js';
import { signingOptions } from '../core/lifecycle/config.js';
import { referenceKey } from '../core/lifecycle/keys.js';
import type { AdoptOutcome, IngestOutcome } from '../core/lifecycle/types.js';
import type { ByteSource, Log, ObjectPin, SignSources } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { parseSignature, serializeSignature, type DatasetSignature } from '../core/signature/index.js';
import { framesOf, mergeGroups, mergePartials, planSigning, type PlanBudget, type PlanUnit } from '../core/signature/plan.js';
import { asInputError, batchSignatureKey } from './ingest-batch.js';
import type { InstallReference } from './install-reference.js';
import type { ModelRepository } from './model-repository.js';

/** What starts an execution: an adoption manifest to install, or one large uploaded batch. */
export const scaleOutJobSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('adopt'),
    /** The adoption manifest (`adoptions/<modelId>/<version>.json`): the execution input stays small whatever the training set. */
    manifestKey: z.string().min(1),
    /** `set-reference` for a model's first reference, `adopt` otherwise (decided by the adopt function). */
    action: z.enum(['adopt', 'set-reference']),
  }),
  z.strictObject({
    kind: z.literal('ingest'),
    modelId: z.string().min(1),
    key: z.string().min(1),
    etag: z.string().min(1),
    versionId: z.string().min(1).optional(),
  }),
]);
export type ScaleOutJob = z.infer<typeof scaleOutJobSchema>;

/** One manifest entry (one Distributed Map child): self-contained, so a child needs nothing else. */
export const scaleOutItemSchema = z.strictObject({
  jobId: z.string().min(1),
  modelId: z.string().min(1),
  kind: z.enum(['adopt', 'ingest']),
  index: z.number().int().min(0),
  key: z.string().min(1),
  range: z.strictObject({ start: z.number().int().min(0), end: z.number().int().min(0) }).optional(),
  etag: z.string().min(1).optional(),
  versionId: z.string().min(1).optional(),
  /** An item of a listed folder (the map's ItemSelector sets it): checked against the plan's listing. */
  listed: z.literal(true).optional(),
});
export type ScaleOutItem = z.infer<typeof scaleOutItemSchema>;

/** One group of a merge level: partials [start, end) of `level` merged into partial `index` of `level + 1`. */
export const mergeGroupSchema = z.strictObject({
  jobId: z.string().min(1),
  level: z.number().int().min(0),
  index: z.number().int().min(0),
  start: z.number().int().min(0),
  end: z.number().int().min(1),
});
export type MergeGroup = z.infer<typeof mergeGroupSchema>;

/** What the plan step returns: the state the rest of the execution reads (small, whatever the job). */
export interface ScalePlan {
  readonly jobId: string;
  readonly modelId: string;
  readonly bucket: string;
  /** The manifest the Sign map reads, or (a listed folder) absent. */
  readonly manifestKey?: string;
  /** The folder the SignListed map lists (`training/.../`), or (a manifest) absent. */
  readonly prefix?: string;
  readonly itemCount: number;
  /** The tree merge, level by level (empty when one item: its partial is the whole). */
  readonly levels: readonly (readonly MergeGroup[])[];
  /** The level whose single partial is the whole. */
  readonly finalLevel: number;
}

/** The finish step's input. */
export const finishInputSchema = z.looseObject({ jobId: z.string().min(1), finalLevel: z.number().int().min(0) });

/** The job as resolved by the plan step (`scaleout/<jobId>/job.json`), read again by the finish. */
const storedJobSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    schemaVersion: z.literal(1),
    kind: z.literal('adopt'),
    modelId: z.string(),
    version: z.string(),
    trainingData: z.array(z.string()).min(1),
    action: z.enum(['adopt', 'set-reference']),
    /** A listed folder: its objects in listing order, each with the ETag the plan saw (a child checks its item). */
    listing: z.array(z.strictObject({ key: z.string(), etag: z.string() })).optional(),
  }),
  z.strictObject({ schemaVersion: z.literal(1), kind: z.literal('ingest'), modelId: z.string(), key: z.string(), etag: z.string(), versionId: z.string().optional() }),
]);
type StoredJob = z.infer<typeof storedJobSchema>;

/** Keys of one job under `scaleout/`. */
export const scaleOutKeys = {
  job: (jobId: string) => `${KEY_PREFIX.scaleout}${jobId}/job.json`,
  manifest: (jobId: string) => `${KEY_PREFIX.scaleout}${jobId}/manifest.json`,
  /** The numeric columns' shared centred frames (`framesOf` of the plan's first pass). */
  frames: (jobId: string) => `${KEY_PREFIX.scaleout}${jobId}/frames.json`,
  part: (jobId: string, level: number, index: number) => `${KEY_PREFIX.scaleout}${jobId}/parts/${level}/${String(index).padStart(6, '0')}.json`,
} as const;

/** The stored frames: column name → frame, or null for none. */
const framesSchema = z.record(z.string(), z.strictObject({ offset: z.number(), scale: z.number().positive() }).nullable());

/** A partial that failed: the file and why (stored in place of its signature). */
interface PartFailure {
  readonly failure: { readonly file: string; readonly reason: string };
}

/** What the scale-out use cases need. */
export interface ScaleOutDeps {
  readonly repo: ModelRepository;
  /** The bucket name the state machine's ItemReader reads the manifest from. */
  readonly bucket: string;
  readonly sign: SignSources;
  /** A file's read units (adapters: `openBatchFile(...).units()`) and its version (an S3 ETag), which the items pin. */
  readonly describe: (source: ByteSource) => Promise<{ readonly units: readonly PlanUnit[] | undefined; readonly etag?: string }>;
  /**
   * An opened file's version (an S3 ETag), which a listed folder's children check their item against.
   * @default none: training sets are always read from a manifest
   */
  readonly versionOf?: (source: ByteSource) => string | undefined;
  /** Per-item budget of the plan. */
  readonly budget: PlanBudget;
  /**
   * Partials per merge invocation.
   * @default 64
   */
  readonly fanIn?: number;
  /** The finish step's reference installation (adoption jobs). */
  readonly install?: InstallReference;
  readonly log?: Log;
}

/** The four steps of the state machine. */
export interface ScaleOut {
  plan(job: ScaleOutJob): Promise<ScalePlan>;
  signRange(item: ScaleOutItem): Promise<{ readonly partKey: string; readonly status: 'stored' | 'existing' | 'failed' }>;
  mergeGroup(group: MergeGroup): Promise<{ readonly partKey: string; readonly status: 'stored' | 'existing' }>;
  finish(input: { jobId: string; finalLevel: number }, now: Date): Promise<AdoptOutcome | IngestOutcome>;
}

/** Footers the plan step reads at once. */
const FOOTER_READ_CONCURRENCY = 32;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The longest folder (ending in "/") holding every key, or undefined when it is only `training/`. */
function commonFolder(keys: readonly string[]): string | undefined {
  let prefix = keys[0] ?? '';
  for (const key of keys) while (!key.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  return folder.length > KEY_PREFIX.training.length ? folder : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Build the scale-out use cases.
 * @example
 * const steps = scaleOut({ repo, bucket, sign: signSources, units, budget: planBudget({ seconds: 300, bytesPerSecond: 30e6, memoryBytes: 2 ** 31 }) });
 * const plan = await steps.plan({ kind: 'ingest', modelId: 'fraud', key: 'batches/fraud/huge.parquet', etag: '"abc"' });
 */
export function scaleOut(deps: ScaleOutDeps): ScaleOut {
  const { repo } = deps;
  const fanIn = deps.fanIn ?? 64;

  async function resolveJob(job: ScaleOutJob): Promise<StoredJob> {
    if (job.kind === 'ingest') return { schemaVersion: 1, ...job };
    const stored = await repo.store.get(job.manifestKey);
    if (stored === undefined) throw new InvalidInputError(job.manifestKey, 'the adoption manifest no longer exists');
    const manifest = parseStoredAdoptionManifest(job.manifestKey, Buffer.from(stored.body).toString('utf8'));
    return { schemaVersion: 1, kind: 'adopt', modelId: manifest.modelId, version: manifest.version, trainingData: [...manifest.trainingData], action: job.action };
  }

  async function readJob(jobId: string): Promise<StoredJob> {
    const stored = await repo.store.get(scaleOutKeys.job(jobId));
    if (stored === undefined) throw new ConfigError(scaleOutKeys.job(jobId), 'the scale-out job is missing (was the plan step run?)');
    return parseWith(storedJobSchema, JSON.parse(Buffer.from(stored.body).toString('utf8')), scaleOutKeys.job(jobId));
  }

  async function open(key: string, pin?: ObjectPin): Promise<ByteSource> {
    try {
      return await repo.store.open(key, pin);
    } catch (err) {
      // A store failure stays retryable; a missing object (S3 already says so, a folder says ENOENT) is bad input.
      if (err instanceof AdapterError && (err.cause as { code?: unknown } | undefined)?.code !== 'ENOENT') throw err;
      if (err instanceof InvalidInputError) throw err.file === key ? err : new InvalidInputError(key, err.reason, { cause: err });
      throw new InvalidInputError(key, `not found in the store: ${message(err)}`, { cause: err });
    }
  }

  async function readPart(key: string): Promise<DatasetSignature | PartFailure> {
    const stored = await repo.store.get(key);
    if (stored === undefined) throw new ConfigError(key, 'a partial signature is missing (did every item of the map run?)');
    const text = Buffer.from(stored.body).toString('utf8');
    const json = JSON.parse(text) as Partial<PartFailure>;
    if (json.failure !== undefined) return json as PartFailure;
    return parseSignature(json, key);
  }

  /** The options a job signs with: the config's roles, and for a batch the model's reference (its edges). */
  async function optionsOf(modelId: string, kind: 'adopt' | 'ingest'): Promise<ReturnType<typeof signingOptions>> {
    const config = await repo.config(modelId);
    if (kind === 'adopt') return signingOptions(config);
    const state = await repo.state(modelId);
    const reference = state ? await repo.signature(state.value.reference.key, `reference ${state.value.reference.version} of model ${modelId}`) : undefined;
    return signingOptions(config, reference);
  }

  type FileFacts = { key: string; byteLength: number; units: readonly PlanUnit[] | undefined; etag: string | undefined };

  /** Each file's size and version, and with `footer` its units, a few dozen at a time, in file order. */
  async function readFiles(keys: readonly string[], what: 'footer' | 'version', pin: ObjectPin | undefined): Promise<FileFacts[]> {
    const files: FileFacts[] = new Array(keys.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < keys.length; i = next++) {
        const key = keys[i];
        const source = await open(key, pin);
        try {
          if (what === 'version') {
            files[i] = { key, byteLength: source.byteLength, units: undefined, etag: deps.versionOf?.(source) };
            continue;
          }
          const { units, etag } = await deps.describe(source);
          files[i] = { key, byteLength: source.byteLength, units, etag: pin?.etag ?? etag };
        } catch (err) {
          throw asInputError(key, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FOOTER_READ_CONCURRENCY, keys.length) }, worker));
    return files;
  }

  /**
   * The folder the Distributed Map may list instead of reading a manifest: the training keys' common folder,
   * when its objects are exactly those keys (a folder holding anything else, such as a `_SUCCESS` marker, is
   * read from the manifest). Its keys in S3's listing order, which a child's `$$.Map.Item.Index` follows.
   */
  async function listedFolder(trainingData: readonly string[]): Promise<{ prefix: string; keys: string[] } | undefined> {
    const prefix = commonFolder(trainingData);
    // S3 lists in UTF-8 byte order, the store sorts by UTF-16 code units: the same unless a key has a surrogate pair.
    if (prefix === undefined || trainingData.some((k) => /[\uD800-\uDFFF]/.test(k))) return undefined;
    const listed = await repo.store.list(prefix);
    const wanted = new Set(trainingData);
    if (listed.length !== wanted.size || !listed.every((k) => wanted.has(k))) return undefined;
    return { prefix, keys: listed };
  }

  /**
   * The first pass: unit 0 of the first file that has units, signed with the model's roles; its frames are the
   * ones the single pass would choose (from its first chunk). Undefined when no file has units (streams only).
   */
  async function firstPassFrames(modelId: string, files: readonly FileFacts[], pin: ObjectPin | undefined): Promise<ReturnType<typeof framesOf> | undefined> {
    for (const file of files) {
      const source = await open(file.key, pin ?? (file.etag ? { etag: file.etag } : undefined));
      try {
        // A listed folder's footers were not read: the first file's is read here (and only it, but for streams).
        const units = file.units ?? (await deps.describe(source)).units;
        if (units === undefined || units.length === 0) continue;
        return framesOf(await deps.sign([source], { ...signingOptions(await repo.config(modelId)), range: { start: 0, end: 1 } }));
      } catch (err) {
        throw asInputError(file.key, err);
      }
    }
    return undefined;
  }

  /** A listed item is the object the plan listed at its index, at the version the plan saw; else InvalidInputError. */
  function checkListed(item: ScaleOutItem, planned: StoredJob): void {
    const entry = planned.kind === 'adopt' ? planned.listing?.[item.index] : undefined;
    if (entry === undefined || entry.key !== item.key || entry.etag !== item.etag) {
      const saw = entry === undefined ? 'no object there' : `${entry.key} (ETag ${entry.etag})`;
      throw new InvalidInputError(item.key, `the training folder changed during the execution: item ${item.index} is this object (ETag ${item.etag ?? 'none'}), the plan listed ${saw}; upload the adoption manifest again`);
    }
  }

  /** The job's shared frames, when its plan stored them. */
  async function framesFor(jobId: string): Promise<ReturnType<typeof framesOf> | undefined> {
    const stored = await repo.store.get(scaleOutKeys.frames(jobId));
    if (stored === undefined) return undefined;
    return parseWith(framesSchema, JSON.parse(Buffer.from(stored.body).toString('utf8')), scaleOutKeys.frames(jobId));
  }

  return {
    async plan(input) {
      const resolved = await resolveJob(input);
      const keys = resolved.kind === 'adopt' ? resolved.trainingData : [resolved.key];
      const pin = resolved.kind === 'ingest' ? { etag: resolved.etag, ...(resolved.versionId ? { versionId: resolved.versionId } : {}) } : undefined;
      // A training set that is exactly one folder is listed by the Distributed Map itself: no manifest, no footers.
      const folder = resolved.kind === 'adopt' && deps.versionOf !== undefined ? await listedFolder(resolved.trainingData) : undefined;
      let files = await readFiles(folder?.keys ?? keys, folder !== undefined ? 'version' : 'footer', pin);
      // Listed, each file is one item: only when each fits one and has a version for its child to check.
      const listing = folder !== undefined && files.every((f) => f.etag !== undefined && f.byteLength <= deps.budget.maxItemBytes) ? files.map((f) => ({ key: f.key, etag: f.etag! })) : undefined;
      if (folder !== undefined && listing === undefined) files = await readFiles(keys, 'footer', pin);
      const job: StoredJob = resolved.kind === 'adopt' && listing !== undefined ? { ...resolved, listing } : resolved;
      // The job and the exact file versions: a file replaced since is a new job, never a mix of old and new parts.
      const jobId = `${job.kind}-${sha256(JSON.stringify({ job, files: files.map((f) => [f.key, f.etag ?? null, f.byteLength]) })).slice(0, 32)}`;
      const etags = new Map(files.map((f) => [f.key, f.etag]));
      const items: ScaleOutItem[] = planSigning(files, deps.budget).map((item) => {
        const etag = etags.get(item.key);
        return {
          jobId,
          modelId: job.modelId,
          kind: job.kind,
          index: item.index,
          key: item.key,
          ...(item.range ? { range: item.range } : {}),
          ...(etag ? { etag } : {}),
          ...(pin?.versionId ? { versionId: pin.versionId } : {}),
        };
      });
      // Written once: a re-run finds the same job, frames and manifest (their bytes depend on the job id only).
      await repo.store.putIfAbsent(scaleOutKeys.job(jobId), JSON.stringify(job));
      const frames = await firstPassFrames(job.modelId, files, pin);
      if (frames !== undefined) await repo.store.putIfAbsent(scaleOutKeys.frames(jobId), JSON.stringify(frames));
      if (listing === undefined) await repo.store.putIfAbsent(scaleOutKeys.manifest(jobId), JSON.stringify(items));
      const levels: MergeGroup[][] = [];
      let count = items.length;
      while (count > 1) {
        const level = levels.length;
        const groups = mergeGroups(count, fanIn).map((g, index) => ({ jobId, level, index, ...g }));
        levels.push(groups);
        count = groups.length;
      }
      deps.log?.({ step: 'scale-plan', jobId, modelId: job.modelId, files: files.length, items: items.length, levels: levels.length, listed: folder !== undefined && listing !== undefined });
      const reader = listing !== undefined ? { prefix: folder!.prefix } : { manifestKey: scaleOutKeys.manifest(jobId) };
      return { jobId, modelId: job.modelId, bucket: deps.bucket, ...reader, itemCount: items.length, levels, finalLevel: levels.length };
    },

    async signRange(item) {
      const partKey = scaleOutKeys.part(item.jobId, 0, item.index);
      const existing = await repo.store.get(partKey);
      // A stored failure is signed again: the file may have been replaced under the same key since.
      if (existing !== undefined && !('failure' in (JSON.parse(Buffer.from(existing.body).toString('utf8')) as object))) return { partKey, status: 'existing' };
      const options = await optionsOf(item.modelId, item.kind);
      const frames = await framesFor(item.jobId);
      // Read outside the try: a missing job is a ConfigError of the execution, not a failure of the file.
      const planned = item.listed ? await readJob(item.jobId) : undefined;
      let signature: DatasetSignature;
      try {
        if (planned !== undefined) checkListed(item, planned);
        const pin = item.etag ? { etag: item.etag, ...(item.versionId ? { versionId: item.versionId } : {}) } : undefined;
        const source = await open(item.key, pin);
        signature = await deps.sign([source], { ...options, ...(frames ? { frames } : {}), ...(item.range ? { range: item.range } : {}) });
      } catch (err) {
        const error = asInputError(item.key, err);
        if (!(error instanceof InvalidInputError)) throw error;
        const failure: PartFailure = { failure: { file: error.file, reason: error.reason } };
        await repo.store.put(partKey, JSON.stringify(failure), 'application/json');
        deps.log?.({ step: 'sign-range', jobId: item.jobId, index: item.index, key: item.key, outcome: 'failed', reason: error.reason });
        return { partKey, status: 'failed' };
      }
      await repo.store.put(partKey, serializeSignature(signature), 'application/json');
      deps.log?.({ step: 'sign-range', jobId: item.jobId, index: item.index, key: item.key, range: item.range, rows: signature.rowCount });
      return { partKey, status: 'stored' };
    },

    async mergeGroup(group) {
      const partKey = scaleOutKeys.part(group.jobId, group.level + 1, group.index);
      if (await repo.has(partKey)) return { partKey, status: 'existing' };
      const job = await readJob(group.jobId);
      const options = await optionsOf(job.modelId, job.kind);
      // Folded one partial at a time: memory holds the running merge and one partial, whatever the fan-in.
      let merged: DatasetSignature | undefined;
      let failure: PartFailure | undefined;
      for (let i = group.start; i < group.end && failure === undefined; i++) {
        const key = scaleOutKeys.part(group.jobId, group.level, i);
        // A listed folder that lost an object after the plan: the map ran fewer children than the plan's items.
        const gone = group.level === 0 && job.kind === 'adopt' ? job.listing?.[i] : undefined;
        if (gone !== undefined && !(await repo.has(key))) {
          throw new InvalidInputError(gone.key, `the training folder changed during the execution: the plan listed this object (ETag ${gone.etag}) at item ${i}, the map's listing did not; upload the adoption manifest again`);
        }
        const part = await readPart(key);
        if ('failure' in part) failure = part;
        else merged = merged === undefined ? part : mergePartials([merged, part], options);
      }
      await repo.store.putIfAbsent(partKey, failure !== undefined ? JSON.stringify(failure) : serializeSignature(merged!));
      return { partKey, status: 'stored' };
    },

    async finish(input, now) {
      const job = await readJob(input.jobId);
      const part = await readPart(scaleOutKeys.part(input.jobId, input.finalLevel, 0));
      if ('failure' in part) throw new InvalidInputError(part.failure.file, part.failure.reason);
      // A listed folder that gained an object after the plan: the map ran one child more than the plan's
      // items, whose failure no merge group reads (the tree covers the plan's items only). Stale when that
      // object is gone again (a re-run of the same job after it was removed): the plan's items are the set.
      if (job.kind === 'adopt' && job.listing !== undefined) {
        const extra = scaleOutKeys.part(input.jobId, 0, job.listing.length);
        const past = (await repo.has(extra)) ? await readPart(extra) : undefined;
        if (past !== undefined && 'failure' in past && (await repo.has(past.failure.file))) throw new InvalidInputError(past.failure.file, past.failure.reason);
      }
      const options = await optionsOf(job.modelId, job.kind);
      // Histogram edges chosen from the whole sketch, as the single pass chooses them (a one-item plan too).
      const signature = mergePartials([part], options);
      if (job.kind === 'ingest') {
        const sigKey = batchSignatureKey(job.modelId, job.key, job.etag);
        const stored = await repo.putSignature(sigKey, signature);
        deps.log?.({ step: 'scale-finish', jobId: input.jobId, modelId: job.modelId, key: job.key, signatureKey: sigKey, stored, rows: signature.rowCount });
        return stored ? { status: 'stored', modelId: job.modelId, signatureKey: sigKey, rows: signature.rowCount } : { status: 'duplicate', modelId: job.modelId, signatureKey: sigKey };
      }
      if (deps.install === undefined) throw new ConfigError('scale-out finish', 'has no reference installation for an adoption job');
      // The reference is stored first; installReference then finds it and does not sign the training data again.
      await repo.putSignature(referenceKey(job.modelId, job.version), signature);
      const outcome = job.action === 'adopt'
        ? await deps.install.adopt(job.modelId, { version: job.version, trainingData: job.trainingData }, now)
        : await deps.install.setReference(job.modelId, job.trainingData, now, job.version);
      deps.log?.({ step: 'scale-finish', jobId: input.jobId, ...outcome });
      return outcome;
    },
  };
}
