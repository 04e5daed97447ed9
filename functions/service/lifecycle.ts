import { createHash, randomBytes } from 'node:crypto';
import { compare } from '../core/drift/index.js';
import type { DriftResult } from '../core/drift/types.js';
import { AdapterError, ConfigError, DriftgateError, InvalidInputError } from '../core/errors.js';
import { cadenceChange, forecastCrossing, nextCheckInterval, retrainBy } from '../core/lifecycle/cadence.js';
import { type ModelConfig, type ModelConfigInput, parseModelConfig, signatureRoles } from '../core/lifecycle/config.js';
import {
  CONFIG_PREFIX,
  configKey,
  decisionLogKey,
  modelIdOfConfigKey,
  proposalKey,
  referenceKey,
  reportKey,
  signatureKey,
  signaturePrefix,
  stateKey,
  tokenKey,
} from '../core/lifecycle/keys.js';
import { decideProposal, driftedFeatures, evidenceFingerprint } from '../core/lifecycle/proposal-rules.js';
import { DecisionTokenError, signToken, tokenUseId, verifyToken } from '../core/lifecycle/token.js';
import {
  type AdoptOutcome,
  type CheckDueOutcome,
  type CheckOutcome,
  type DecideOutcome,
  type DecisionAction,
  type DecisionLogEntry,
  HISTORY_LIMIT,
  type IngestOutcome,
  type ModelState,
  type Proposal,
  type ProposalEvent,
  type ProposalOpened,
  type ProposalStatus,
  type TokenDescription,
  modelStateSchema,
  proposalSchema,
} from '../core/lifecycle/types.js';
import type { EventSink, Notifier, ObjectStore, RetrainRequested } from '../core/ports.js';
import { NOTICE_SUBJECT_MAX_CHARS, parseReportJson, renderHtmlReport, renderNotice, renderReportJson } from '../core/report/index.js';
import type { CadenceChange, HistoryPoint, ReportInput } from '../core/report/types.js';
import { parseWith } from '../core/schema-parse.js';
import { mergeAll, parseSignature, serializeSignature } from '../core/signature/index.js';
import type { DatasetSignature } from '../core/signature/types.js';
import { signSources } from './sign-files.js';

export type { AdoptOutcome, CheckDueOutcome, CheckOutcome, DecideOutcome, DecisionAction, IngestOutcome, TokenDescription };
export { DecisionTokenError };

/** What the lifecycle needs from the outside world. */
export interface LifecycleDeps {
  readonly store: ObjectStore;
  readonly notifier: Notifier;
  readonly events: EventSink;
  /** HMAC key of decision tokens. */
  readonly secret: Uint8Array | string;
  /** Base of decision links: `${decideBaseUrl}/decide?token=...`. */
  readonly decideBaseUrl: string;
  /** Turns a report key into a URL for the notice (e.g. a presigned S3 URL). */
  readonly reportUrl?: (key: string) => Promise<string>;
  /** Structured log sink (one object per step). */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** Who automatic steps are recorded as. */
export const AUTOMATIC_ACTOR = 'driftgate';
/** Default snooze when the link does not say. */
export const DEFAULT_SNOOZE_SECONDS = 7 * 86_400;
/** An approved proposal whose event was not recorded after this long is republished by checkDue (crash recovery). */
export const REPUBLISH_AFTER_SECONDS = 300;
/** Bounded retries of a read–conditional write loop. */
const MAX_TRIES = 10;

const ACTION_STATUS = { approve: 'approved', reject: 'rejected', snooze: 'snoozed' } as const satisfies Record<DecisionAction, ProposalStatus>;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function addSeconds(at: Date, seconds: number): string {
  return new Date(at.getTime() + seconds * 1000).toISOString();
}

/** `20260101T120000Z`: sortable, key-safe. */
function compactTime(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The JSON of a state document, validated first: a value JSON cannot hold (Infinity, NaN become null) would
 * make every later read fail, so it fails this one write instead, naming the field.
 */
function stateJson(state: ModelState): string {
  return json(parseWith(modelStateSchema, state, `${stateKey(state.modelId)} (refused before writing)`));
}

/** The JSON of a proposal document, validated first (see `stateJson`). */
function proposalJson(proposal: Proposal): string {
  return json(parseWith(proposalSchema, proposal, `${proposalKey(proposal.modelId, proposal.proposalId)} (refused before writing)`));
}

function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A model's lifecycle over ports: ingest batches, check on the adaptive cadence, propose a retrain,
 * take signed decisions, emit the retrain event, adopt the new reference. Every step is idempotent and
 * every state change conditional (putIfAbsent to create, putIfMatch to update, re-read and retry on a
 * conflict), so concurrent Lambdas or processes over one store agree.
 *
 * @example
 * const lifecycle = new Lifecycle({ store, notifier, events, secret, decideBaseUrl: 'https://x/prod' });
 * await lifecycle.ingest('batches/fraud/2026-01-01.parquet', new Date());
 * await lifecycle.checkDue(new Date());
 */
export class Lifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /** Validate and store a model configuration (`config/<modelId>.json`). */
  async putConfig(config: ModelConfig | ModelConfigInput): Promise<ModelConfig> {
    const parsed = parseModelConfig(config, `config for ${String((config as { modelId?: unknown }).modelId)}`);
    await this.deps.store.put(configKey(parsed.modelId), json(config), 'application/json');
    return parsed;
  }

  /** Sign one uploaded batch and store its signature once (a re-delivered upload is a duplicate). */
  async ingest(key: string, now: Date, opts: { etag?: string } = {}): Promise<IngestOutcome> {
    const { configs, errors, broken } = await this.loadConfigs();
    const config = configs
      .filter((c) => key.startsWith(c.batchPrefix))
      .sort((a, b) => b.batchPrefix.length - a.batchPrefix.length)[0];
    // A broken config only fails the keys that may be its batches (under its raw batchPrefix, or under
    // batches/<modelId>/ when even that is unreadable) and at least as specific as a working match.
    const owner = broken.find((b) => key.startsWith(b.prefix) && (!config || b.prefix.length >= config.batchPrefix.length));
    const base = key.slice(key.lastIndexOf('/') + 1);
    if (base === '' || base.startsWith('_') || base.startsWith('.')) {
      // Folder markers and writer side files (_SUCCESS, .crc) are not batches.
      return { status: 'ignored', key, reason: 'a folder marker or writer side file, not a batch' };
    }
    if (owner) throw owner.error;
    if (!config) {
      if (errors.length > 0) this.log({ step: 'ingest', key, skippedConfigs: errors.map((e) => ({ source: e.source, error: e.message })), at: now.toISOString() });
      return { status: 'ignored', key, reason: 'no model has a batchPrefix containing this key' };
    }
    const modelId = config.modelId;
    const etag = opts.etag ?? (await this.deps.store.get(key))?.etag;
    if (etag === undefined) throw new InvalidInputError(key, 'the uploaded object does not exist (deleted before it was read?)');
    const sigKey = signatureKey(modelId, sha256(`${key}\n${etag}`));
    if (await this.deps.store.get(sigKey)) return { status: 'duplicate', modelId, signatureKey: sigKey };
    const loaded = await this.loadState(modelId);
    const reference = loaded ? await this.loadReference(loaded.state) : undefined;
    let signature: DatasetSignature;
    try {
      signature = await signSources([await this.deps.store.open(key)], { roles: signatureRoles(config), reference });
    } catch (err) {
      throw asInputError(key, err);
    }
    const stored = await this.deps.store.putIfAbsent(sigKey, serializeSignature(signature));
    this.log({ step: 'ingest', modelId, key, signatureKey: sigKey, stored, rows: signature.rowCount, at: now.toISOString() });
    return stored
      ? { status: 'stored', modelId, signatureKey: sigKey, rows: signature.rowCount }
      : { status: 'duplicate', modelId, signatureKey: sigKey };
  }

  /** Compare the signatures stored since the last check with the reference; adapt the cadence; maybe propose a retrain. */
  async check(modelId: string, now: Date): Promise<CheckOutcome> {
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const config = await this.loadConfig(modelId);
      const loaded = await this.loadState(modelId);
      if (!loaded) {
        this.log({ step: 'check', modelId, outcome: 'no-reference', at: now.toISOString() });
        return { status: 'no-reference', modelId };
      }
      const { state, etag } = loaded;
      const at = now.toISOString();
      const consumed = new Set(state.consumed);
      const fresh = (await this.deps.store.list(signaturePrefix(modelId))).filter((k) => !consumed.has(k));
      if (fresh.length === 0) {
        const nextCheckAt = addSeconds(now, state.checkIntervalSeconds);
        const next: ModelState = { ...state, lastCheckAt: at, nextCheckAt };
        if (!(await this.deps.store.putIfMatch(stateKey(modelId), stateJson(next), etag))) continue;
        await this.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'check', evidence: { outcome: 'no-data', nextCheckAt } });
        return { status: 'no-data', modelId, nextCheckAt, checkIntervalSeconds: state.checkIntervalSeconds };
      }

      const reference = await this.loadReference(state);
      const signatures = await Promise.all(fresh.map((k) => this.loadSignature(k)));
      const result = compare(reference, mergeAll(signatures), config.features);
      const checkId = `${compactTime(now)}-${sha256(`${modelId}\n${etag}`).slice(0, 8)}`;
      const point: HistoryPoint = { at, checkId, verdict: result.verdict, score: result.score, driftIndex: result.driftIndex };
      const history = [...state.history, point].slice(-HISTORY_LIMIT);
      const forecast = forecastCrossing(history, now);
      const next = nextCheckInterval({ previousSeconds: state.checkIntervalSeconds, driftIndex: result.driftIndex, forecast, bounds: config.cadence, now });
      const change = cadenceChange(now, state.checkIntervalSeconds, next);
      const nextCheckAt = addSeconds(now, next.seconds);
      const cadence = change ? [...state.cadence, change].slice(-HISTORY_LIMIT) : state.cadence;
      const keys = { json: reportKey(modelId, checkId, 'json'), html: reportKey(modelId, checkId, 'html') };

      const rule = decideProposal({
        result,
        forecast,
        nextCheckAt,
        state,
        activeBlocks: await this.activeBlocks(state, config, now),
        maxRetrainIntervalSeconds: config.cadence.maxRetrainInterval,
        minRetrainIntervalSeconds: config.cadence.minRetrainInterval,
        now,
      });
      let proposal: Proposal | null = null;
      if (rule.propose) {
        // Derived from the state version this check read: two checks racing on it build the same id.
        const proposalId = `${compactTime(now)}-${sha256(`proposal\n${modelId}\n${etag}`).slice(0, 10)}`;
        proposal = {
          schemaVersion: 1,
          proposalId,
          modelId,
          createdAt: at,
          expiresAt: addSeconds(now, config.proposalTtl),
          mode: config.approval.mode,
          vetoWindowSeconds: config.approval.vetoWindow,
          status: 'open',
          checkId,
          reportKey: keys.html,
          reasons: {
            verdict: result.verdict,
            driftIndex: result.driftIndex,
            triggers: rule.triggers,
            driftedFeatures: driftedFeatures(result),
            forecast,
            retrainBy: retrainBy({ forecast, lastRetrainAt: state.lastRetrainAt, bounds: config.cadence, now }),
          },
          fingerprint: evidenceFingerprint(result),
          notice: null,
          decision: null,
          retrainEvent: null,
          adoptedVersion: null,
        };
        await this.deps.store.putIfAbsent(proposalKey(modelId, proposalId), proposalJson(proposal));
      }

      const reportInput: ReportInput = {
        modelId,
        checkId,
        generatedAt: at,
        result,
        history,
        cadence,
        forecast,
        ...(proposal ? { proposal: { proposalId: proposal.proposalId, expiresAt: proposal.expiresAt, retrainBy: proposal.reasons.retrainBy ?? undefined } } : {}),
      };
      await this.deps.store.put(keys.json, renderReportJson(reportInput), 'application/json');
      await this.deps.store.put(keys.html, renderHtmlReport(reportInput), 'text/html; charset=utf-8');

      const nextState: ModelState = {
        ...state,
        lastCheckAt: at,
        nextCheckAt,
        checkIntervalSeconds: next.seconds,
        consumed: [...state.consumed, ...fresh],
        history,
        cadence,
        forecast,
        activeProposalId: proposal ? proposal.proposalId : state.activeProposalId,
      };
      // The commit point: only the check that wins it logs, notifies and reports the proposal.
      if (!(await this.deps.store.putIfMatch(stateKey(modelId), stateJson(nextState), etag))) continue;

      await this.appendLog({
        at,
        modelId,
        actor: AUTOMATIC_ACTOR,
        action: 'check',
        evidence: { checkId, verdict: result.verdict, driftIndex: result.driftIndex, score: result.score, signatures: fresh.length, reportKey: keys.html, suppressed: rule.suppressed },
      });
      if (change) await this.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'cadence', evidence: { ...change } });
      let opened: ProposalOpened | null = null;
      if (proposal) {
        await this.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'propose', proposalId: proposal.proposalId, evidence: { ...proposal.reasons, reportKey: proposal.reportKey } });
        const sent = await this.sendNotice(config, proposal, result, now);
        opened = { proposalId: proposal.proposalId, expiresAt: proposal.expiresAt, triggers: rule.triggers, noticeMessageId: sent.messageId, ...(sent.error ? { noticeError: sent.error } : {}) };
      }
      this.log({ step: 'check', modelId, checkId, verdict: result.verdict, driftIndex: result.driftIndex, nextCheckAt, proposalId: proposal?.proposalId, at });
      const driftedNames = result.features.filter((f) => f.drift).map((f) => f.name).sort();
      return {
        status: 'checked',
        modelId,
        checkId,
        verdict: result.verdict,
        driftIndex: result.driftIndex,
        score: result.score,
        signatures: fresh.length,
        driftedFeatures: driftedNames.length,
        driftedFeatureNames: driftedNames,
        reportKeys: keys,
        forecast,
        cadenceChange: change,
        checkIntervalSeconds: next.seconds,
        nextCheckAt,
        proposal: opened,
        suppressed: rule.suppressed,
      };
    }
    throw new AdapterError('lifecycle', `check ${modelId}`, { cause: new Error(`the state changed under ${MAX_TRIES} attempts`) });
  }

  /** The scheduled run: expiry/veto/notice retries for every model, then a check of each model that is due. */
  async checkDue(now: Date): Promise<CheckDueOutcome> {
    const { configs, errors } = await this.loadConfigs();
    const models: CheckDueOutcome['models'][number][] = [];
    for (const config of configs) {
      const modelId = config.modelId;
      let proposals: ProposalEvent[] = [];
      try {
        proposals = await this.processProposal(config, now);
        const loaded = await this.loadState(modelId);
        const due = loaded !== undefined && Date.parse(loaded.state.nextCheckAt) <= now.getTime();
        const check = due ? await this.check(modelId, now) : undefined;
        models.push({ modelId, proposals, ...(check ? { check } : {}) });
      } catch (err) {
        // One model's failure is reported and logged; the others keep working.
        this.log({ step: 'checkDue', modelId, error: message(err), errorName: err instanceof Error ? err.name : 'unknown', at: now.toISOString() });
        models.push({ modelId, proposals, error: message(err) });
      }
    }
    for (const err of errors) models.push({ modelId: err.source, proposals: [], error: err.message });
    return { at: now.toISOString(), models };
  }

  /**
   * Take a decision from a signed link: verify, transition the proposal once, recording the link's use
   * (`tokenUseId`) in that same conditional write, then mark the link used. A failure before the transition
   * leaves the link usable; a failure after it is finished by a retry of the same link. An approval whose
   * event cannot be published is still reported as decided (`retrainPending`): checkDue republishes it.
   */
  async decide(
    token: string,
    action: DecisionAction,
    now: Date,
    opts: { actor?: string; reason?: string; snoozeSeconds?: number } = {},
  ): Promise<DecideOutcome> {
    const payload = verifyToken(token, this.deps.secret, now, action);
    const { modelId, proposalId } = payload;
    const actor = opts.actor ?? 'decision-link';
    const at = now.toISOString();
    const useId = tokenUseId(payload);
    const marker = tokenKey(useId);
    if (await this.deps.store.get(marker)) throw new DecisionTokenError('replayed', 'this link was already used');
    const snoozeFor = action === 'snooze' ? addSeconds(now, opts.snoozeSeconds ?? DEFAULT_SNOOZE_SECONDS) : undefined;
    const moved = await this.updateProposal(modelId, proposalId, (p) =>
      p.status !== 'open'
        ? null
        : {
            ...p,
            status: ACTION_STATUS[action],
            decision: { action, at, actor, ...(opts.reason ? { reason: opts.reason } : {}), ...(snoozeFor ? { snoozeUntil: snoozeFor } : {}), tokenId: useId },
          },
    );
    const proposal = moved.proposal;
    const decision = proposal.decision;
    if (!moved.changed && decision?.tokenId !== useId) {
      // This link decided nothing, but it is still single use; a false from putIfAbsent (a conflict the
      // store gave up on) is only "replayed" if the marker really exists.
      const first = await this.deps.store.putIfAbsent(marker, json({ at, modelId, proposalId, action, actor, outcome: 'already-decided' }));
      if (!first && (await this.deps.store.get(marker))) throw new DecisionTokenError('replayed', 'this link was already used');
      return { status: 'already-decided', modelId, proposalId, proposalStatus: proposal.status };
    }
    if (!decision) throw new AdapterError('lifecycle', `decide ${proposalId}`, { cause: new Error('the decided proposal has no decision') });
    const snoozeUntil = decision.snoozeUntil;
    if (moved.changed) {
      await this.appendLog({
        at,
        modelId,
        actor,
        action,
        proposalId,
        evidence: { fingerprint: proposal.fingerprint, driftIndex: proposal.reasons.driftIndex, ...(opts.reason ? { reason: opts.reason } : {}), ...(snoozeUntil ? { snoozeUntil } : {}) },
      });
    }
    // Else this same link made the decision and its first request failed before finishing: finish it now.
    if (action !== 'approve') {
      await this.updateState(modelId, (s) => {
        if (!moved.changed && s.activeProposalId !== proposalId) return null;
        const release = s.activeProposalId === proposalId ? { activeProposalId: null } : {};
        if (action === 'reject') return { ...s, ...release, rejected: { fingerprint: proposal.fingerprint, driftIndex: proposal.reasons.driftIndex, at: decision.at } };
        return { ...s, ...release, snoozedUntil: snoozeUntil ?? null };
      });
    }
    // The proposal already records the use; this marker only makes a later click answer "already used".
    await this.deps.store.putIfAbsent(marker, json({ at, modelId, proposalId, action, actor }));
    if (action === 'approve') {
      if (proposal.retrainEvent) return { status: 'decided', modelId, proposalId, action, retrainMessageId: proposal.retrainEvent.messageId };
      try {
        const retrainMessageId = await this.publishRetrain(proposal, 'approved', decision.actor, now);
        return { status: 'decided', modelId, proposalId, action, retrainMessageId };
      } catch (err) {
        this.log({ step: 'decide', modelId, proposalId, action, retrainPending: true, error: message(err), at });
        return { status: 'decided', modelId, proposalId, action, retrainPending: { error: message(err) } };
      }
    }
    return { status: 'decided', modelId, proposalId, action, ...(snoozeUntil ? { snoozedUntil: snoozeUntil } : {}) };
  }

  /** Verify a token without consuming it, for the confirmation page (GET). */
  async describeToken(token: string, now: Date): Promise<TokenDescription> {
    const payload = verifyToken(token, this.deps.secret, now);
    const useId = tokenUseId(payload);
    const proposal = await this.loadProposal(payload.modelId, payload.proposalId);
    if (!proposal) throw new DecisionTokenError('forged', `proposal ${payload.proposalId} does not exist`);
    const consumed = proposal.decision?.tokenId === useId || (await this.deps.store.get(tokenKey(useId))) !== undefined;
    return { modelId: payload.modelId, proposalId: payload.proposalId, action: payload.action, expiresAt: new Date(payload.exp * 1000).toISOString(), consumed, proposal };
  }

  /** The retraining system reports a new model version: its training data becomes the reference; the cadence restarts. */
  async adopt(modelId: string, input: { version: string; trainingData: string[] }, now: Date): Promise<AdoptOutcome> {
    return this.installReference(modelId, input.version, input.trainingData, now, 'adopt');
  }

  /** Set the initial reference of a model from stored data files (adopt without a proposal). */
  async setReference(modelId: string, keys: string[], now: Date, version = `baseline-${compactTime(now)}`): Promise<AdoptOutcome> {
    return this.installReference(modelId, version, keys, now, 'set-reference');
  }

  /** The decision log of a model, oldest first. */
  async decisionLog(modelId: string): Promise<DecisionLogEntry[]> {
    const obj = await this.deps.store.get(decisionLogKey(modelId));
    if (!obj) return [];
    return text(obj.body)
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as DecisionLogEntry);
  }

  /** The model's state, or undefined before its first reference. */
  async state(modelId: string): Promise<ModelState | undefined> {
    return (await this.loadState(modelId))?.state;
  }

  /** One proposal, or undefined. */
  async proposal(modelId: string, proposalId: string): Promise<Proposal | undefined> {
    return this.loadProposal(modelId, proposalId);
  }

  // ---------------------------------------------------------------------------------------------------

  private async installReference(modelId: string, version: string, keys: string[], now: Date, action: 'adopt' | 'set-reference'): Promise<AdoptOutcome> {
    if (keys.length === 0) throw new InvalidInputError(`${modelId} ${version}`, 'expected at least one training data key');
    const config = await this.loadConfig(modelId);
    const at = now.toISOString();
    const refKey = referenceKey(modelId, version);
    let rows = 0;
    const existing = await this.deps.store.get(refKey);
    if (existing) {
      rows = parseSignature(text(existing.body), refKey).rowCount;
    } else {
      const sources = await Promise.all(
        keys.map(async (k) => {
          try {
            return await this.deps.store.open(k);
          } catch (err) {
            throw new InvalidInputError(k, `training data not found in the store: ${message(err)}`, { cause: err });
          }
        }),
      );
      let signature: DatasetSignature;
      try {
        signature = await signSources(sources, { roles: signatureRoles(config) });
      } catch (err) {
        throw asInputError(keys.length === 1 ? keys[0] : `${modelId} ${version} training data`, err);
      }
      rows = signature.rowCount;
      await this.deps.store.putIfAbsent(refKey, serializeSignature(signature));
    }

    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const loaded = await this.loadState(modelId);
      if (loaded && loaded.state.reference.version === version) {
        return { status: 'already-adopted', modelId, version, referenceKey: refKey, rows, proposalId: null, nextCheckAt: loaded.state.nextCheckAt };
      }
      // Batches stored before this reference were signed on the old bin edges: never compare them with it.
      const consumed = await this.deps.store.list(signaturePrefix(modelId));
      const min = config.cadence.minCheckInterval;
      const previous = loaded?.state.checkIntervalSeconds ?? min;
      const reset: CadenceChange = { at, checkIntervalSeconds: min, previousIntervalSeconds: previous, reason: `new reference ${version}: cadence restarts at the minimum interval` };
      const state: ModelState = {
        schemaVersion: 1,
        modelId,
        reference: { version, key: refKey, at },
        lastRetrainAt: at,
        checkIntervalSeconds: min,
        nextCheckAt: addSeconds(now, min),
        lastCheckAt: loaded?.state.lastCheckAt ?? null,
        consumed,
        history: [],
        cadence: [reset],
        forecast: null,
        activeProposalId: null,
        rejected: null,
        snoozedUntil: null,
      };
      const written = loaded
        ? await this.deps.store.putIfMatch(stateKey(modelId), stateJson(state), loaded.etag)
        : await this.deps.store.putIfAbsent(stateKey(modelId), stateJson(state));
      if (!written) continue;

      let proposalId: string | null = null;
      const active = loaded?.state.activeProposalId;
      if (action === 'adopt' && active) {
        const closed = await this.updateProposal(modelId, active, (p) =>
          p.status === 'open' || p.status === 'approved' ? { ...p, status: 'adopted', adoptedVersion: version } : null,
        );
        if (closed.changed) proposalId = active;
      }
      await this.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action, ...(proposalId ? { proposalId } : {}), evidence: { version, referenceKey: refKey, trainingData: keys, rows } });
      if (previous !== min) await this.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'cadence', evidence: { ...reset } });
      this.log({ step: action, modelId, version, referenceKey: refKey, rows, at });
      return { status: 'adopted', modelId, version, referenceKey: refKey, rows, proposalId, nextCheckAt: state.nextCheckAt };
    }
    throw new AdapterError('lifecycle', `${action} ${modelId}`, { cause: new Error(`the state changed under ${MAX_TRIES} attempts`) });
  }

  /** Expiry, veto and notice retries of the model's active proposal. */
  private async processProposal(config: ModelConfig, now: Date): Promise<ProposalEvent[]> {
    const modelId = config.modelId;
    const loaded = await this.loadState(modelId);
    const active = loaded?.state.activeProposalId;
    if (!active) return [];
    let proposal = await this.loadProposal(modelId, active);
    if (!proposal) return [];
    const events: ProposalEvent[] = [];
    const at = now.toISOString();

    if (proposal.status === 'open' && !proposal.notice && now.getTime() < Date.parse(proposal.expiresAt)) {
      const key = reportKey(modelId, proposal.checkId, 'json');
      const report = await this.deps.store.get(key);
      if (report) {
        const result = parseReportJson(text(report.body), key).result;
        const sent = await this.sendNotice(config, proposal, result, now);
        events.push(sent.messageId ? { proposalId: active, action: 'notice', noticeMessageId: sent.messageId } : { proposalId: active, action: 'notice-failed', error: sent.error });
        proposal = (await this.loadProposal(modelId, active)) ?? proposal;
      }
    }

    if (proposal.status === 'open' && proposal.mode === 'veto' && proposal.notice) {
      const vetoAt = Date.parse(proposal.notice.sentAt) + proposal.vetoWindowSeconds * 1000;
      if (now.getTime() >= vetoAt && now.getTime() < Date.parse(proposal.expiresAt)) {
        const moved = await this.updateProposal(modelId, active, (p) =>
          p.status === 'open' && p.notice ? { ...p, status: 'approved', decision: { action: 'veto-window-elapsed', at, actor: AUTOMATIC_ACTOR } } : null,
        );
        if (moved.changed) {
          await this.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'veto-window-elapsed', proposalId: active, evidence: { noticeMessageId: proposal.notice.messageId, noticeSentAt: proposal.notice.sentAt } });
          const retrainMessageId = await this.publishRetrain(moved.proposal, 'veto-window-elapsed', AUTOMATIC_ACTOR, now);
          events.push({ proposalId: active, action: 'veto-window-elapsed', retrainMessageId });
        }
        proposal = moved.proposal;
      }
    }

    if (proposal.status === 'open' && now.getTime() >= Date.parse(proposal.expiresAt)) {
      const moved = await this.updateProposal(modelId, active, (p) =>
        p.status === 'open' ? { ...p, status: 'expired', decision: { action: 'expire', at, actor: AUTOMATIC_ACTOR } } : null,
      );
      if (moved.changed) {
        await this.updateState(modelId, (s) => (s.activeProposalId === active ? { ...s, activeProposalId: null } : null));
        await this.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'expire', proposalId: active, evidence: { expiresAt: proposal.expiresAt, noticeDelivered: proposal.notice !== null } });
        events.push({ proposalId: active, action: 'expire' });
      }
      proposal = moved.proposal;
    }

    if (
      proposal.status === 'approved' &&
      !proposal.retrainEvent &&
      proposal.decision &&
      now.getTime() - Date.parse(proposal.decision.at) >= REPUBLISH_AFTER_SECONDS * 1000
    ) {
      // The approver died between the transition and the publish: publish now (at least once).
      const reason = proposal.decision.action === 'veto-window-elapsed' ? 'veto-window-elapsed' : 'approved';
      await this.publishRetrain(proposal, reason, proposal.decision.actor, now);
    }
    return events;
  }

  /** Whether the state's active proposal blocks a new one: open, or approved and still within its TTL awaiting adoption. */
  private async activeBlocks(state: ModelState, config: ModelConfig, now: Date): Promise<boolean> {
    if (!state.activeProposalId) return false;
    const p = await this.loadProposal(state.modelId, state.activeProposalId);
    if (!p) return false;
    if (p.status === 'open') return true;
    if (p.status === 'approved') {
      const since = Date.parse(p.decision?.at ?? p.createdAt);
      return now.getTime() < since + config.proposalTtl * 1000;
    }
    return false;
  }

  private async sendNotice(config: ModelConfig, proposal: Proposal, result: DriftResult, now: Date): Promise<{ messageId: string | null; error?: string }> {
    const exp = Math.floor(Date.parse(proposal.expiresAt) / 1000);
    const link = (action: DecisionAction): string => {
      const token = signToken({ proposalId: proposal.proposalId, modelId: proposal.modelId, action, exp, nonce: randomBytes(12).toString('base64url') }, this.deps.secret);
      return `${this.deps.decideBaseUrl.replace(/\/+$/, '')}/decide?token=${token}`;
    };
    const at = now.toISOString();
    try {
      const report = config.notice.includeReportLink && this.deps.reportUrl ? await this.deps.reportUrl(proposal.reportKey) : undefined;
      const rendered = renderNotice({
        modelId: proposal.modelId,
        proposalId: proposal.proposalId,
        result,
        forecast: proposal.reasons.forecast,
        links: { ...(report ? { report } : {}), approve: link('approve'), reject: link('reject'), snooze: link('snooze') },
        expiresAt: proposal.expiresAt,
        ...(proposal.reasons.retrainBy ? { retrainBy: proposal.reasons.retrainBy } : {}),
        ...(proposal.mode === 'veto' ? { vetoAt: addSeconds(now, proposal.vetoWindowSeconds) } : {}),
      });
      // The renderer tags subjects "[driftgate]"; the model's configured prefix takes its place.
      const bare = rendered.subject.replace(/^\[driftgate\]\s*/, '');
      const subject = `${config.notice.subjectPrefix} ${bare}`.trim().slice(0, NOTICE_SUBJECT_MAX_CHARS);
      const { messageId } = await this.deps.notifier.send({ modelId: proposal.modelId, proposalId: proposal.proposalId, subject, text: rendered.text });
      await this.updateProposal(proposal.modelId, proposal.proposalId, (p) => (p.notice ? null : { ...p, notice: { messageId, sentAt: at } }));
      await this.appendLog({ at, modelId: proposal.modelId, actor: AUTOMATIC_ACTOR, action: 'notice', proposalId: proposal.proposalId, evidence: { messageId, subject } });
      return { messageId };
    } catch (err) {
      // Not delivered: nothing is recorded as proof, so veto mode cannot fire; checkDue retries.
      this.log({ step: 'notice', modelId: proposal.modelId, proposalId: proposal.proposalId, error: message(err), at });
      await this.appendLog({ at, modelId: proposal.modelId, actor: AUTOMATIC_ACTOR, action: 'notice-failed', proposalId: proposal.proposalId, evidence: { error: message(err) } });
      return { messageId: null, error: message(err) };
    }
  }

  /** Publish the RetrainRequested event of a proposal that this caller moved to `approved`, and record its message id. */
  private async publishRetrain(proposal: Proposal, reason: 'approved' | 'veto-window-elapsed', decidedBy: string, now: Date): Promise<string> {
    const at = now.toISOString();
    const event: RetrainRequested = {
      type: 'RetrainRequested',
      schemaVersion: 1,
      modelId: proposal.modelId,
      proposalId: proposal.proposalId,
      reason,
      at,
      decidedBy,
      evidence: {
        driftedFeatures: proposal.reasons.driftedFeatures.map((f) => ({ name: f.name, score: f.score, threshold: f.threshold })),
        reportKey: proposal.reportKey,
      },
    };
    const { messageId } = await this.deps.events.publish(event);
    await this.updateProposal(proposal.modelId, proposal.proposalId, (p) => (p.retrainEvent ? null : { ...p, retrainEvent: { messageId, at } }));
    await this.appendLog({ at, modelId: proposal.modelId, actor: decidedBy, action: 'retrain', proposalId: proposal.proposalId, evidence: { messageId, reason } });
    return messageId;
  }

  private log(entry: Record<string, unknown>): void {
    this.deps.log?.(entry);
  }

  private async loadConfigs(): Promise<{ configs: ModelConfig[]; errors: ConfigError[]; broken: { prefix: string; error: ConfigError }[] }> {
    const configs: ModelConfig[] = [];
    const errors: ConfigError[] = [];
    const broken: { prefix: string; error: ConfigError }[] = [];
    for (const key of await this.deps.store.list(CONFIG_PREFIX)) {
      const modelId = modelIdOfConfigKey(key);
      if (!modelId) continue;
      try {
        configs.push(await this.loadConfig(modelId));
      } catch (err) {
        const error = err instanceof ConfigError ? err : new ConfigError(key, message(err), { cause: err });
        errors.push(error);
        broken.push({ prefix: await this.rawBatchPrefix(key, modelId), error });
      }
    }
    return { configs, errors, broken };
  }

  /** The batchPrefix a config file names even when it is invalid; `batches/<modelId>/` when it names none. */
  private async rawBatchPrefix(key: string, modelId: string): Promise<string> {
    try {
      const obj = await this.deps.store.get(key);
      const raw: unknown = obj ? JSON.parse(text(obj.body)) : undefined;
      const prefix = raw !== null && typeof raw === 'object' ? (raw as { batchPrefix?: unknown }).batchPrefix : undefined;
      if (typeof prefix === 'string' && prefix.length > 0) return prefix;
    } catch {
      // Unreadable: fall back to the conventional prefix below.
    }
    return `batches/${modelId}/`;
  }

  private async loadConfig(modelId: string): Promise<ModelConfig> {
    const key = configKey(modelId);
    const obj = await this.deps.store.get(key);
    if (!obj) throw new ConfigError(key, `no configuration for model ${modelId}`);
    let raw: unknown;
    try {
      raw = JSON.parse(text(obj.body));
    } catch (err) {
      throw new ConfigError(key, `not JSON: ${message(err)}`, { cause: err });
    }
    const config = parseModelConfig(raw, key);
    if (config.modelId !== modelId) throw new ConfigError(key, `modelId "${config.modelId}" does not match the file name`);
    return config;
  }

  private async loadState(modelId: string): Promise<{ state: ModelState; etag: string } | undefined> {
    const key = stateKey(modelId);
    const obj = await this.deps.store.get(key);
    if (!obj) return undefined;
    return { state: parseWith(modelStateSchema, JSON.parse(text(obj.body)), key), etag: obj.etag };
  }

  private async loadProposal(modelId: string, proposalId: string): Promise<Proposal | undefined> {
    return (await this.loadProposalWithEtag(modelId, proposalId))?.proposal;
  }

  private async loadProposalWithEtag(modelId: string, proposalId: string): Promise<{ proposal: Proposal; etag: string } | undefined> {
    const key = proposalKey(modelId, proposalId);
    const obj = await this.deps.store.get(key);
    if (!obj) return undefined;
    return { proposal: parseWith(proposalSchema, JSON.parse(text(obj.body)), key), etag: obj.etag };
  }

  private async loadReference(state: ModelState): Promise<DatasetSignature> {
    const obj = await this.deps.store.get(state.reference.key);
    if (!obj) throw new ConfigError(state.reference.key, `the reference ${state.reference.version} of model ${state.modelId} is missing from the store`);
    return parseSignature(text(obj.body), state.reference.key);
  }

  private async loadSignature(key: string): Promise<DatasetSignature> {
    const obj = await this.deps.store.get(key);
    if (!obj) throw new ConfigError(key, 'the signature disappeared while checking');
    return parseSignature(text(obj.body), key);
  }

  /** Read–modify–putIfMatch–retry on a proposal; `change` returns null for "nothing to do". */
  private async updateProposal(modelId: string, proposalId: string, change: (p: Proposal) => Proposal | null): Promise<{ proposal: Proposal; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const loaded = await this.loadProposalWithEtag(modelId, proposalId);
      if (!loaded) throw new DecisionTokenError('forged', `proposal ${proposalId} of model ${modelId} does not exist`);
      const next = change(loaded.proposal);
      if (!next) return { proposal: loaded.proposal, changed: false };
      if (await this.deps.store.putIfMatch(proposalKey(modelId, proposalId), proposalJson(next), loaded.etag)) return { proposal: next, changed: true };
    }
    throw new AdapterError('lifecycle', `update proposal ${proposalId}`, { cause: new Error(`changed under ${MAX_TRIES} attempts`) });
  }

  /** Read–modify–putIfMatch–retry on the state; `change` returns null for "nothing to do". */
  private async updateState(modelId: string, change: (s: ModelState) => ModelState | null): Promise<void> {
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const loaded = await this.loadState(modelId);
      if (!loaded) return;
      const next = change(loaded.state);
      if (!next) return;
      if (await this.deps.store.putIfMatch(stateKey(modelId), stateJson(next), loaded.etag)) return;
    }
    throw new AdapterError('lifecycle', `update state ${modelId}`, { cause: new Error(`changed under ${MAX_TRIES} attempts`) });
  }

  /** Append one line to the decision log (read, putIfMatch/putIfAbsent, retry). */
  private async appendLog(entry: DecisionLogEntry): Promise<void> {
    const key = decisionLogKey(entry.modelId);
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    for (let attempt = 0; attempt < MAX_TRIES * 2; attempt++) {
      const current = await this.deps.store.get(key);
      const ok = current
        ? await this.deps.store.putIfMatch(key, Buffer.concat([Buffer.from(current.body), line]), current.etag)
        : await this.deps.store.putIfAbsent(key, line);
      if (ok) return;
    }
    throw new AdapterError('lifecycle', `append decision log ${entry.modelId}`, { cause: new Error('too many concurrent writers') });
  }
}

/** A failure to read a batch becomes an InvalidInputError naming the store key (adapter failures stay retryable). */
function asInputError(key: string, err: unknown): Error {
  if (err instanceof InvalidInputError) return err.file === key ? err : new InvalidInputError(key, err.reason, { cause: err });
  if (err instanceof AdapterError) return err;
  if (err instanceof DriftgateError) return new InvalidInputError(key, err.message, { cause: err });
  return new InvalidInputError(key, `cannot read the batch: ${message(err)}`, { cause: err });
}
