/**
 * Ingest a batch: sign one uploaded file and store its signature once. The signature's key derives from
 * the upload's key and ETag, so a re-delivered notification is a duplicate, never a second signature.
 * A stored signature is also added to its hour's and day's roll-up (`repo.rollUp`), so a check reads a
 * handful of documents whatever the batch rate.
 */
import { createHash } from 'node:crypto';
import type { ColumnBatch } from '../core/columns.js';
import { AdapterError, DriftgateError, InvalidInputError, ObjectChangedError } from '../core/errors.js';
import { signingOptions } from '../core/lifecycle/config.js';
import { signatureKey } from '../core/lifecycle/keys.js';
import type { IngestOutcome } from '../core/lifecycle/types.js';
import type { Log, ObjectPin, SignSources } from '../core/ports.js';
import type { ModelRepository } from './model-repository.js';
import { MAX_SAMPLE_ROWS, type RowSample, SampleAccumulator, sampleColumns } from '../core/signature/sample.js';
import { keepBatchSample } from './review.js';

/** A batch's review sample, built from the batches the signature reads (the upload key is the rows' source). */
function batchSampler(key: string, exclude: readonly string[]): { add: (source: string, batch: ColumnBatch) => void; finish: () => RowSample | undefined } {
  let acc: SampleAccumulator | undefined;
  return {
    add: (_source, batch) => {
      acc ??= new SampleAccumulator(sampleColumns([...batch.columns.keys()], exclude), MAX_SAMPLE_ROWS, key);
      acc.add(batch);
    },
    finish: () => acc?.finish(),
  };
}

/** What ingesting needs: the repository only (no topic, no secret). */
export interface IngestDeps {
  readonly repo: ModelRepository;
  /** Reads batch files into a signature (adapters/sign-sources.ts). */
  readonly sign: SignSources;
  readonly log?: Log;
  /** Where batches above a size go. @default none: every batch is signed here */
  readonly scaleOut?: BatchScaleOut;
}

/** Key of an upload's signature: one per upload key and ETag, so a re-delivered event is a duplicate. */
export function batchSignatureKey(modelId: string, key: string, etag: string): string {
  return signatureKey(modelId, sha256(`${key}\n${etag}`));
}

/**
 * Hands a batch too large for one invocation to the scale-out state machine (service/scale-out.ts), which
 * stores its signature under the same key later.
 */
export interface BatchScaleOut {
  /** Batches of more bytes than this are handed over. */
  readonly thresholdBytes: number;
  /** Starts (idempotently: one execution per upload) the signing of this batch; returns the execution's name. */
  start(job: { kind: 'ingest'; modelId: string; key: string; etag: string; versionId?: string }): Promise<string>;
}

/** Ingests one stored upload. */
export type IngestBatch = (key: string, now: Date, opts?: ObjectPin) => Promise<IngestOutcome>;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A failure to read a batch becomes an InvalidInputError naming the store key (adapter failures stay retryable). */
export function asInputError(key: string, err: unknown): Error {
  if (err instanceof InvalidInputError) return err.file === key ? err : new InvalidInputError(key, err.reason, { cause: err });
  if (err instanceof AdapterError) return err;
  if (err instanceof DriftgateError) return new InvalidInputError(key, err.message, { cause: err });
  return new InvalidInputError(key, `cannot read the batch: ${message(err)}`, { cause: err });
}

/**
 * Build the ingest use case.
 * @example
 * const ingest = ingestBatch({ repo, sign: signSources });
 * await ingest('batches/fraud/2026-01-01.parquet', new Date());
 */
export function ingestBatch(deps: IngestDeps): IngestBatch {
  const { repo } = deps;
  return async (key, now, opts = {}) => {
    const base = key.slice(key.lastIndexOf('/') + 1);
    if (base === '' || base.startsWith('_') || base.startsWith('.')) {
      // Folder markers and writer side files (_SUCCESS, .crc) are not batches.
      return { status: 'ignored', key, reason: 'a folder marker or writer side file, not a batch' };
    }
    const { configs, broken } = await repo.configs();
    const config = configs.filter((c) => key.startsWith(c.batchPrefix)).sort((a, b) => b.batchPrefix.length - a.batchPrefix.length)[0];
    // A broken config only fails the keys that may be its batches (under its raw batchPrefix, or under
    // batches/<modelId>/ when even that is unreadable) and at least as specific as a working match.
    const owner = broken.find((b) => key.startsWith(b.prefix) && (!config || b.prefix.length >= config.batchPrefix.length));
    if (owner) throw owner.error;
    if (!config) {
      if (broken.length > 0) deps.log?.({ step: 'ingest', key, skippedConfigs: broken.map((b) => ({ source: b.error.source, error: b.error.message })), at: now.toISOString() });
      return { status: 'ignored', key, reason: 'no model has a batchPrefix containing this key' };
    }
    const modelId = config.modelId;
    const etag = opts.etag ?? (await repo.store.get(key))?.etag;
    if (etag === undefined) throw new InvalidInputError(key, 'the uploaded object does not exist (deleted before it was read?)');
    const sigKey = batchSignatureKey(modelId, key, etag);
    if (await repo.has(sigKey)) return { status: 'duplicate', modelId, signatureKey: sigKey };
    const state = await repo.state(modelId);
    const reference = state ? await repo.signature(state.value.reference.key, `reference ${state.value.reference.version} of model ${modelId}`) : undefined;
    let signature;
    let sampled: RowSample | undefined;
    try {
      // Exactly the version the event named: an object overwritten since is a new upload with its own event.
      const source = await repo.store.open(key, { etag, ...(opts.versionId ? { versionId: opts.versionId } : {}) });
      if (deps.scaleOut !== undefined && source.byteLength > deps.scaleOut.thresholdBytes) {
        const execution = await deps.scaleOut.start({ kind: 'ingest', modelId, key, etag, ...(opts.versionId ? { versionId: opts.versionId } : {}) });
        deps.log?.({ step: 'ingest', modelId, key, bytes: source.byteLength, outcome: 'scaled-out', execution, at: now.toISOString() });
        return { status: 'ignored', key, reason: `${source.byteLength} bytes, over the ${deps.scaleOut.thresholdBytes}-byte threshold: handed to the scale-out state machine (execution ${execution}), which stores its signature` };
      }
      // Review samples (opt-in): the rows are taken from the batches the signature reads, never from an excluded column.
      const sampler = config.review ? batchSampler(key, config.review.exclude) : undefined;
      signature = await deps.sign([source], { ...signingOptions(config, reference), ...(sampler ? { onBatch: sampler.add } : {}) });
      if (sampler) sampled = sampler.finish();
    } catch (err) {
      if (err instanceof ObjectChangedError) {
        deps.log?.({ step: 'ingest', modelId, key, etag, versionId: opts.versionId, outcome: 'version-gone', reason: err.message, at: now.toISOString() });
        return { status: 'ignored', key, reason: `${err.message}; the newer content has an upload event of its own` };
      }
      throw asInputError(key, err);
    }
    // Kept before the signature: a re-delivery after a crash in between merges the same rows again, harmlessly.
    // A sample only feeds reviews, so a failure to keep it is logged, never a failed ingest (like a roll-up).
    if (sampled) {
      await keepBatchSample(repo, modelId, sampled, now).catch((err: unknown) => {
        deps.log?.({ step: 'ingest', modelId, key, sample: 'failed', reason: message(err), at: now.toISOString() });
      });
    }
    const stored = await repo.putSignature(sigKey, signature);
    deps.log?.({ step: 'ingest', modelId, key, signatureKey: sigKey, stored, rows: signature.rowCount, at: now.toISOString() });
    if (stored && state) {
      // The roll-ups only spare the check reads: a batch missing from them is read on its own, so a failure
      // here is logged, not retried (a redelivery would find the signature stored and roll nothing up).
      await repo.rollUp(modelId, state.value.reference.version, sigKey, signature, now).catch((err: unknown) => {
        deps.log?.({ step: 'ingest', modelId, key, signatureKey: sigKey, rollup: 'failed', reason: message(err), at: now.toISOString() });
      });
    }
    return stored ? { status: 'stored', modelId, signatureKey: sigKey, rows: signature.rowCount } : { status: 'duplicate', modelId, signatureKey: sigKey };
  };
}
