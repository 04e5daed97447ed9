/**
 * The model repository: typed, validated stored documents over the `ObjectStore` port, and the ONE
 * read–change–conditional-write loop every state change goes through (LocalStore and S3Store implement
 * only the primitives, so both behave the same and share one conformance suite).
 */
import { randomUUID } from 'node:crypto';
import { AdapterError, ConfigError, ConflictError, NotFoundError } from '../core/errors.js';
import { type ModelConfig, type ModelConfigInput, parseModelConfig } from '../core/lifecycle/config.js';
import {
  CONFIG_PREFIX,
  configKey,
  decisionLogKey,
  modelIdOfConfigKey,
  outcomesKey,
  proposalKey,
  proposalPrefix,
  ROLLUP_PERIODS,
  batchIdOfSignatureKey,
  rollupKey,
  rollupPeriodOf,
  rollupPrefix,
  signaturePrefix,
  stateKey,
  tokenKey,
} from '../core/lifecycle/keys.js';
import { type OutcomeHistory, type RetrainOutcome, outcomeHistorySchema, withOutcome } from '../core/learning/outcomes.js';
import { type ProposalEvent, transition } from '../core/lifecycle/proposal.js';
import { type DecisionLogEntry, type ModelState, type Proposal, modelStateSchema, proposalSchema } from '../core/lifecycle/types.js';
import { lifecycleEventOf } from '../core/events/lifecycle.js';
import type { LifecycleEventSink, ObjectStore } from '../core/ports.js';
import { parseWith } from '../core/schema-parse.js';
import { mergeSignatures, parseSignature, serializeSignature } from '../core/signature/index.js';
import type { DatasetSignature } from '../core/signature/types.js';

/** A stored document with the version its conditional update is made against. */
export interface Stored<T> {
  readonly value: T;
  readonly etag: string;
}

/** The outcome of `update`: the document as it now is, and whether this call changed it. */
export interface Updated<T> {
  readonly value: T;
  readonly changed: boolean;
}

/** How one kind of document is read and written. */
interface Codec<T> {
  decode(body: Uint8Array, key: string): T;
  encode(value: T, key: string): string | Uint8Array;
}

/** A change: the next value, or null for "nothing to do". May be async (a check computes inside it). */
export type Change<T> = (current: T, etag: string) => T | null | Promise<T | null>;

/** Attempts of the conditional-write loop before a ConflictError (each loses only to a real writer). */
export const MAX_ATTEMPTS = 20;

/** Signatures fetched ahead while folding (S3 latency hidden, memory bounded). */
const FOLD_WINDOW = 8;

function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}

function jsonCodec<T>(schema: { safeParse(v: unknown): unknown } & Parameters<typeof parseWith>[0], what: string): Codec<T> {
  return {
    decode: (body, key) => {
      let raw: unknown;
      try {
        raw = JSON.parse(text(body));
      } catch (error) {
        throw new ConfigError(key, `not JSON (${what}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      return parseWith(schema, raw, key) as T;
    },
    // Validated before writing: a value JSON cannot hold (NaN becomes null) fails this write, naming the
    // field, instead of every later read. Each write carries a fresh revision (see `update`).
    encode: (value, key) => `${JSON.stringify({ ...(parseWith(schema, value, `${key} (refused before writing)`) as object), revision: randomUUID() }, null, 2)}\n`,
  };
}

const stateCodec = jsonCodec<ModelState>(modelStateSchema, 'model state');
const proposalCodec = jsonCodec<Proposal>(proposalSchema, 'proposal');
const outcomesCodec = jsonCodec<OutcomeHistory>(outcomeHistorySchema, 'retrain outcomes');
const logCodec: Codec<string> = { decode: (body) => text(body), encode: (value) => value };

/**
 * A roll-up: the merge of the batches one period ingested against one reference, and which batches it
 * holds (so a re-delivered ingest adds nothing, and a check uses it only when every one is still pending).
 */
export interface Rollup {
  readonly schemaVersion: 1;
  readonly members: readonly string[];
  /** Parsed on demand: a check reads the members of roll-ups it may not use. */
  readonly signature: () => DatasetSignature;
  /** Each member's rows and source name (absent in roll-ups written before it, or for members added then). */
  readonly batches?: Readonly<Record<string, RolledUpBatch>>;
}

/** A roll-up member's row count and the source name its signature recorded (for the retrain hints). */
export interface RolledUpBatch {
  readonly rows: number;
  readonly source: string;
}

function batchIndexOf(raw: unknown): Record<string, RolledUpBatch> | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const out: Record<string, RolledUpBatch> = {};
  for (const [id, b] of Object.entries(raw as Record<string, { rows?: unknown; source?: unknown }>)) {
    if (b !== null && typeof b === 'object' && Number.isInteger(b.rows) && (b.rows as number) >= 0 && typeof b.source === 'string') {
      Object.defineProperty(out, id, { value: { rows: b.rows as number, source: b.source }, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

type RollupDoc = { members: string[]; signature: DatasetSignature; batches?: Record<string, RolledUpBatch> };

const rollupCodec: Codec<RollupDoc> & { decodeLazy(body: Uint8Array, key: string): Rollup } = {
  decodeLazy(body, key) {
    let raw: { schemaVersion?: unknown; members?: unknown; signature?: unknown; batches?: unknown };
    try {
      raw = JSON.parse(text(body)) as typeof raw;
    } catch (error) {
      throw new ConfigError(key, `not JSON (roll-up): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (raw.schemaVersion !== 1 || !Array.isArray(raw.members) || !raw.members.every((m) => typeof m === 'string')) {
      throw new ConfigError(key, 'expected a roll-up: schemaVersion 1, members (batch ids), signature');
    }
    let parsed: DatasetSignature | undefined;
    const batches = batchIndexOf(raw.batches);
    return { schemaVersion: 1, members: raw.members as string[], signature: () => (parsed ??= parseSignature(raw.signature, `${key} (signature)`)), ...(batches ? { batches } : {}) };
  },
  decode(body, key) {
    const r = rollupCodec.decodeLazy(body, key);
    return { members: [...r.members], signature: r.signature(), ...(r.batches ? { batches: { ...r.batches } } : {}) };
  },
  // Plain canonical JSON, not the packed form: measured in bench/check-scale.ts, packing saves a quarter of
  // the bytes but costs more to write (each ingest) and to parse (each check). Both forms read.
  encode: (value) =>
    `{"schemaVersion":1,"members":${JSON.stringify([...value.members].sort())},` +
    (value.batches ? `"batches":${JSON.stringify(Object.fromEntries(Object.keys(value.batches).sort().map((id) => [id, value.batches?.[id]])))},` : '') +
    `"signature":${serializeSignature(value.signature)}}\n`,
};

/** Configs of every model, and the ones that failed with the batch prefix they claim (so only their uploads fail). */
export interface LoadedConfigs {
  readonly configs: readonly ModelConfig[];
  readonly broken: readonly { readonly modelId: string; readonly prefix: string; readonly error: ConfigError }[];
}

/**
 * Typed documents of every model over one store.
 * @example
 * const repo = new ModelRepository(new LocalStore('.driftgate'));
 * const { value } = await repo.updateProposal('fraud', id, (p) => transition(p, { type: 'expire', at }));
 */
export class ModelRepository {
  /**
   * @param events where the lifecycle facts of the decision log are published (README "The lifecycle
   *   events"); the one place they are emitted from is `appendLog`. @default none
   */
  constructor(
    readonly store: ObjectStore,
    private readonly events?: LifecycleEventSink,
  ) {}

  /**
   * The one read–change–conditional-write loop: read the document (absent = `undefined`), apply
   * `change`, write it back only if nobody wrote in between (putIfMatch, or putIfAbsent to create),
   * and retry on a conflict. Returns undefined when the document is absent and `change` does not create it.
   */
  async update<T>(key: string, codec: Codec<T>, change: (current: T | undefined, etag: string | undefined) => T | null | Promise<T | null>): Promise<Updated<T> | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.store.get(key);
      const current = stored === undefined ? undefined : codec.decode(stored.body, key);
      const next = await change(current, stored?.etag);
      if (next === null) return current === undefined ? undefined : { value: current, changed: false };
      const body = codec.encode(next, key);
      const written = stored === undefined ? await this.store.putIfAbsent(key, body) : await this.store.putIfMatch(key, body, stored.etag);
      if (written) return { value: next, changed: true };
      // A false can be our own write whose answer was lost (the SDK retried it and S3 answered 412 to the
      // retry): every body is unique (a fresh revision or entry id), so the same bytes stored are ours.
      const after = await this.store.get(key);
      if (after !== undefined && Buffer.from(after.body).equals(Buffer.from(typeof body === 'string' ? Buffer.from(body) : body))) {
        return { value: next, changed: true };
      }
    }
    throw new ConflictError(key, MAX_ATTEMPTS);
  }

  // ---------------------------------------------------------------------------------------------- configs

  /** Validate and store a model configuration (`config/<modelId>.json`). */
  async putConfig(config: ModelConfig | ModelConfigInput): Promise<ModelConfig> {
    const parsed = parseModelConfig(config, `config for ${String((config as { modelId?: unknown }).modelId)}`);
    await this.store.put(configKey(parsed.modelId), `${JSON.stringify(config, null, 2)}\n`, 'application/json');
    return parsed;
  }

  /** One model's configuration; ConfigError naming the file when it is missing or invalid. */
  async config(modelId: string): Promise<ModelConfig> {
    const key = configKey(modelId);
    const obj = await this.store.get(key);
    if (!obj) throw new ConfigError(key, `no configuration for model ${modelId}`);
    let raw: unknown;
    try {
      raw = JSON.parse(text(obj.body));
    } catch (err) {
      throw new ConfigError(key, `not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const config = parseModelConfig(raw, key);
    if (config.modelId !== modelId) throw new ConfigError(key, `modelId "${config.modelId}" does not match the file name`);
    return config;
  }

  /** Every model's configuration; a broken one is returned apart, with the batch prefix it claims. */
  async configs(): Promise<LoadedConfigs> {
    const configs: ModelConfig[] = [];
    const broken: { modelId: string; prefix: string; error: ConfigError }[] = [];
    for (const key of await this.store.list(CONFIG_PREFIX)) {
      const modelId = modelIdOfConfigKey(key);
      if (!modelId) continue;
      try {
        configs.push(await this.config(modelId));
      } catch (err) {
        // A store that failed (after its retries) says nothing about the config: fail the caller, retryably,
        // rather than call the config broken and send its uploads elsewhere.
        if (err instanceof AdapterError) throw err;
        const error = err instanceof ConfigError ? err : new ConfigError(key, err instanceof Error ? err.message : String(err), { cause: err });
        broken.push({ modelId, prefix: await this.rawBatchPrefix(key, modelId), error });
      }
    }
    return { configs, broken };
  }

  /** The batchPrefix a config file names even when it is invalid; `batches/<modelId>/` when it names none. */
  private async rawBatchPrefix(key: string, modelId: string): Promise<string> {
    try {
      const obj = await this.store.get(key);
      const raw: unknown = obj ? JSON.parse(text(obj.body)) : undefined;
      const prefix = raw !== null && typeof raw === 'object' ? (raw as { batchPrefix?: unknown }).batchPrefix : undefined;
      if (typeof prefix === 'string' && prefix.length > 0) return prefix;
    } catch {
      // Unreadable: fall back to the conventional prefix below.
    }
    return `batches/${modelId}/`;
  }

  // ---------------------------------------------------------------------------------------------- state

  /** The model's state, or undefined before its first reference. */
  async state(modelId: string): Promise<Stored<ModelState> | undefined> {
    const key = stateKey(modelId);
    const obj = await this.store.get(key);
    return obj === undefined ? undefined : { value: stateCodec.decode(obj.body, key), etag: obj.etag };
  }

  /** Change an existing state (undefined when the model has none). */
  updateState(modelId: string, change: Change<ModelState>): Promise<Updated<ModelState> | undefined> {
    return this.update(stateKey(modelId), stateCodec, (current, etag) => (current === undefined || etag === undefined ? null : change(current, etag)));
  }

  /** Create the state or change it: `change` gets undefined when there is none yet. */
  upsertState(modelId: string, change: (current: ModelState | undefined) => ModelState | null | Promise<ModelState | null>): Promise<Updated<ModelState> | undefined> {
    return this.update(stateKey(modelId), stateCodec, change);
  }

  // ---------------------------------------------------------------------------------------------- proposals

  /** One proposal, or undefined. */
  async proposal(modelId: string, proposalId: string): Promise<Proposal | undefined> {
    const key = proposalKey(modelId, proposalId);
    const obj = await this.store.get(key);
    return obj === undefined ? undefined : proposalCodec.decode(obj.body, key);
  }

  /** Every proposal of a model (for listings and the no-orphan checks). */
  async proposals(modelId: string): Promise<Proposal[]> {
    const keys = await this.store.list(proposalPrefix(modelId));
    const found = await Promise.all(keys.map(async (key) => {
      const obj = await this.store.get(key);
      return obj === undefined ? undefined : proposalCodec.decode(obj.body, key);
    }));
    return found.filter((p): p is Proposal => p !== undefined);
  }

  /** Create a proposal; false when one with its id exists already. */
  async createProposal(proposal: Proposal): Promise<boolean> {
    const key = proposalKey(proposal.modelId, proposal.proposalId);
    return this.store.putIfAbsent(key, proposalCodec.encode(proposal, key));
  }

  /** Apply one state-machine event to a stored proposal; NotFoundError when it does not exist. */
  async apply(modelId: string, proposalId: string, event: ProposalEvent): Promise<Updated<Proposal>> {
    const key = proposalKey(modelId, proposalId);
    const updated = await this.update(key, proposalCodec, (p) => (p === undefined ? null : transition(p, event)));
    if (updated === undefined) throw new NotFoundError(key, `proposal ${proposalId} of model ${modelId}`);
    return updated;
  }

  // ---------------------------------------------------------------------------------------------- signatures

  /** A stored signature (reference or batch); ConfigError when it is gone. */
  async signature(key: string, what = 'signature'): Promise<DatasetSignature> {
    const obj = await this.store.get(key);
    if (!obj) throw new ConfigError(key, `the ${what} is missing from the store`);
    return parseSignature(text(obj.body), key);
  }

  /**
   * Merge stored signatures into one, folding them in key order one at a time: memory holds the running
   * merge and at most `window` parsed signatures being fetched ahead, however many keys there are.
   * ConfigError when `keys` is empty or a signature is gone.
   */
  async foldSignatures(keys: readonly string[], window = FOLD_WINDOW): Promise<DatasetSignature> {
    if (keys.length === 0) throw new ConfigError('signature', 'foldSignatures needs at least one signature');
    const ahead: Promise<DatasetSignature>[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < keys.length && ahead.length < window) {
        const reading = this.signature(keys[next++]);
        // Handled here so a read failing ahead of the fold is not an unhandled rejection; its await throws it.
        reading.catch(() => undefined);
        ahead.push(reading);
      }
    };
    fill();
    let merged: DatasetSignature | undefined;
    while (ahead.length > 0) {
      const signature = await (ahead.shift() as Promise<DatasetSignature>);
      fill();
      merged = merged === undefined ? signature : mergeSignatures(merged, signature);
    }
    return merged as DatasetSignature;
  }

  /**
   * Add one stored batch signature to the roll-ups of the period it was ingested in (an hour and a day),
   * once: a batch already held is not added again. Against the reference it was signed with only.
   */
  async rollUp(modelId: string, referenceVersion: string, sigKey: string, signature: DatasetSignature, at: Date): Promise<void> {
    const id = batchIdOfSignatureKey(modelId, sigKey);
    if (id === undefined) throw new ConfigError(sigKey, `not a batch signature key of model ${modelId}`);
    const entry: RolledUpBatch = { rows: signature.rowCount, source: signature.sources[0] ?? '' };
    for (const period of ROLLUP_PERIODS) {
      await this.update(rollupKey(modelId, referenceVersion, rollupPeriodOf(at, period)), rollupCodec, (current) => {
        if (current === undefined) return { members: [id], signature, batches: { [id]: entry } };
        if (current.members.includes(id)) return null;
        return { members: [...current.members, id], signature: mergeSignatures(current.signature, signature), batches: { ...current.batches, [id]: entry } };
      });
    }
  }

  /**
   * Rows and source names of a model's batches from its day roll-ups' member index: one list and one read
   * per day since `since` (a retrain hint over thousands of batches reads a handful of documents, never
   * each batch's signature). Batches that no roll-up indexes are simply absent. Returns how many it read.
   */
  async rolledUpBatches(modelId: string, referenceVersion: string, since?: Date): Promise<{ batches: Map<string, RolledUpBatch>; documents: number }> {
    const from = since === undefined ? '' : rollupPeriodOf(since, 'day');
    const width = rollupPeriodOf(new Date(0), 'day').length;
    const batches = new Map<string, RolledUpBatch>();
    let documents = 0;
    for (const key of await this.store.list(rollupPrefix(modelId, referenceVersion))) {
      const name = key.slice(key.lastIndexOf('/') + 1, -'.json'.length);
      if (name.length !== width || name < from) continue;
      const obj = await this.store.get(key);
      documents++;
      if (obj === undefined) continue;
      for (const [id, b] of Object.entries(rollupCodec.decodeLazy(obj.body, key).batches ?? {})) batches.set(id, b);
    }
    return { batches, documents };
  }

  /** Write one period's whole roll-up at once (bulk loads and the benchmark; ingest uses `rollUp`). */
  async writeRollup(modelId: string, referenceVersion: string, period: string, members: readonly string[], signature: DatasetSignature): Promise<void> {
    const key = rollupKey(modelId, referenceVersion, period);
    await this.store.put(key, rollupCodec.encode({ members: [...members], signature }, key), 'application/json');
  }

  /**
   * Merge the pending signatures `keys` of a model, reading as few documents as it can: a day's roll-up
   * whose batches are all pending stands for them, else an hour's, else each batch is read on its own
   * (a batch whose ingest died before its roll-up, the period a previous check cut through). Roll-ups of
   * periods before `since` are not looked at (their batches were checked). Returns how many documents it read.
   */
  async foldPending(modelId: string, referenceVersion: string, keys: readonly string[], since?: Date): Promise<{ signature: DatasetSignature; documents: number }> {
    const pending = new Map<string, string>();
    for (const key of keys) {
      const id = batchIdOfSignatureKey(modelId, key);
      if (id !== undefined) pending.set(id, key);
    }
    const covered = new Set<string>();
    let merged: DatasetSignature | undefined;
    let documents = 0;
    const rollupKeys = await this.store.list(rollupPrefix(modelId, referenceVersion));
    for (const period of ROLLUP_PERIODS) {
      const from = since === undefined ? '' : rollupPeriodOf(since, period);
      const width = rollupPeriodOf(new Date(0), period).length;
      for (const key of rollupKeys) {
        const name = key.slice(key.lastIndexOf('/') + 1, -'.json'.length);
        if (name.length !== width || name < from) continue;
        const obj = await this.store.get(key);
        if (obj === undefined) continue;
        const rollup = rollupCodec.decodeLazy(obj.body, key);
        if (rollup.members.length < 2 || !rollup.members.every((m) => pending.has(m) && !covered.has(m))) continue;
        for (const m of rollup.members) covered.add(m);
        // Folded right away: one roll-up is held at a time.
        merged = merged === undefined ? rollup.signature() : mergeSignatures(merged, rollup.signature());
        documents++;
      }
    }
    const rest = keys.filter((k) => !covered.has(batchIdOfSignatureKey(modelId, k) ?? ''));
    if (rest.length > 0) {
      const folded = await this.foldSignatures(rest);
      merged = merged === undefined ? folded : mergeSignatures(merged, folded);
    }
    if (merged === undefined) throw new ConfigError(signaturePrefix(modelId), 'foldPending needs at least one pending signature');
    return { signature: merged, documents: documents + rest.length };
  }

  /** Store a signature once; false when the key exists already (a re-delivered upload). */
  putSignature(key: string, signature: DatasetSignature): Promise<boolean> {
    return this.store.putIfAbsent(key, serializeSignature(signature));
  }

  /** Whether a document exists. */
  async has(key: string): Promise<boolean> {
    return (await this.store.get(key)) !== undefined;
  }

  /** Keys of a model's batch signatures. */
  async signatureKeys(modelId: string): Promise<string[]> {
    return (await this.store.list(signaturePrefix(modelId))).filter((k) => batchIdOfSignatureKey(modelId, k) !== undefined);
  }

  // ---------------------------------------------------------------------------------------------- decision links

  /** Whether a decision link's use was recorded. */
  tokenUsed(useId: string): Promise<boolean> {
    return this.has(tokenKey(useId));
  }

  /** Record a decision link's use; false when it was recorded already. */
  markTokenUsed(useId: string, record: Record<string, unknown>): Promise<boolean> {
    return this.store.putIfAbsent(tokenKey(useId), `${JSON.stringify(record, null, 2)}\n`);
  }

  // ---------------------------------------------------------------------------------------------- retrain outcomes

  /** A model's retrain outcome history, or undefined before its first recorded retrain. */
  async outcomes(modelId: string): Promise<OutcomeHistory | undefined> {
    const key = outcomesKey(modelId);
    const obj = await this.store.get(key);
    return obj === undefined ? undefined : outcomesCodec.decode(obj.body, key);
  }

  /** Record one retrain's outcome (once per version and status; see `withOutcome`). */
  async recordOutcome(modelId: string, outcome: RetrainOutcome): Promise<Updated<OutcomeHistory> | undefined> {
    return this.update(outcomesKey(modelId), outcomesCodec, (current) => withOutcome(current, modelId, outcome));
  }

  // ---------------------------------------------------------------------------------------------- decision log

  /**
   * Append one line to the model's decision log, then publish the lifecycle event it records, if any (its
   * id derived from the fact, so publishing it again gives consumers the same id). With an `entryId`
   * (derived by the caller, e.g. from a check id) a line already in the log is not written again, so
   * finishing a step twice logs it once.
   */
  async appendLog(entry: DecisionLogEntry): Promise<void> {
    const entryId = entry.entryId ?? randomUUID();
    const line = `${JSON.stringify({ ...entry, entryId })}\n`;
    const written = `"entryId":${JSON.stringify(entryId)}`;
    await this.update(decisionLogKey(entry.modelId), logCodec, (current) => (entry.entryId !== undefined && current?.includes(written) ? null : (current ?? '') + line));
    const event = this.events === undefined ? null : lifecycleEventOf(entry);
    if (event !== null) await this.events?.publish(event);
  }

  /** The decision log of a model, oldest first. */
  async decisionLog(modelId: string): Promise<DecisionLogEntry[]> {
    const obj = await this.store.get(decisionLogKey(modelId));
    if (!obj) return [];
    return text(obj.body)
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as DecisionLogEntry);
  }
}
