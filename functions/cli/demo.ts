import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { FileEventSink } from '../adapters/file-event-sink.js';
import { ConsoleNotifier } from '../adapters/console-notifier.js';
import { LocalStore } from '../adapters/local-store.js';
import { ConfigError } from '../core/errors.js';
import type { ModelConfigInput } from '../core/lifecycle/config.js';
import { peekToken } from '../core/lifecycle/token.js';
import type { CheckOutcome } from '../core/lifecycle/types.js';
import type { Notice } from '../core/ports.js';
import { Lifecycle } from '../service/lifecycle.js';
import { mulberry32 } from '../core/random.js';
import { signSources } from '../adapters/sign-sources.js';
import { REPORT_LINK_TTL_SECONDS, signReportLink } from '../handlers/report-link.js';
import { storeSecret } from './local-product.js';
import { runHumansChapter } from './demo-humans.js';
import { runLearningChapter } from './demo-learning.js';

/**
 * `driftgate demo`: the whole lifecycle on the embedded default (a local folder store, notices in
 * `<dir>/outbox/`, retrain events in `<dir>/events.jsonl`) over a simulated clock: weeks of daily batches
 * for a stable model and a gradually drifting one, checks on the adaptive cadence, a proposal, its notice,
 * an approval through the notice's signed link, the retrain event and the adoption of a new reference.
 */

export interface DemoOptions {
  /** Folder for the store, outbox and events; must be empty, new, or a previous demo's folder. */
  readonly dir: string;
  /** One JSON object a line instead of readable text. */
  readonly json: boolean;
  /** Simulated days. @default 28 */
  readonly days?: number;
  /** Seed of the data generator. @default 7 */
  readonly seed?: number;
  readonly emit: (line: string) => void;
  /**
   * Keep the store servable (`demo --serve`): the store's own signing key, links to `baseUrl`, and after the
   * simulation one live proposal at the real time, whose notice's links the caller's server answers. The
   * click on it is left to the person. @default none: a fresh key, and the simulated approvals only
   */
  readonly live?: { readonly baseUrl: string; readonly now: Date };
}

/** One model's story in the demo. */
export interface DemoModelSummary {
  readonly modelId: string;
  readonly behaviour: 'stable' | 'drifting';
  readonly checks: number;
  readonly proposals: readonly string[];
  readonly approvals: number;
  readonly retrains: number;
  readonly adoptions: number;
  /** The check interval after each cadence change, in seconds, in order. */
  readonly intervalsSeconds: readonly number[];
}

export interface DemoSummary {
  readonly dir: string;
  readonly days: number;
  readonly seed: number;
  readonly models: readonly DemoModelSummary[];
  readonly eventsFile: string;
  readonly outboxDir: string;
  /** With `live`: the open proposal a person can decide in a browser. */
  readonly live?: { readonly modelId: string; readonly proposalId: string; readonly approve: string; readonly noticeFile: string };
}

/** A line of `--json` output. */
export type DemoLine = { type: 'check' | 'cadence' | 'proposal' | 'notice' | 'decision' | 'retrain' | 'adopt' | 'start' | 'summary' | 'live'; modelId?: string; at: string } & Record<string, unknown>;

const MARKER = '.driftgate-demo';
const START = Date.parse('2026-01-05T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ROWS = 2000;
const REFERENCE_PARTS = 3;
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IN', 'BR'] as const;
const DEVICES = ['ios', 'android', 'web'] as const;
const MERCHANT_CODES = [5411, 5812, 5999, 4111, 5732, 7011] as const;

interface ModelSpec {
  readonly modelId: string;
  readonly behaviour: 'stable' | 'drifting';
}

const MODELS: readonly ModelSpec[] = [
  { modelId: 'churn', behaviour: 'stable' },
  { modelId: 'fraud', behaviour: 'drifting' },
];

function configOf(spec: ModelSpec): ModelConfigInput {
  return {
    schemaVersion: 1,
    modelId: spec.modelId,
    batchPrefix: `batches/${spec.modelId}/`,
    // Integer merchant codes are categories, not quantities.
    features: { overrides: { merchant_code: { kind: 'categorical' } }, datasetRule: { share: 0.5, keyFeatures: ['amount'] } },
    cadence: { minCheckInterval: '1d', maxCheckInterval: '7d', minRetrainInterval: '3d', maxRetrainInterval: '90d' },
    approval: { mode: 'manual', vetoWindow: '24h' },
    notice: { subjectPrefix: '[driftgate demo]', includeReportLink: true },
    proposalTtl: '72h',
  };
}


function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function pick<T>(rand: () => number, values: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((s, w) => s + w, 0);
  let r = rand() * total;
  for (let i = 0; i < values.length; i++) {
    r -= weights[i];
    if (r < 0) return values[i];
  }
  return values[values.length - 1];
}

/**
 * One batch as Arrow IPC (file format). `drift` in [0, ...): 0 is the training distribution; the drifting
 * model's amount mean moves up and the share of "IN" grows as it rises.
 */
function batchBytes(rand: () => number, drift: number): Uint8Array {
  const amount = new Float64Array(ROWS);
  const age = new Int32Array(ROWS);
  const merchant = new Int32Array(ROWS);
  const score = new Float64Array(ROWS);
  const country: string[] = new Array(ROWS);
  const device: string[] = new Array(ROWS);
  const countryWeights = [0.4 - 0.25 * Math.min(drift, 1.2), 0.15, 0.15, 0.1, 0.1 + 0.25 * Math.min(drift, 1.2), 0.1];
  for (let i = 0; i < ROWS; i++) {
    amount[i] = Math.round(Math.exp(3.5 + 0.35 * drift + 0.6 * normal(rand)) * 100) / 100;
    age[i] = Math.max(18, Math.min(90, Math.round(41 + 12 * normal(rand))));
    merchant[i] = pick(rand, MERCHANT_CODES, [0.3, 0.2, 0.15, 0.15, 0.1, 0.1]);
    score[i] = rand() ** 2;
    country[i] = pick(rand, COUNTRIES, countryWeights);
    device[i] = pick(rand, DEVICES, [0.45, 0.4, 0.15]);
  }
  const table = tableFromArrays({ amount, age, merchant_code: merchant, score, country, device });
  return tableToIPC(table, 'file');
}

/** How far the drifting model has moved by a day: nothing until day 4, a little more each day, then a new normal from day 12. */
function driftOn(spec: ModelSpec, day: number): number {
  return spec.behaviour === 'drifting' ? Math.min(0.4, Math.max(0, day - 4) * 0.05) : 0;
}

async function prepareDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const entries = await fs.readdir(dir);
  if (entries.length === 0) return;
  if (!entries.includes(MARKER)) {
    throw new ConfigError(dir, 'the demo folder is not empty and was not made by a previous demo; pass a new or empty folder');
  }
  for (const entry of entries) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
}

/**
 * Run the demo and return what happened; lines go to `emit` (readable, or JSON lines with `json`).
 *
 * @example
 * const summary = await runDemo({ dir: './driftgate-demo', json: false, emit: (l) => console.log(l) });
 */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const days = opts.days ?? 28;
  const seed = opts.seed ?? 7;
  if (!Number.isInteger(days) || days < 1) throw new ConfigError('demo --days', `expected a whole number of days >= 1, got ${days}`);
  const dir = path.resolve(opts.dir);
  await prepareDir(dir);
  await fs.writeFile(path.join(dir, MARKER), 'made by driftgate demo; the next demo run may delete this folder\'s content\n');

  const store = new LocalStore(dir);
  const outboxDir = path.join(dir, 'outbox');
  const eventsFile = path.join(dir, 'events.jsonl');
  const notices = new Map<string, Notice & { messageId: string; file: string }>();
  // Served: the store's own key (the server reads it from the folder). Otherwise a fresh secret per run:
  // nothing secret lives in the code.
  const secret = opts.live ? await storeSecret(dir) : randomBytes(32);
  const baseUrl = opts.live?.baseUrl ?? 'http://127.0.0.1:8787';
  const lifecycle = new Lifecycle({
    store,
    sign: signSources,
    notifier: new ConsoleNotifier(outboxDir, (n) => notices.set(n.proposalId, n)),
    events: new FileEventSink(eventsFile),
    secret,
    decideBaseUrl: baseUrl,
    reportUrl: opts.live
      ? async (key) => signReportLink(baseUrl, key, Math.floor((opts.live?.now.getTime() ?? 0) / 1000) + REPORT_LINK_TTL_SECONDS, secret)
      : async (key) => pathToFileURL(path.join(dir, ...key.split('/'))).href,
  });
  const rand = mulberry32(seed);

  const stats = new Map(
    MODELS.map((m) => [m.modelId, { checks: 0, proposals: [] as string[], approvals: 0, retrains: 0, adoptions: 0, intervalsSeconds: [] as number[] }]),
  );
  const out = (line: DemoLine, text: string): void => opts.emit(opts.json ? JSON.stringify(line) : text);
  const stamp = (at: string): string => at.slice(0, 16).replace('T', ' ');

  out(
    { type: 'start', at: new Date(START).toISOString(), dir, days, seed, models: MODELS.map((m) => m.modelId) },
    `driftgate demo: ${days} simulated days, models ${MODELS.map((m) => `${m.modelId} (${m.behaviour})`).join(' and ')}, store ${dir}` +
      (opts.live ? '' : '\n(simulated clock: the "clicks" below are made by the demo itself; run driftgate demo --serve to click a live notice\'s link yourself)'),
  );

  // Day 0: configs, training data, initial references.
  const uploaded = new Map<string, string[]>(MODELS.map((m) => [m.modelId, []]));
  for (const spec of MODELS) {
    await lifecycle.putConfig(configOf(spec));
    const keys: string[] = [];
    for (let part = 0; part < REFERENCE_PARTS; part++) {
      const key = `training/${spec.modelId}/v1/part-${part}.arrow`;
      await store.put(key, batchBytes(rand, 0));
      keys.push(key);
    }
    const at = new Date(START + 6 * HOUR);
    const ref = await lifecycle.setReference(spec.modelId, keys, at, 'v1');
    out(
      { type: 'adopt', modelId: spec.modelId, at: at.toISOString(), version: ref.version, rows: ref.rows, referenceKey: ref.referenceKey, initial: true },
      `${stamp(at.toISOString())}  ${spec.modelId.padEnd(6)} reference v1 from ${ref.rows} training rows; first check in 1d`,
    );
  }

  const pendingAdoptions: { modelId: string; dueAt: number; proposalId: string }[] = [];
  const versions = new Map<string, number>(MODELS.map((m) => [m.modelId, 1]));

  for (let day = 1; day <= days; day++) {
    // 02:00 uploads land and are ingested (the S3 event path).
    for (const spec of MODELS) {
      const at = new Date(START + day * DAY + 2 * HOUR);
      const key = `${configOf(spec).batchPrefix}${at.toISOString().slice(0, 10)}.arrow`;
      await store.put(key, batchBytes(rand, driftOn(spec, day)));
      await lifecycle.ingest(key, at);
      uploaded.get(spec.modelId)?.push(key);
    }

    // 04:00 the retraining system reports new versions (trained on the most recent batches).
    const adoptAt = START + day * DAY + 4 * HOUR;
    const ready = pendingAdoptions.filter((p) => p.dueAt <= adoptAt);
    pendingAdoptions.splice(0, pendingAdoptions.length, ...pendingAdoptions.filter((p) => p.dueAt > adoptAt));
    for (const pending of ready) {
      const at = new Date(adoptAt);
      const version = `v${(versions.get(pending.modelId) ?? 1) + 1}`;
      versions.set(pending.modelId, (versions.get(pending.modelId) ?? 1) + 1);
      const trainingData = (uploaded.get(pending.modelId) ?? []).slice(-REFERENCE_PARTS);
      const previousInterval = (await lifecycle.state(pending.modelId))?.checkIntervalSeconds;
      const adopted = await lifecycle.adopt(pending.modelId, { version, trainingData }, at);
      const s = stats.get(pending.modelId);
      const minInterval = (await lifecycle.state(pending.modelId))?.checkIntervalSeconds ?? 86_400;
      if (s) s.adoptions++;
      out(
        { type: 'adopt', modelId: pending.modelId, at: at.toISOString(), version, rows: adopted.rows, referenceKey: adopted.referenceKey, proposalId: adopted.proposalId, trainingData },
        `${stamp(at.toISOString())}  ${pending.modelId.padEnd(6)} adopted ${version} (trained on ${trainingData.length} recent batches, ${adopted.rows} rows): new reference; cadence restarts at ${human(minInterval)}`,
      );
      if (previousInterval !== undefined && previousInterval !== minInterval) {
        s?.intervalsSeconds.push(minInterval);
        out(
          { type: 'cadence', modelId: pending.modelId, at: at.toISOString(), checkIntervalSeconds: minInterval, previousIntervalSeconds: previousInterval, reason: 'new reference: cadence restarts at the minimum interval' },
          `${stamp(at.toISOString())}  ${pending.modelId.padEnd(6)} cadence ${human(previousInterval)} -> ${human(minInterval)}: new reference, restarting at the minimum interval`,
        );
      }
    }

    // 08:00 the scheduled run.
    const checkAt = new Date(START + day * DAY + 8 * HOUR);
    const due = await lifecycle.checkDue(checkAt);
    for (const model of due.models) {
      if (model.error) throw new Error(`demo: ${model.modelId}: ${model.error}`);
      if (model.check) reportCheck(model.check, checkAt.toISOString());
    }

    // 10:00 a human reads the notice and clicks its approve link.
    for (const [proposalId, notice] of [...notices]) {
      notices.delete(proposalId);
      // Owner notices (an earned offer, a level change) are not proposals: nothing to approve.
      if ((await lifecycle.proposal(notice.modelId, proposalId)) === undefined) continue;
      const at = new Date(START + day * DAY + 10 * HOUR);
      const approve = [...notice.text.matchAll(/[?&]token=([A-Za-z0-9_.-]+)/g)].map((m) => m[1]).find((t) => peekToken(t)?.action === 'approve');
      if (!approve) throw new Error(`demo: the notice for ${proposalId} has no approve link`);
      const decided = await lifecycle.decide(approve, 'approve', at, { actor: 'demo-user@example.com' });
      const s = stats.get(notice.modelId);
      if (decided.status !== 'decided') continue;
      if (s) {
        s.approvals++;
        s.retrains++;
      }
      out(
        { type: 'decision', modelId: notice.modelId, at: at.toISOString(), proposalId, action: 'approve', actor: 'demo-user@example.com', simulated: true },
        `${stamp(at.toISOString())}  ${notice.modelId.padEnd(6)} simulated click: demo-user@example.com "approves" ${proposalId} (the demo posts the notice's approve token to the decision use case)`,
      );
      out(
        { type: 'retrain', modelId: notice.modelId, at: at.toISOString(), proposalId, messageId: decided.retrainMessageId, eventsFile },
        `${stamp(at.toISOString())}  ${notice.modelId.padEnd(6)} RetrainRequested published (${eventsFile})`,
      );
      pendingAdoptions.push({ modelId: notice.modelId, dueAt: at.getTime() + DAY, proposalId });
    }
  }

  await runHumansChapter({ dir: path.join(dir, 'humans'), startMs: START + (days + 1) * DAY, seed, emit: (line, text) => opts.emit(opts.json ? JSON.stringify(line) : text) });
  await runLearningChapter({ dir: path.join(dir, 'learning'), startMs: START + (days + 18) * DAY, seed, emit: (line, text) => opts.emit(opts.json ? JSON.stringify(line) : text) });
  const live = opts.live ? await liveProposal(opts.live.now) : undefined;

  const summary: DemoSummary = {
    ...(live ? { live } : {}),
    dir,
    days,
    seed,
    models: MODELS.map((m) => ({ modelId: m.modelId, behaviour: m.behaviour, ...(stats.get(m.modelId) ?? { checks: 0, proposals: [], approvals: 0, retrains: 0, adoptions: 0, intervalsSeconds: [] }) })),
    eventsFile,
    outboxDir,
  };
  out(
    { type: 'summary', at: new Date(START + days * DAY + 23 * HOUR).toISOString(), models: summary.models },
    [
      '',
      'summary:',
      ...summary.models.map(
        (m) =>
          `  ${m.modelId} (${m.behaviour}): ${m.checks} checks, intervals ${m.intervalsSeconds.map(human).join(' -> ') || 'unchanged'}, ${m.proposals.length} proposal(s), ${m.retrains} retrain(s), ${m.adoptions} adoption(s)`,
      ),
      `  store: ${dir}  notices: ${outboxDir}  events: ${eventsFile}`,
    ].join('\n'),
  );
  return summary;

  /**
   * At the real time: the retraining system reports what was approved, a few batches that drift further
   * land, and the scheduled run opens a proposal whose notice carries working links (valid for the TTL).
   */
  async function liveProposal(now: Date): Promise<NonNullable<DemoSummary['live']>> {
    const spec = MODELS.find((m) => m.behaviour === 'drifting') as ModelSpec;
    for (const pending of pendingAdoptions.splice(0)) {
      const version = `v${(versions.get(pending.modelId) ?? 1) + 1}`;
      versions.set(pending.modelId, (versions.get(pending.modelId) ?? 1) + 1);
      // Adopted at the end of the simulated weeks (as the loop would have), so the live drift is new evidence.
      await lifecycle.adopt(pending.modelId, { version, trainingData: (uploaded.get(pending.modelId) ?? []).slice(-REFERENCE_PARTS) }, new Date(START + days * DAY + 4 * HOUR));
    }
    for (let part = 0; part < 3; part++) {
      const key = `${configOf(spec).batchPrefix}live-${now.toISOString().slice(0, 10)}-${part}.arrow`;
      await store.put(key, batchBytes(rand, 1.2));
      await lifecycle.ingest(key, now);
    }
    notices.clear();
    const due = await lifecycle.checkDue(now);
    for (const model of due.models) if (model.check) reportCheck(model.check, now.toISOString());
    const notice = [...notices.values()].find((n) => n.modelId === spec.modelId);
    if (!notice) throw new Error('demo: the live check opened no proposal for the drifting model');
    const approve = /^Approve retraining: (\S+)$/m.exec(notice.text)?.[1];
    if (!approve) throw new Error(`demo: the live notice for ${notice.proposalId} has no approve link`);
    out(
      { type: 'live', modelId: spec.modelId, at: now.toISOString(), proposalId: notice.proposalId, approve, file: notice.file },
      `\nLive proposal ${notice.proposalId} for ${spec.modelId} (notice ${notice.file}). Open its approve link in a browser, confirm, and see events.jsonl:\n  ${approve}`,
    );
    return { modelId: spec.modelId, proposalId: notice.proposalId, approve, noticeFile: notice.file };
  }

  function reportCheck(check: CheckOutcome, at: string): void {
    const s = stats.get(check.modelId);
    if (check.status !== 'checked') {
      out({ type: 'check', modelId: check.modelId, at, status: check.status }, `${stamp(at)}  ${check.modelId.padEnd(6)} check: ${check.status}`);
      return;
    }
    if (s) s.checks++;
    out(
      { type: 'check', modelId: check.modelId, at, status: check.status, checkId: check.checkId, verdict: check.verdict, driftIndex: check.driftIndex, score: check.score, signatures: check.signatures, reportKey: check.reportKeys.html, nextCheckAt: check.nextCheckAt, forecast: check.forecast },
      `${stamp(at)}  ${check.modelId.padEnd(6)} check: ${check.verdict.padEnd(8)} drift index ${check.driftIndex.toFixed(2)} over ${check.signatures} batch(es)${check.forecast?.crossingAt ? `, forecast to cross 1 on ${check.forecast.crossingAt.slice(0, 10)}` : ''}`,
    );
    if (check.cadenceChange) {
      s?.intervalsSeconds.push(check.cadenceChange.checkIntervalSeconds);
      const c = check.cadenceChange;
      out(
        { type: 'cadence', modelId: check.modelId, at, checkIntervalSeconds: c.checkIntervalSeconds, previousIntervalSeconds: c.previousIntervalSeconds, reason: c.reason },
        `${stamp(at)}  ${check.modelId.padEnd(6)} cadence ${human(c.previousIntervalSeconds)} -> ${human(c.checkIntervalSeconds)}: ${c.reason}`,
      );
    }
    if (check.proposal) {
      const p = check.proposal;
      s?.proposals.push(p.proposalId);
      out(
        { type: 'proposal', modelId: check.modelId, at, proposalId: p.proposalId, triggers: p.triggers, expiresAt: p.expiresAt },
        `${stamp(at)}  ${check.modelId.padEnd(6)} retrain proposal ${p.proposalId} (${p.triggers.join(', ')}), expires ${p.expiresAt.slice(0, 16)}`,
      );
      const notice = notices.get(p.proposalId);
      if (notice) {
        out(
          { type: 'notice', modelId: check.modelId, at, proposalId: p.proposalId, messageId: notice.messageId, subject: notice.subject, file: notice.file, text: notice.text },
          `${stamp(at)}  ${check.modelId.padEnd(6)} notice sent (${notice.file}):\n${indent(`Subject: ${notice.subject}\n\n${notice.text}`)}`,
        );
      }
    }
  }
}

function human(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds >= 86_400) return `${(seconds / 86_400).toFixed(1)}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.round(seconds / 60)}m`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      | ${l}`)
    .join('\n');
}
