/**
 * The whole lifecycle on one set of ports, for the embedded default (the CLI, the demo, one machine):
 * the use cases composed over one repository. The Lambda handlers do not use it: each wires only the
 * use case it runs, with only the ports that use case needs (see handlers/runtime.ts).
 */
import type { ModelConfig, ModelConfigInput } from '../core/lifecycle/config.js';
import type { AdoptOutcome, CheckDueOutcome, CheckOutcome, DecideOutcome, DecisionAction, DecisionLogEntry, IngestOutcome, ModelState, Proposal, TokenDescription } from '../core/lifecycle/types.js';
import type { EventSink, Log, Notifier, ObjectStore, SignSources } from '../core/ports.js';
import { type CheckModel, checkModel } from './check-model.js';
import type { OwnerActions } from './autonomy.js';
import { type DecideOptions, type Decider, decider } from './decide.js';
import { type IngestBatch, ingestBatch } from './ingest-batch.js';
import { type AdoptInput, type InstallReference, installReference } from './install-reference.js';
import { ModelRepository } from './model-repository.js';
import { hmacLinks, incidentNoticeSender, noticeSender, ownerNoticeSender } from './notify.js';
import { type RunDueChecks, runDueChecks } from './run-due-checks.js';
import { type ReviewActions, reviewNoticeSender, runDueReviews } from './review.js';

export { DecisionTokenError } from '../core/lifecycle/token.js';
export { AUTOMATIC_ACTOR, CLAIM_LEASE_SECONDS } from '../core/lifecycle/proposal.js';
export { DEFAULT_SNOOZE_SECONDS } from './decide.js';
export type { AdoptOutcome, CheckDueOutcome, CheckOutcome, DecideOutcome, DecisionAction, IngestOutcome, TokenDescription };

/** Every port of the lifecycle: the embedded default has them all. */
export interface LifecycleDeps {
  readonly store: ObjectStore;
  readonly notifier: Notifier;
  readonly events: EventSink;
  /** Reads batch files into signatures (adapters/sign-sources.ts). */
  readonly sign: SignSources;
  /** HMAC key of decision tokens. */
  readonly secret: Uint8Array | string;
  /** Base of decision links: `${decideBaseUrl}/decide?token=...`. */
  readonly decideBaseUrl: string;
  /** Turns a report key into a URL for the notice. @default no report link */
  readonly reportUrl?: (key: string) => Promise<string>;
  /** Structured log sink (one object per step). @default none */
  readonly log?: Log;
}

/**
 * A model's lifecycle over ports: ingest batches, check on the adaptive cadence, propose a retrain,
 * take signed decisions, emit the retrain event, adopt the new reference.
 * @example
 * const lifecycle = new Lifecycle({ store, notifier, events, sign: signSources, secret, decideBaseUrl: 'http://127.0.0.1:8080' });
 * await lifecycle.ingest('batches/fraud/2026-01-01.parquet', new Date());
 * await lifecycle.checkDue(new Date());
 */
export class Lifecycle {
  readonly repo: ModelRepository;
  readonly ingest: IngestBatch;
  readonly check: CheckModel;
  readonly checkDue: RunDueChecks;
  private readonly decider: Decider;
  private readonly references: InstallReference;

  constructor(deps: LifecycleDeps) {
    const repo = new ModelRepository(deps.store);
    const log = deps.log;
    const links = hmacLinks({ secret: deps.secret, baseUrl: deps.decideBaseUrl, ...(deps.reportUrl ? { reportLink: deps.reportUrl } : {}) });
    const sendNotice = noticeSender({ repo, notifier: deps.notifier, links, log });
    const sendIncidentNotice = incidentNoticeSender({ repo, notifier: deps.notifier, links, log });
    this.repo = repo;
    this.ingest = ingestBatch({ repo, sign: deps.sign, log });
    this.check = checkModel({ repo, sendNotice, sendIncidentNotice, log });
    const sendOwnerNotices = ownerNoticeSender({ repo, notifier: deps.notifier, links, log });
    const sendReviewNotice = reviewNoticeSender({ repo, notifier: deps.notifier, links, log });
    this.checkDue = runDueChecks({
      repo,
      check: this.check,
      tend: { repo, sendNotice, sendIncidentNotice, sendOwnerNotices, sendReviewNotice, events: deps.events, log },
      reviews: runDueReviews({ repo, sendReviewNotice, log }),
      log,
    });
    this.decider = decider({ repo, events: deps.events, secret: deps.secret, log });
    this.references = installReference({ repo, sign: deps.sign, log });
  }

  /** Validate and store a model configuration (`config/<modelId>.json`). */
  putConfig(config: ModelConfig | ModelConfigInput): Promise<ModelConfig> {
    return this.repo.putConfig(config);
  }

  /** Take a decision from a signed link (see decide.ts). */
  decide(token: string, action: DecisionAction, now: Date, opts?: DecideOptions): Promise<DecideOutcome> {
    return this.decider.decide(token, action, now, opts);
  }

  /** The owner's links: accept an offered level or a suggested config change, lower the level, a retrain's outcome (service/autonomy.ts). */
  get owner(): OwnerActions {
    return this.decider.owner;
  }

  /** Review links: show a round's rows, take the verdicts (service/review.ts). */
  get review(): ReviewActions {
    return this.decider.review;
  }

  /** Verify a token without consuming it, for the confirmation page (GET). */
  describeToken(token: string, now: Date): Promise<TokenDescription> {
    return this.decider.describeToken(token, now);
  }

  /** The retraining system reports a new model version: its training data becomes the reference. */
  adopt(modelId: string, input: AdoptInput, now: Date): Promise<AdoptOutcome> {
    return this.references.adopt(modelId, input, now);
  }

  /** Set the initial reference of a model from stored data files. */
  setReference(modelId: string, keys: string[], now: Date, version?: string): Promise<AdoptOutcome> {
    return this.references.setReference(modelId, keys, now, version);
  }

  /** The decision log of a model, oldest first. */
  decisionLog(modelId: string): Promise<DecisionLogEntry[]> {
    return this.repo.decisionLog(modelId);
  }

  /** The model's state, or undefined before its first reference. */
  async state(modelId: string): Promise<ModelState | undefined> {
    return (await this.repo.state(modelId))?.value;
  }

  /** One proposal, or undefined. */
  proposal(modelId: string, proposalId: string): Promise<Proposal | undefined> {
    return this.repo.proposal(modelId, proposalId);
  }
}
