/**
 * Install a reference: the signature of a model version's training data becomes the model's reference
 * (`adopt`, closing its active proposal as adopted) or its first one (`setReference`). The cadence
 * restarts at the minimum interval; batches stored before are never compared with the new reference.
 */
import { INITIAL_AUTONOMY } from '../core/lifecycle/autonomy.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { isRetrainLesson, outcomeOf } from '../core/learning/outcomes.js';
import { stepRetrainOutcome } from './autonomy.js';
import type { AdoptionManifest } from '../core/lifecycle/adoption.js';
import { signingOptions } from '../core/lifecycle/config.js';
import { compactTime, referenceKey } from '../core/lifecycle/keys.js';
import { AUTOMATIC_ACTOR } from '../core/lifecycle/proposal.js';
import type { AdoptOutcome, CadenceChange, ModelState } from '../core/lifecycle/types.js';
import type { Log, SignSources } from '../core/ports.js';
import { asInputError } from './ingest-batch.js';
import type { ModelRepository } from './model-repository.js';

/** What installing a reference needs: the repository only. */
export interface InstallReferenceDeps {
  readonly repo: ModelRepository;
  /** Reads batch files into a signature (adapters/sign-sources.ts). */
  readonly sign: SignSources;
  readonly log?: Log;
}

/** The two ways to install a reference. */
export interface InstallReference {
  /** The retraining system reports a new model version: its training data becomes the reference. */
  adopt(modelId: string, input: AdoptInput, now: Date): Promise<AdoptOutcome>;
  /** Set the initial reference of a model from stored data files (adopt without a proposal). */
  setReference(modelId: string, keys: string[], now: Date, version?: string): Promise<AdoptOutcome>;
}

/** A version to adopt; with its manifest, the retrain's outcome is recorded too (and a failed one installs nothing). */
export interface AdoptInput {
  readonly version: string;
  readonly trainingData: string[];
  /** The validated adoption manifest, when the version came with one (the adopt function). */
  readonly manifest?: AdoptionManifest;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Build the use case.
 * @example
 * const { adopt } = installReference({ repo, sign: signSources });
 * await adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2/part-0.parquet'] }, new Date());
 */
export function installReference(deps: InstallReferenceDeps): InstallReference {
  const { repo } = deps;

  async function install(modelId: string, version: string, keys: string[], now: Date, action: 'adopt' | 'set-reference', featureImportance?: Readonly<Record<string, number>>): Promise<AdoptOutcome> {
    if (keys.length === 0) throw new InvalidInputError(`${modelId} ${version}`, 'expected at least one training data key');
    const config = await repo.config(modelId);
    const at = now.toISOString();
    const refKey = referenceKey(modelId, version);
    let rows: number;
    if (await repo.has(refKey)) {
      rows = (await repo.signature(refKey, 'reference')).rowCount;
    } else {
      const sources = await Promise.all(
        keys.map(async (k) => {
          try {
            return await repo.store.open(k);
          } catch (err) {
            throw new InvalidInputError(k, `training data not found in the store: ${message(err)}`, { cause: err });
          }
        }),
      );
      let signature;
      try {
        signature = await deps.sign(sources, signingOptions(config));
      } catch (err) {
        throw asInputError(keys.length === 1 ? keys[0] : `${modelId} ${version} training data`, err);
      }
      rows = signature.rowCount;
      await repo.putSignature(refKey, signature);
    }

    const min = config.cadence.minCheckInterval;
    let previous: ModelState | undefined;
    const written = await repo.upsertState(modelId, async (current) => {
      previous = current;
      if (current?.reference.version === version) return null;
      // Batches stored before this reference were signed on the old bin edges: never compare them with it.
      const consumed = await repo.signatureKeys(modelId);
      return {
        schemaVersion: 1,
        modelId,
        // The manifest's importances travel with the reference they were measured on (check-model.ts uses them).
        reference: { version, key: refKey, at, ...(featureImportance !== undefined ? { featureImportance: { ...featureImportance } } : {}) },
        lastRetrainAt: at,
        checkIntervalSeconds: min,
        nextCheckAt: new Date(now.getTime() + min * 1000).toISOString(),
        lastCheckAt: current?.lastCheckAt ?? null,
        consumed,
        history: [],
        cadence: [{ at, checkIntervalSeconds: min, previousIntervalSeconds: current?.checkIntervalSeconds ?? min, reason: `new reference ${version}: cadence restarts at the minimum interval` }],
        forecast: null,
        activeProposalId: null,
        rejected: null,
        snoozedUntil: null,
        // A new reference starts clean; an incident about the old data does not carry over.
        incident: null,
        // Earned autonomy and what people taught belong to the model, not to one reference.
        autonomy: current?.autonomy ?? INITIAL_AUTONOMY,
      };
    });
    const state = written?.value;
    if (state === undefined || !written?.changed) {
      return { status: 'already-adopted', modelId, version, referenceKey: refKey, rows, proposalId: null, nextCheckAt: state?.nextCheckAt ?? at };
    }
    let proposalId: string | null = null;
    const active = previous?.activeProposalId;
    if (action === 'adopt' && active) {
      // The state named a proposal whose document never appeared (its writer died): nothing to close.
      const closed = await repo.apply(modelId, active, { type: 'adopt', version }).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      if (closed?.changed) proposalId = active;
    }
    await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action, ...(proposalId ? { proposalId } : {}), evidence: { version, referenceKey: refKey, trainingData: keys, rows } });
    const reset: CadenceChange = state.cadence[0];
    if (reset.previousIntervalSeconds !== min) await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'cadence', evidence: { ...reset } });
    deps.log?.({ step: action, modelId, version, referenceKey: refKey, rows, at });
    return { status: 'adopted', modelId, version, referenceKey: refKey, rows, proposalId, nextCheckAt: state.nextCheckAt };
  }

  /** Record the retrain's outcome against the proposal it answered; a failed or rolled-back one is a lesson. */
  async function recordOutcome(modelId: string, manifest: AdoptionManifest, proposalId: string | null, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const answered = manifest.proposalId ?? proposalId ?? undefined;
    const proposal = answered === undefined ? undefined : await repo.proposal(modelId, answered);
    const outcome = outcomeOf(manifest, proposal, at);
    const recorded = await repo.recordOutcome(modelId, outcome);
    if (recorded?.changed && isRetrainLesson(outcome)) {
      await repo.appendLog({
        at,
        modelId,
        actor: AUTOMATIC_ACTOR,
        action: 'lesson',
        ...(outcome.proposalId !== null ? { proposalId: outcome.proposalId } : {}),
        evidence: { version: outcome.version, status: outcome.status, drifted: outcome.drifted, driftIndex: outcome.driftIndex, metric: outcome.metric, validationScore: outcome.validationScore, previousScore: outcome.previousScore, gain: outcome.gain },
      });
      // The same lesson drops an earned autonomy level to manual at once (core/lifecycle/autonomy.ts).
      await stepRetrainOutcome(repo, modelId, { proposalId: outcome.proposalId ?? `version-${outcome.version}`, status: outcome.status === 'failed' ? 'failed' : 'rolled-back' }, at);
    }
    return recorded?.changed ?? false;
  }

  async function adopt(modelId: string, input: AdoptInput, now: Date): Promise<AdoptOutcome> {
    const manifest = input.manifest;
    if (manifest !== undefined && isRetrainLesson({ status: manifest.status ?? 'adopted' })) {
      // A retrain that failed or was rolled back never becomes the reference: the current one stays.
      const current = await repo.state(modelId);
      if (current === undefined) throw new InvalidInputError(`${modelId} ${input.version}`, `a ${manifest.status} retrain cannot set the first reference of model ${modelId}`);
      await recordOutcome(modelId, manifest, current.value.activeProposalId, now);
      deps.log?.({ step: 'lesson', modelId, version: input.version, status: manifest.status, at: now.toISOString() });
      const s = current.value;
      return { status: 'not-adopted', modelId, version: input.version, referenceKey: s.reference.key, rows: 0, proposalId: null, nextCheckAt: s.nextCheckAt };
    }
    const activeBefore = (await repo.state(modelId))?.value.activeProposalId ?? null;
    const outcome = await install(modelId, input.version, input.trainingData, now, 'adopt', manifest?.featureImportance);
    if (manifest !== undefined) await recordOutcome(modelId, manifest, outcome.proposalId ?? activeBefore, now);
    return outcome;
  }

  return {
    adopt,
    setReference: (modelId, keys, now, version = `baseline-${compactTime(now)}`) => install(modelId, version, keys, now, 'set-reference'),
  };
}
