/**
 * The owner's side of earned autonomy and of verdicts that teach: accept an offered level, accept a
 * suggested config change (a new config version; the old one stays readable), lower the level, and take
 * a retrain's reported outcome. Every change is one pure step (`stepAutonomy`) inside the state's
 * conditional write; what it queued for a person is logged here and sent by the gate.
 */
import { ConfigError } from '../core/errors.js';
import {
  type AutonomyLevel,
  type AutonomyRules,
  type AutonomyState,
  type AutonomyView,
  type Offer,
  type RetrainOutcome,
  type Suggestion,
  autonomyView,
  queuedBy,
  rulesFromApproval,
  stepAutonomy,
  windowText,
} from '../core/lifecycle/autonomy.js';
import type { ExemptWindow } from '../core/drift/options.js';
import { parseModelConfig } from '../core/lifecycle/config.js';
import { configKey, configVersionKey } from '../core/lifecycle/keys.js';
import { AUTOMATIC_ACTOR, settleState } from '../core/lifecycle/proposal.js';
import type { Proposal } from '../core/lifecycle/types.js';
import { DecisionTokenError, type OwnerAction, isOwnerAction, tokenUseId, verifyToken } from '../core/lifecycle/token.js';
import type { Log } from '../core/ports.js';
import type { ModelRepository } from './model-repository.js';

/** Log what a step queued for a person (a level change, an offer, a suggestion): one decision-log line each. */
export async function logQueued(repo: ModelRepository, modelId: string, before: AutonomyState, after: AutonomyState, at: string, actor = AUTOMATIC_ACTOR): Promise<void> {
  for (const n of queuedBy(before, after)) {
    if (n.kind === 'suggestion') {
      const s = after.suggestion;
      await repo.appendLog({ at, modelId, actor, action: 'config-suggested', evidence: { suggestionId: n.suggestionId, why: n.why, ...(s ? { kind: s.kind, feature: s.feature, test: s.test, from: s.from, to: s.to, ...(s.window ? { window: s.window } : {}), verdicts: s.verdicts, reasons: s.reasons } : {}) } });
    } else {
      await repo.appendLog({ at, modelId, actor, action: 'autonomy', evidence: { kind: n.kind, from: n.from, to: n.to, why: n.why, ...(n.offerId ? { offerId: n.offerId } : {}) } });
    }
  }
}

/**
 * Settle a decided proposal into its model's state (`settleState`: the active slot, the verdict's count
 * toward autonomy, a "data bug" incident) and log what that queued and opened. Idempotent.
 */
export async function settleProposal(repo: ModelRepository, p: Proposal, at: string): Promise<void> {
  let before: { autonomy: AutonomyState; incidentId: string | null } | undefined;
  const updated = await repo.updateState(p.modelId, (s) => {
    before = { autonomy: s.autonomy, incidentId: s.incident?.incidentId ?? null };
    return settleState(s, p);
  });
  if (updated === undefined || !updated.changed || before === undefined) return;
  const after = updated.value;
  if (after.incident !== null && after.incident.incidentId !== before.incidentId) {
    await repo.appendLog({ at, modelId: p.modelId, actor: p.decision?.actor ?? AUTOMATIC_ACTOR, action: 'incident-opened', proposalId: p.proposalId, evidence: { incidentId: after.incident.incidentId, reason: after.incident.reason, kinds: after.incident.kinds } });
  }
  await logQueued(repo, p.modelId, before.autonomy, after.autonomy, at);
}

/**
 * A retrain's outcome taught to the model's autonomy: `failed` or `rolled-back` drops it to manual at once
 * (and queues the owner's notice, logged here); `succeeded` changes nothing. Used by the owner's report
 * (`reportRetrainOutcome`) and by an adoption manifest that says the retrain failed or was rolled back
 * (service/install-reference.ts). Idempotent: the step remembers the outcome it counted.
 */
export async function stepRetrainOutcome(
  repo: ModelRepository,
  modelId: string,
  input: { readonly proposalId: string; readonly status: RetrainOutcome },
  at: string,
): Promise<{ readonly changed: boolean; readonly level: AutonomyLevel }> {
  const rules = rulesFromApproval((await repo.config(modelId)).approval);
  let before: AutonomyState | undefined;
  const updated = await repo.updateState(modelId, (s) => {
    before = s.autonomy;
    const next = stepAutonomy(s.autonomy, { type: 'retrain-outcome', proposalId: input.proposalId, status: input.status, at }, rules);
    return next === null ? null : { ...s, autonomy: next };
  });
  if (updated === undefined) throw new DecisionTokenError('forged', `model ${modelId} has no state`);
  if (updated.changed && before !== undefined) await logQueued(repo, modelId, before, updated.value.autonomy, at);
  return { changed: updated.changed, level: autonomyView(updated.value.autonomy, rules).level };
}

/** What an owner link's confirmation page shows. */
export interface OwnerLinkDescription {
  readonly modelId: string;
  readonly action: OwnerAction;
  /** The offer or suggestion id the link names (`autonomy` for a lower link). */
  readonly subjectId: string;
  readonly expiresAt: string;
  readonly consumed: boolean;
  readonly view: AutonomyView;
  readonly offer: Offer | null;
  readonly suggestion: Suggestion | null;
  /** Why nothing is left to do (an offer withdrawn, a suggestion accepted), if so. */
  readonly closed?: string;
}

/** What an owner action did. */
export interface OwnerOutcome {
  readonly status: 'done' | 'nothing-to-do';
  readonly modelId: string;
  readonly action: OwnerAction;
  readonly message: string;
  readonly level?: AutonomyLevel;
  /** accept-config: the config version written, and where the previous one is kept. */
  readonly version?: number;
  readonly previousVersionKey?: string;
}

/** What the owner's actions need: the repository and the key that verifies links. */
export interface OwnerDeps {
  readonly repo: ModelRepository;
  readonly secret: Uint8Array | string;
  readonly log?: Log;
}

/** The owner's actions (see the module comment). */
export interface OwnerActions {
  describe(token: string, now: Date): Promise<OwnerLinkDescription>;
  act(token: string, now: Date, opts?: { readonly actor?: string; readonly lowerTo?: AutonomyLevel }): Promise<OwnerOutcome>;
  /** Lower the level with any valid link of the model (a decision link too): lowering is always allowed and never spends the link. */
  lower(token: string, to: AutonomyLevel, now: Date, actor?: string): Promise<OwnerOutcome>;
  /** A retraining system reports how a retrain went: failed or rolled-back drops the model to manual. */
  reportRetrainOutcome(modelId: string, input: { readonly proposalId: string; readonly status: RetrainOutcome }, now: Date): Promise<{ readonly changed: boolean; readonly level: AutonomyLevel }>;
}

/** A feature override with one more exempt window (a window it already has is not added twice). */
function withExemptWindow(override: Record<string, unknown>, window: ExemptWindow): Record<string, unknown> {
  const windows = Array.isArray(override.exemptWindows) ? (override.exemptWindows as ExemptWindow[]) : [];
  const same = (w: ExemptWindow): boolean => w.month === window.month && w.weekday === window.weekday && w.hour === window.hour;
  return { ...override, exemptWindows: windows.some(same) ? windows : [...windows, window] };
}

const bytesOf = (body: Uint8Array | string): string => (typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));

/**
 * Build the owner's actions.
 * @example
 * const owner = ownerActions({ repo, secret });
 * await owner.act(tokenFromTheOfferNotice, new Date(), { actor: 'alice' });
 */
export function ownerActions(deps: OwnerDeps): OwnerActions {
  const { repo } = deps;

  async function rules(modelId: string): Promise<AutonomyRules> {
    return rulesFromApproval((await repo.config(modelId)).approval);
  }

  async function stateOf(modelId: string): Promise<AutonomyState> {
    const state = (await repo.state(modelId))?.value;
    if (state === undefined) throw new DecisionTokenError('forged', `model ${modelId} has no state`);
    return state.autonomy;
  }

  /** Apply one step to the stored state; logs what it queued. */
  async function step(modelId: string, change: (a: AutonomyState, r: AutonomyRules) => AutonomyState | null, at: string, actor: string): Promise<{ changed: boolean; after: AutonomyState; rules: AutonomyRules }> {
    const r = await rules(modelId);
    let before: AutonomyState | undefined;
    const updated = await repo.updateState(modelId, (s) => {
      before = s.autonomy;
      const next = change(s.autonomy, r);
      return next === null ? null : { ...s, autonomy: next };
    });
    if (updated === undefined) throw new DecisionTokenError('forged', `model ${modelId} has no state`);
    if (updated.changed && before !== undefined) await logQueued(repo, modelId, before, updated.value.autonomy, at, actor);
    return { changed: updated.changed, after: updated.value.autonomy, rules: r };
  }

  function closedReason(action: OwnerAction, subjectId: string, a: AutonomyState, now: Date): string | undefined {
    if (action === 'accept-level') {
      if (a.offer?.offerId !== subjectId) return 'This offer is no longer open (it was accepted, withdrawn after a rejection, failure or incident, or replaced).';
      if (now.getTime() >= Date.parse(a.offer.expiresAt)) return 'This offer has expired.';
    }
    if (action === 'accept-config') {
      if (a.suggestion?.suggestionId !== subjectId) return 'This suggestion is no longer open.';
      if (a.suggestion.status !== 'open') return `This suggestion was already accepted (config version ${a.suggestion.acceptedVersion}).`;
      if (now.getTime() >= Date.parse(a.suggestion.expiresAt)) return 'This suggestion has expired.';
    }
    return undefined;
  }

  async function describe(token: string, now: Date): Promise<OwnerLinkDescription> {
    const payload = verifyToken(token, deps.secret, now);
    if (!isOwnerAction(payload.action)) throw new DecisionTokenError('wrong-action', 'this link decides a proposal');
    const a = await stateOf(payload.modelId);
    const r = await rules(payload.modelId);
    const consumed = payload.action !== 'lower' && (await repo.tokenUsed(tokenUseId(payload)));
    const closed = closedReason(payload.action, payload.proposalId, a, now);
    return {
      modelId: payload.modelId,
      action: payload.action,
      subjectId: payload.proposalId,
      expiresAt: new Date(payload.exp * 1000).toISOString(),
      consumed,
      view: autonomyView(a, r),
      offer: a.offer,
      suggestion: a.suggestion,
      ...(closed !== undefined ? { closed } : {}),
    };
  }

  /** Write the accepted suggestion as the next config version; idempotent (a retry finishes what is left). */
  async function writeConfigVersion(modelId: string, s: Suggestion, version: number, at: string, actor: string): Promise<string> {
    const key = configKey(modelId);
    const previousVersionKey = configVersionKey(modelId, version - 1);
    const newVersionKey = configVersionKey(modelId, version);
    if (await repo.has(newVersionKey)) return previousVersionKey;
    const codec = {
      decode: (body: Uint8Array) => bytesOf(body),
      encode: (value: string) => value,
    };
    let previousBody: string | undefined;
    const written = await repo.update<string>(key, codec, (current) => {
      if (current === undefined) throw new ConfigError(key, `no configuration for model ${modelId}`);
      previousBody = current;
      const doc = JSON.parse(current) as Record<string, unknown> & { features?: Record<string, unknown> & { overrides?: Record<string, Record<string, unknown>> } };
      const features = { ...(doc.features ?? {}) };
      const overrides = { ...(features.overrides ?? {}) };
      overrides[s.feature] = s.kind === 'window' && s.window !== undefined ? withExemptWindow(overrides[s.feature] ?? {}, s.window) : { ...(overrides[s.feature] ?? {}), test: s.test, threshold: s.to };
      const next = { ...doc, features: { ...features, overrides } };
      // Validated before it is written: a suggestion never stores a config the next read would refuse.
      parseModelConfig(next, `${key} (version ${version}, refused before writing)`);
      return `${JSON.stringify(next, null, 2)}\n`;
    });
    if (written === undefined || previousBody === undefined) throw new ConfigError(key, `no configuration for model ${modelId}`);
    // The owner's version stays readable beside the new one.
    await repo.store.putIfAbsent(previousVersionKey, previousBody);
    await repo.store.putIfAbsent(newVersionKey, written.value);
    await repo.appendLog({
      at,
      modelId,
      actor,
      action: 'config-change',
      evidence: {
        version,
        previousVersionKey,
        versionKey: newVersionKey,
        suggestionId: s.suggestionId,
        change: s.kind === 'window' && s.window !== undefined ? { feature: s.feature, exemptWindow: s.window } : { feature: s.feature, test: s.test, threshold: { from: s.from, to: s.to } },
        verdicts: s.verdicts,
        reasons: s.reasons,
      },
    });
    return previousVersionKey;
  }

  async function act(token: string, now: Date, opts: { readonly actor?: string; readonly lowerTo?: AutonomyLevel } = {}): Promise<OwnerOutcome> {
    const payload = verifyToken(token, deps.secret, now);
    if (!isOwnerAction(payload.action)) throw new DecisionTokenError('wrong-action', 'this link decides a proposal');
    const { modelId, action } = payload;
    const actor = opts.actor ?? 'owner-link';
    const at = now.toISOString();
    if (action === 'lower') return lower(token, opts.lowerTo ?? 'manual', now, actor);
    const useId = tokenUseId(payload);
    if (await repo.tokenUsed(useId)) throw new DecisionTokenError('replayed', 'this link was already used');
    const subject = payload.proposalId;
    if (action === 'accept-level') {
      const done = await step(modelId, (a, r) => stepAutonomy(a, { type: 'accept-offer', offerId: subject, at }, r), at, actor);
      await repo.markTokenUsed(useId, { at, modelId, subject, action, actor, outcome: done.changed ? 'accepted' : 'nothing-to-do' });
      const level = autonomyView(done.after, done.rules).level;
      if (!done.changed) return { status: 'nothing-to-do', modelId, action, level, message: closedReason(action, subject, done.after, now) ?? 'Nothing changed.' };
      return { status: 'done', modelId, action, level, message: `Model ${modelId} is now at level ${level}.` };
    }
    // accept-config: the state's step is the commit point (one acceptance); the config write follows, idempotently.
    let version = 0;
    const done = await step(
      modelId,
      (a, r) => {
        version = a.configVersion + 1;
        return stepAutonomy(a, { type: 'accept-suggestion', suggestionId: subject, version, at }, r);
      },
      at,
      actor,
    );
    const s = done.after.suggestion;
    const mine = s !== null && s.suggestionId === subject && s.status === 'accepted' && s.acceptedVersion !== undefined;
    if (!mine) {
      await repo.markTokenUsed(useId, { at, modelId, subject, action, actor, outcome: 'nothing-to-do' });
      return { status: 'nothing-to-do', modelId, action, message: closedReason(action, subject, done.after, now) ?? 'Nothing changed.' };
    }
    const accepted = s.acceptedVersion as number;
    const previousVersionKey = await writeConfigVersion(modelId, s, accepted, at, actor);
    await repo.markTokenUsed(useId, { at, modelId, subject, action, actor, outcome: 'accepted', version: accepted });
    return {
      status: done.changed ? 'done' : 'nothing-to-do',
      modelId,
      action,
      version: accepted,
      previousVersionKey,
      message:
        s.kind === 'window' && s.window !== undefined
          ? `Config version ${accepted} of ${modelId} exempts the feature ${windowText(s.window)}: its drift there is still reported but drives no proposal; version ${accepted - 1} stays readable.`
          : `Config version ${accepted} of ${modelId} sets the ${s.test} threshold of the feature to ${s.to} (was ${s.from}); version ${accepted - 1} stays readable.`,
    };
  }

  async function lower(token: string, to: AutonomyLevel, now: Date, actor = 'owner-link'): Promise<OwnerOutcome> {
    // Any valid link of the model will do: lowering only takes autonomy away.
    const payload = verifyToken(token, deps.secret, now);
    const at = now.toISOString();
    const done = await step(payload.modelId, (a, r) => stepAutonomy(a, { type: 'lower', to, at }, r), at, actor);
    const level = autonomyView(done.after, done.rules).level;
    return done.changed
      ? { status: 'done', modelId: payload.modelId, action: 'lower', level, message: `Model ${payload.modelId} is now at level ${level}.` }
      : { status: 'nothing-to-do', modelId: payload.modelId, action: 'lower', level, message: `Model ${payload.modelId} is already at level ${level}.` };
  }

  async function reportRetrainOutcome(modelId: string, input: { readonly proposalId: string; readonly status: RetrainOutcome }, now: Date) {
    const at = now.toISOString();
    await repo.appendLog({ at, modelId, actor: AUTOMATIC_ACTOR, action: 'retrain-outcome', proposalId: input.proposalId, evidence: { status: input.status } });
    return stepRetrainOutcome(repo, modelId, input, at);
  }

  return { describe, act, lower, reportRetrainOutcome };
}
