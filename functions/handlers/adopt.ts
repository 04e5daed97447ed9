/**
 * Adopt handler: a retraining system (or `driftgate adopt`) uploads an adoption manifest to
 * `adoptions/<modelId>/<version>.json`; S3 invokes this function asynchronously with the plain S3 event.
 * It validates the manifest, then installs the training data's signature as the model's reference:
 * `adopt` when the model already has one (closing its active proposal), else `setReference`.
 *
 * Idempotent: the lifecycle answers `already-adopted` when the version is already the reference, and a
 * late re-delivery of an older manifest (its version was installed at or after the manifest's upload, and
 * another version has been adopted since) is skipped as `superseded`, so it never rolls the model back.
 * A record that fails is logged with its key; the invocation then throws so Lambda retries it and finally
 * sends it to the on-failure destination (whose depth raises an alarm).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createEventBridgeClient, createS3Client, endpointFromEnv } from '../adapters/aws-clients.js';
import { SERVICE_NAME } from '../core/constants.js';
import { DriftgateError, InvalidInputError } from '../core/errors.js';
import { ADOPTIONS_PREFIX, type AdoptionManifest, parseStoredAdoptionManifest } from '../core/lifecycle/adoption.js';
import type { AdoptOutcome, DecisionLogEntry, ModelState } from '../core/lifecycle/types.js';
import type { ObjectStore } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { createTelemetry, type Telemetry } from '../service/logger.js';
import { type Handler, type PortOrFactory, lambdaEntry, portOf, withTelemetry } from './lambda-entry.js';
import { awsAdopt, readFunctionEnv, readScaleOutStart, scaleOutStarter, trainingBytes } from './runtime.js';
import { type S3ObjectRef, objectsOf, s3NotificationSchema, s3TestEventSchema } from './s3-event.js';

/** Powertools service name of the adopt function (the `service` dimension of its metrics). */
export const ADOPT_SERVICE_NAME = SERVICE_NAME.adopt;

/** Metrics the adopt function emits (namespace Driftgate, dimension modelId where known). */
export const ADOPT_METRIC = {
  adoptions: 'Adoptions',
  adoptFailures: 'AdoptFailures',
} as const;

/** The use case this handler needs (service/install-reference.ts) and the two reads it checks manifests against. */
export interface AdoptPort {
  adopt(modelId: string, input: { version: string; trainingData: string[]; manifest?: AdoptionManifest }, now: Date): Promise<AdoptOutcome>;
  setReference(modelId: string, keys: string[], now: Date, version?: string): Promise<AdoptOutcome>;
  state(modelId: string): Promise<ModelState | undefined>;
  decisionLog(modelId: string): Promise<DecisionLogEntry[]>;
}

/** What the adopt handler is built from. */
export interface AdoptDeps {
  /** The use case, built per invocation (cheap) or once. */
  readonly references: PortOrFactory<AdoptPort>;
  /** Reads the manifests (the same bucket as the lifecycle's store). */
  readonly manifests: Pick<ObjectStore, 'get'>;
  /** The bucket manifests are uploaded to; notifications for another bucket are refused. */
  readonly bucket: string;
  readonly telemetry: Telemetry;
  /**
   * The clock.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
  /** Where training sets above a size go (lib/scale-out.ts). @default none: every version is signed here */
  readonly scaleOut?: AdoptScaleOut;
}

/** Hands an adoption whose training data is too large for one invocation to the scale-out state machine. */
export interface AdoptScaleOut {
  /** Training sets of more bytes than this are handed over. */
  readonly thresholdBytes: number;
  /** Bytes of the training data, summed until past `over` (so a huge set costs a few HEADs, not thousands). */
  trainingBytes(keys: readonly string[], over: number): Promise<number>;
  /** Starts (idempotently) the execution that installs the manifest; returns its name. */
  start(job: { kind: 'adopt'; manifestKey: string; action: 'adopt' | 'set-reference' }): Promise<string>;
}

/** What happened to one manifest. */
export type AdoptRecordResult =
  | (AdoptOutcome & { readonly key: string; readonly action: 'adopt' | 'set-reference' })
  | {
      readonly status: 'superseded';
      readonly key: string;
      readonly modelId: string;
      readonly version: string;
      /** The reference version that stays current. */
      readonly currentVersion: string;
    }
  | { readonly status: 'ignored'; readonly key: string; readonly reason: string }
  | { readonly status: 'scaled-out'; readonly key: string; readonly modelId: string; readonly version: string; readonly execution: string };

/** What one invocation did, one entry per S3 record. */
export interface AdoptRunResult {
  readonly results: readonly AdoptRecordResult[];
}

/** One or more manifests failed; the message names each key and why. */
export class AdoptRunError extends DriftgateError {
  constructor(readonly failed: readonly { key: string; error: string }[]) {
    super(`adoption failed for ${failed.map((f) => `${f.key} (${f.error})`).join('; ')}`);
  }
}

/** One manifest upload named by the S3 event. */
type ManifestRef = S3ObjectRef;

/**
 * Build the S3-triggered adopt handler over injected dependencies.
 * @example
 * const handler = makeAdoptHandler({ references: port, manifests: store, bucket: 'data', telemetry: createTelemetry('driftgate-adopt') });
 * const { results } = await handler(s3Event);
 */
export function makeAdoptHandler(deps: AdoptDeps): Handler<AdoptRunResult> {
  const clock = deps.clock ?? (() => new Date());
  const { logger, metrics } = deps.telemetry;
  return withTelemetry(deps.telemetry, async (event) => {
    if (s3TestEventSchema.safeParse(event).success) {
      logger.info('ignored the S3 test event');
      return { results: [] };
    }
    const s3Event = parseWith(s3NotificationSchema, event, 'adopt event (S3 notification)');
    const references = await portOf(deps.references);
    const results: AdoptRecordResult[] = [];
    const failed: { key: string; error: string }[] = [];
    for (const ref of objectsOf(s3Event)) {
      try {
        const result = await adoptOne(references, ref);
        results.push(result);
        logResult(result);
      } catch (error) {
        const text = errorText(error);
        // One line that names the manifest and why; the invocation is retried, then sent to the on-failure destination.
        logger.error(`could not adopt s3://${ref.bucket}/${ref.key}: ${text}`, {
          bucket: ref.bucket,
          key: ref.key,
          errorName: error instanceof Error ? error.name : typeof error,
        });
        metrics.singleMetric().addMetric(ADOPT_METRIC.adoptFailures, MetricUnit.Count, 1);
        failed.push({ key: ref.key, error: text });
      }
    }
    if (failed.length > 0) throw new AdoptRunError(failed);
    return { results };
  });

  async function adoptOne(lifecycle: AdoptPort, ref: ManifestRef): Promise<AdoptRecordResult> {
    if (!ref.eventName.startsWith('ObjectCreated:')) {
      return { status: 'ignored', key: ref.key, reason: `not a creation event (${ref.eventName})` };
    }
    if (ref.bucket !== deps.bucket) {
      throw new InvalidInputError(`s3://${ref.bucket}/${ref.key}`, `expected a manifest uploaded to bucket ${deps.bucket}`);
    }
    if (!ref.key.startsWith(ADOPTIONS_PREFIX)) {
      return { status: 'ignored', key: ref.key, reason: `not under ${ADOPTIONS_PREFIX}` };
    }
    const stored = await deps.manifests.get(ref.key);
    if (stored === undefined) {
      throw new InvalidInputError(ref.key, 'the manifest no longer exists (deleted before it was read?)');
    }
    const manifest = parseStoredAdoptionManifest(ref.key, Buffer.from(stored.body).toString('utf8'));
    const { modelId, version, trainingData } = manifest;
    const state = await lifecycle.state(modelId);
    if (state !== undefined && state.reference.version !== version && ref.eventTime !== undefined) {
      const uploadedAt = Date.parse(ref.eventTime);
      const installedSince = (await lifecycle.decisionLog(modelId)).some(
        (entry) =>
          (entry.action === 'adopt' || entry.action === 'set-reference') &&
          entry.evidence.version === version &&
          Date.parse(entry.at) >= uploadedAt,
      );
      if (installedSince) {
        return { status: 'superseded', key: ref.key, modelId, version, currentVersion: state.reference.version };
      }
    }
    const scale = deps.scaleOut;
    if (scale !== undefined && state?.reference.version !== version && (await scale.trainingBytes(trainingData, scale.thresholdBytes)) > scale.thresholdBytes) {
      const execution = await scale.start({ kind: 'adopt', manifestKey: ref.key, action: state === undefined ? 'set-reference' : 'adopt' });
      return { status: 'scaled-out', key: ref.key, modelId, version, execution };
    }
    const now = clock();
    if (state === undefined) {
      const outcome = await lifecycle.setReference(modelId, [...trainingData], now, version);
      return { ...outcome, key: ref.key, action: 'set-reference' };
    }
    if (manifest.proposalId !== undefined && manifest.proposalId !== state.activeProposalId) {
      logger.warn('the manifest names a proposal that is not the active one; adopting anyway', {
        key: ref.key,
        modelId,
        proposalId: manifest.proposalId,
        activeProposalId: state.activeProposalId,
      });
    }
    const outcome = await lifecycle.adopt(modelId, { version, trainingData: [...trainingData], manifest }, now);
    return { ...outcome, key: ref.key, action: 'adopt' };
  }

  function logResult(result: AdoptRecordResult): void {
    if (result.status === 'ignored') {
      logger.info('manifest ignored', { ...result });
      return;
    }
    if (result.status === 'scaled-out') {
      logger.info('training data handed to the scale-out state machine', { ...result });
      return;
    }
    if (result.status === 'superseded') {
      logger.info('manifest superseded: a later version is the reference', { ...result });
      return;
    }
    if (result.status === 'adopted') {
      metrics.singleMetric().addDimension('modelId', result.modelId).addMetric(ADOPT_METRIC.adoptions, MetricUnit.Count, 1);
    }
    logger.info(result.status === 'adopted' ? 'reference installed' : 'reference already installed', { ...result });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<AdoptRunResult> = lambdaEntry(() => {
  const env = readFunctionEnv('adopt', process.env);
  const telemetry = createTelemetry(ADOPT_SERVICE_NAME);
  const { port, store } = awsAdopt({ env, clients: { s3: createS3Client({ endpoint: endpointFromEnv(process.env) }), events: createEventBridgeClient({ endpoint: endpointFromEnv(process.env) }) }, log: (entry) => telemetry.logger.debug('use case', entry) });
  // Training sets over the threshold go to the scale-out state machine when the stack has one (lib/scale-out.ts).
  const scale = readScaleOutStart('adopt', process.env);
  const scaleOut = scale && { thresholdBytes: scale.thresholdBytes, start: scaleOutStarter(scale, process.env), trainingBytes: (keys: readonly string[], over: number) => trainingBytes(store, keys, over) };
  return makeAdoptHandler({ references: port, manifests: store, bucket: env.bucket, telemetry, scaleOut });
});
