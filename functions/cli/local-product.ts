/**
 * driftgate on one machine: the local folder store wired to the same use cases as the Lambdas
 * (service/lifecycle.ts composes them), the notifiers each model's config chooses (`local.notifiers`:
 * console, outbox, webhook), retrain events to `<store>/events.jsonl` (and a webhook when configured),
 * the HMAC key in `<store>/.driftgate-secret`, and the decision server: the function URL's own handler
 * (`makeDecideHandler`) behind a node:http server, plus an index page for this machine only.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ConsoleNotifier } from '../adapters/console-notifier.js';
import { FileEventSink } from '../adapters/file-event-sink.js';
import { type FunctionUrlHandler, type FunctionUrlResponse, type RunningServer, serveFunctionUrl } from '../adapters/http-server.js';
import { LocalStore } from '../adapters/local-store.js';
import { signSources } from '../adapters/sign-sources.js';
import { WebhookEventSink, WebhookNotifier, type WebhookOptions } from '../adapters/webhook.js';
import { InvalidInputError } from '../core/errors.js';
import type { ModelConfig } from '../core/lifecycle/config.js';
import { reportKey } from '../core/lifecycle/keys.js';
import type { DecideOutcome } from '../core/lifecycle/types.js';
import type { EventSink, Log, Notice, Notifier, RetrainRequested, SignSources } from '../core/ports.js';
import { renderIndexPage, type IndexModel } from '../core/report/index-page.js';
import { REPORT_CSP } from '../core/report/page.js';
import { MAX_REVIEW_BODY_BYTES, SECURITY_HEADERS, makeDecideHandler } from '../handlers/decide.js';
import { REPORT_LINK_TTL_SECONDS, signReportLink, verifyReportLink } from '../handlers/report-link.js';
import { Lifecycle } from '../service/lifecycle.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './args.js';
import { METRICS_NAMESPACE } from '../service/logger.js';
import { ModelRepository } from '../service/model-repository.js';

/** The store's HMAC key file: a dot file, so no store key can name it and the server can never serve it. */
export const SECRET_FILE = '.driftgate-secret';
/** Where retrain events go, in the store folder. */
export const EVENTS_FILE = 'events.jsonl';
/** Where the outbox notifier writes notices, in the store folder. */
export const OUTBOX_DIR = 'outbox';
/** How long a report link on the index page works. */
const INDEX_REPORT_LINK_SECONDS = 3600;

/** Fail with one line naming the folder unless it is an existing, writable folder. */
export async function assertStoreDir(dir: string, what = 'store folder'): Promise<string> {
  const root = path.resolve(dir);
  const info = await fs.stat(root).catch(() => undefined);
  if (info === undefined) throw new InvalidInputError(dir, `the ${what} does not exist${what === 'store folder' ? ' (create it with driftgate init --store DIR)' : ''}`);
  if (!info.isDirectory()) throw new InvalidInputError(dir, `the ${what} is not a folder`);
  try {
    await fs.access(root, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new InvalidInputError(dir, `the ${what} is not writable by this user`);
  }
  return root;
}

/**
 * The store's HMAC key: read it, or create it once (written whole, then linked, so two processes starting
 * together end up with the same key). Mode 0600.
 */
export async function storeSecret(root: string): Promise<Buffer> {
  const file = path.join(root, SECRET_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new InvalidInputError(file, `cannot read the store's signing key: ${err.code ?? err.message}`);
    });
    if (existing !== undefined && existing.length >= 32) return existing;
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(temp, randomBytes(32), { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }
  throw new InvalidInputError(file, 'the store signing key is shorter than 32 bytes; delete it to make a new one (every open link stops working)');
}

/** A notice as the console shows it. */
export type PrintNotice = (notice: Notice & { channel: 'console' }) => void;

/** Sends each notice to the channels of its model's config; delivered only when every channel took it. */
export class ConfiguredNotifier implements Notifier {
  constructor(
    private readonly repo: ModelRepository,
    private readonly outboxDir: string,
    private readonly print: PrintNotice,
    private readonly log?: Log,
  ) {}

  async send(notice: Notice): Promise<{ messageId: string }> {
    const local = await localOf(this.repo, notice.modelId);
    const ids: string[] = [];
    for (const channel of local.notifiers) {
      if (channel === 'console') {
        this.print({ ...notice, channel });
        ids.push('console');
      } else if (channel === 'outbox') {
        ids.push((await new ConsoleNotifier(this.outboxDir).send(notice)).messageId);
      } else if (local.webhook !== undefined) {
        ids.push((await new WebhookNotifier(webhookOptions(local.webhook, this.log, notice.modelId)).send(notice)).messageId);
      }
    }
    return { messageId: ids.join(' ') };
  }
}

/** Retrain events: the model's webhook first (when configured; a failure fails the publish, retried later with the same eventId), then the store's JSONL file. */
export class ConfiguredEventSink implements EventSink {
  private readonly file: FileEventSink;

  constructor(
    private readonly repo: ModelRepository,
    eventsFile: string,
    private readonly log?: Log,
  ) {
    this.file = new FileEventSink(eventsFile);
  }

  async publish(event: RetrainRequested): Promise<{ messageId: string }> {
    const local = await localOf(this.repo, event.modelId);
    if (local.retrainWebhook !== undefined) await new WebhookEventSink(webhookOptions(local.retrainWebhook, this.log, event.modelId)).publish(event);
    return this.file.publish(event);
  }
}

async function localOf(repo: ModelRepository, modelId: string): Promise<NonNullable<ModelConfig['local']> | { notifiers: readonly ['console', 'outbox']; webhook?: undefined; retrainWebhook?: undefined }> {
  const config = await repo.config(modelId);
  return config.local ?? { notifiers: ['console', 'outbox'] };
}

function webhookOptions(w: { url: string; timeoutMs: number; attempts: number }, log: Log | undefined, modelId: string): WebhookOptions {
  return { url: w.url, timeoutMs: w.timeoutMs, attempts: w.attempts, onRetry: (entry) => log?.({ step: 'webhook-retry', modelId, ...entry }) };
}

/** Everything of one local store. */
export interface LocalProduct {
  readonly root: string;
  readonly store: LocalStore;
  readonly lifecycle: Lifecycle;
  readonly secret: Buffer;
  readonly eventsFile: string;
  readonly outboxDir: string;
  /** The base URL decision and report links point at. */
  readonly baseUrl: string;
}

/** What wiring a local store takes. */
export interface LocalProductOptions {
  readonly dir: string;
  /** Base of the links in notices. @default http://127.0.0.1:8787 */
  readonly baseUrl?: string;
  readonly print?: PrintNotice;
  readonly log?: Log;
  /** How batch files are signed (e.g. on worker threads: worker-pool.ts workerSignSources). @default signSources, in this thread */
  readonly sign?: SignSources;
}

/**
 * Wire a local store (which must exist and be writable) to the lifecycle.
 * @example
 * const local = await openLocalProduct({ dir: './store' });
 * await local.lifecycle.checkDue(new Date());
 */
export async function openLocalProduct(options: LocalProductOptions): Promise<LocalProduct> {
  const root = await assertStoreDir(options.dir);
  const store = new LocalStore(root);
  const secret = await storeSecret(root);
  const baseUrl = (options.baseUrl ?? `http://${DEFAULT_HOST}:${DEFAULT_PORT}`).replace(/\/+$/, '');
  const eventsFile = path.join(root, EVENTS_FILE);
  const outboxDir = path.join(root, OUTBOX_DIR);
  // The notifier and event sink read each model's config through a repository over the same store.
  const repo = new ModelRepository(store);
  const lifecycle = new Lifecycle({
    store,
    sign: options.sign ?? signSources,
    notifier: new ConfiguredNotifier(repo, outboxDir, options.print ?? (() => undefined), options.log),
    events: new ConfiguredEventSink(repo, eventsFile, options.log),
    secret,
    decideBaseUrl: baseUrl,
    reportUrl: async (key) => signReportLink(baseUrl, key, Math.floor(Date.now() / 1000) + REPORT_LINK_TTL_SECONDS, secret),
    ...(options.log ? { log: options.log } : {}),
  });
  return { root, store, lifecycle, secret, eventsFile, outboxDir, baseUrl };
}

/** Is this address this machine (the index page is shown only to it)? */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Is this host a loopback name or address (binding anywhere else needs --allow-remote)? */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}

/** The index page's data: every model's state, proposals and recent checks, read from the store. */
export async function indexModels(local: LocalProduct, now: Date): Promise<{ models: IndexModel[]; broken: { source: string; error: string }[] }> {
  const repo = local.lifecycle.repo;
  const { configs, broken } = await repo.configs();
  const exp = Math.floor(now.getTime() / 1000) + INDEX_REPORT_LINK_SECONDS;
  const models = await Promise.all(
    configs.map(async (config): Promise<IndexModel> => {
      const state = (await repo.state(config.modelId))?.value;
      const proposals = (await repo.proposals(config.modelId)).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
      const reportLinks: Record<string, string> = {};
      for (const h of state?.history.slice(-10) ?? []) {
        const key = reportKey(config.modelId, h.checkId, 'html');
        // A relative link: it works on whatever address the page was opened.
        if (await repo.has(key)) reportLinks[h.checkId] = signReportLink('', key, exp, local.secret);
      }
      return {
        modelId: config.modelId,
        ...(state
          ? {
              state: {
                referenceVersion: state.reference.version,
                checkIntervalSeconds: state.checkIntervalSeconds,
                nextCheckAt: state.nextCheckAt,
                lastCheckAt: state.lastCheckAt,
                activeProposalId: state.activeProposalId,
                incidentOpen: state.incident !== null,
                history: state.history,
                cadence: state.cadence,
                forecast: state.forecast,
              },
            }
          : {}),
        proposals: proposals.map((p) => ({
          proposalId: p.proposalId,
          status: p.status,
          createdAt: p.createdAt,
          expiresAt: p.expiresAt,
          verdict: p.reasons.verdict,
          driftIndex: p.reasons.driftIndex,
          noticeSentAt: p.notice?.sentAt ?? null,
        })),
        reportLinks,
      };
    }),
  );
  return { models, broken: broken.map((b) => ({ source: b.error.source, error: b.error.message.split('\n').join(' ') })) };
}

/** What the local server takes. */
export interface LocalServerOptions {
  readonly host: string;
  readonly port: number;
  /** Where the handler's log lines go (Powertools JSON). @default WARN and above on stdout */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  readonly clock?: () => Date;
  readonly onError?: (error: unknown) => void;
  /** Told each decision the server took (for the terminal). @default none */
  readonly onDecision?: (outcome: DecideOutcome) => void;
}

/**
 * The function URL's handler over the local store, plus `GET /` (the index) for loopback clients.
 * Every other path, and every method, is the decision handler's to answer.
 */
export function localHandler(local: LocalProduct, options: Pick<LocalServerOptions, 'logLevel' | 'clock' | 'onDecision'> = {}): FunctionUrlHandler {
  const clock = options.clock ?? (() => new Date());
  // No CloudWatch here: EMF metric blobs on stdout would only be noise. Powertools' own switch, read by
  // every Metrics it builds (singleMetric too); a caller that set it either way keeps its choice.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'driftgate-local' });
  const telemetry = { logger: new Logger({ serviceName: 'driftgate-local', logLevel: options.logLevel ?? 'WARN' }), metrics };
  const decide = makeDecideHandler({
    decisions: {
      describeToken: (token, now) => local.lifecycle.describeToken(token, now),
      decide: async (token, action, now, opts) => {
        const outcome = await local.lifecycle.decide(token, action, now, opts);
        options.onDecision?.(outcome);
        return outcome;
      },
      // Owner and review links are served here too (the decide handler routes them).
      owner: local.lifecycle.owner,
      review: local.lifecycle.review,
    },
    telemetry,
    clock,
    reports: async (query, now) => {
      const key = verifyReportLink(query, local.secret, now);
      const stored = await local.store.get(key);
      return stored === undefined ? undefined : Buffer.from(stored.body).toString('utf8');
    },
  });
  return async (event) => {
    const e = event as { rawPath?: string; requestContext?: { http?: { method?: string; sourceIp?: string } } };
    if (e.rawPath === '/' || e.rawPath === '/index.html') return index(e.requestContext?.http?.method ?? 'GET', e.requestContext?.http?.sourceIp ?? '');
    return decide(event);
  };

  async function index(method: string, sourceIp: string): Promise<FunctionUrlResponse> {
    // The report's policy: the index has no form, so it may post nowhere.
    const headers = { ...SECURITY_HEADERS, 'content-security-policy': `${REPORT_CSP}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'` };
    if (method !== 'GET' && method !== 'HEAD') return { statusCode: 405, headers: { ...headers, allow: 'GET' }, body: 'Method not allowed\n' };
    if (!isLoopback(sourceIp)) {
      return { statusCode: 403, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'The index is shown only on the machine running driftgate. Decision links from notices work from anywhere.\n' };
    }
    const now = clock();
    const { models, broken } = await indexModels(local, now);
    return { statusCode: 200, headers, body: renderIndexPage({ generatedAt: now.toISOString(), models, broken }) };
  }
}

/**
 * Serve the local store on host:port (see localHandler).
 * @example
 * const server = await startLocalServer(local, { host: '127.0.0.1', port: 8787 });
 */
export async function startLocalServer(local: LocalProduct, options: LocalServerOptions): Promise<RunningServer> {
  // Bodies up to the review form's limit reach the handler whole (it refuses larger ones, and decision forms over 8 KiB, with 413).
  return serveFunctionUrl(localHandler(local, options), { host: options.host, port: options.port, maxBodyBytes: MAX_REVIEW_BODY_BYTES, ...(options.onError ? { onError: options.onError } : {}) });
}
