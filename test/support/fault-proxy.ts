/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of moto server, for the SDK clients of the handlers
 * under test (the harness's own setup and assert clients stay direct to moto).
 *
 * Each request is named by its AWS service (from the SigV4 credential scope), operation and resource
 * (`s3 PutObject state/m.json`, `sns Publish <topic ARN>`; ids derived from content masked). Its fate is drawn
 * from mulberry32 seeded with a hash of (seed, name, how many requests of that name came before), so a seed
 * gives every request the same fate however concurrent requests interleave, and an SDK retry (the next
 * occurrence) draws afresh.
 *
 * Faults: S3 500 InternalError and 503 SlowDown (S3 REST-XML error bodies), SNS 500 InternalFailure
 * (query-protocol XML), Secrets Manager 500 InternalServiceError (JSON 1.1), connection resets before
 * forwarding (after the request's first bytes; moto never sees it) and after forwarding (moto handled it,
 * the client sees ECONNRESET: the ambiguous case), and latency. Everything else is forwarded unchanged:
 * S3 bodies stream both ways (chunked or not), other services' small bodies are read first (the operation
 * is in them), and client connections are kept alive.
 *
 * @example
 * const proxy = await startFaultProxy({ target: moto.endpoint, seed: 7, failureRate: 0.1 });
 * const clients = createAwsClients({ endpoint: proxy.url, region: 'us-east-1' });
 * console.log(proxy.counts());
 * await proxy.close();
 */
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mulberry32 } from '../../functions/core/random.js';

/** Every fault the proxy can inject. */
export const FAULT_KINDS = [
  's3-internal-error',
  's3-slow-down',
  'sns-internal-error',
  'secrets-internal-error',
  'reset-before',
  'reset-after',
  'latency',
] as const;

/** One kind of injected fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The services the proxy tells apart; anything else is forwarded without faults. */
export type ProxiedService = 's3' | 'sns' | 'secretsmanager' | 'sqs' | 'other';

/** The failures (latency aside) each service may get from the random draw. */
const FAILURES: Readonly<Record<ProxiedService, readonly FaultKind[]>> = {
  s3: ['s3-internal-error', 's3-slow-down', 'reset-before', 'reset-after'],
  sns: ['sns-internal-error', 'reset-before', 'reset-after'],
  secretsmanager: ['secrets-internal-error', 'reset-before', 'reset-after'],
  sqs: [],
  other: [],
};

/** What the proxy knows of a request when it decides its fate. */
export interface ProxiedRequest {
  readonly service: ProxiedService;
  /** The API operation: `GetObject`, `Publish`, `GetSecretValue`... */
  readonly operation: string;
  /** The S3 object key (or bucket), the SNS topic ARN, the secret id; '' when none. */
  readonly resource: string;
  readonly method: string;
  /** SNS message attributes of a Publish (`proposalId`, `eventId`...), so a test can tell whose message a fault hit. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Conditional-write headers of an S3 PUT. */
  readonly condition?: 'if-match' | 'if-none-match';
  /** The Range header of a ranged S3 GET. */
  readonly range?: string;
}

/** A deterministic fault for matching requests, applied before the random draw. */
export interface FaultRule {
  readonly match: (request: ProxiedRequest) => boolean;
  readonly kind: FaultKind;
  /**
   * How many matching requests get it.
   * @default 1
   */
  readonly times?: number;
}

/** One fault the proxy injected. */
export interface InjectedFault extends ProxiedRequest {
  readonly kind: FaultKind;
  /** Latency only: the delay in milliseconds. */
  readonly delayMs?: number;
  /** reset-after only: moto's status for the request the client never saw answered. */
  readonly upstreamStatus?: number;
}

/** How the proxy behaves. */
export interface FaultProxyOptions {
  /** The moto endpoint, `http://127.0.0.1:<port>`. */
  readonly target: string;
  /** Seed of the fault draw. */
  readonly seed: number;
  /**
   * Share of requests that fail (5xx or a reset), among the services that can fail.
   * @default 0
   */
  readonly failureRate?: number;
  /**
   * Share of the other requests that are delayed.
   * @default 0
   */
  readonly latencyRate?: number;
  /**
   * Bounds of an injected delay, in milliseconds.
   * @default [20, 200]
   */
  readonly latencyMs?: readonly [number, number];
  /**
   * Deterministic faults, tried in order before the random draw.
   * @default []
   */
  readonly rules?: readonly FaultRule[];
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`, the endpoint to give the SDK clients under test. */
  readonly url: string;
  /** Every injected fault, in the order injected. */
  readonly injected: readonly InjectedFault[];
  /** Injected faults per kind (every kind present, zero when none). */
  counts(): Record<FaultKind, number>;
  /** Requests received, per `service operation`. */
  readonly requests: ReadonlyMap<string, number>;
  /** Client TCP connections accepted (fewer than requests when keep-alive works). */
  readonly connections: number;
  /** Forwarding failures the proxy did not inject (moto unreachable, a reset from moto); a clean run has none. */
  readonly upstreamErrors: readonly string[];
  /** Turn the random draw on or off (rules still apply); on at start when failureRate or latencyRate > 0. */
  setRandomFaults(on: boolean): void;
  /** Add a deterministic rule (tried before the ones given at start). */
  addRule(rule: FaultRule): void;
  close(): Promise<void>;
}

/** Start the proxy on a free 127.0.0.1 port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const failureRate = options.failureRate ?? 0;
  const latencyRate = options.latencyRate ?? 0;
  const [minDelay, maxDelay] = options.latencyMs ?? [20, 200];
  const rules: { rule: FaultRule; left: number }[] = (options.rules ?? []).map((rule) => ({ rule, left: rule.times ?? 1 }));
  const occurrences = new Map<string, number>();
  const requests = new Map<string, number>();
  const injected: InjectedFault[] = [];
  const upstreamErrors: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let randomOn = failureRate > 0 || latencyRate > 0;

  /** The fate of one request: a rule's, else the seeded draw's, else none. */
  function fate(req: ProxiedRequest): { kind: FaultKind; delayMs?: number } | undefined {
    const ruled = rules.find((r) => r.left > 0 && r.rule.match(req));
    if (ruled) {
      ruled.left -= 1;
      return { kind: ruled.rule.kind, ...(ruled.rule.kind === 'latency' ? { delayMs: maxDelay } : {}) };
    }
    // Each range its own name: a reader may fetch several ranges of one object concurrently.
    const name = `${req.service} ${req.operation} ${stableName(req.resource)}${req.range !== undefined ? ` ${req.range}` : ''}`;
    const n = occurrences.get(name) ?? 0;
    occurrences.set(name, n + 1);
    if (!randomOn) return undefined;
    const draw = mulberry32(fnv1a(`${options.seed}|${name}|${n}`));
    const [fails, which, delayed, delay] = [draw(), draw(), draw(), draw()];
    const kinds = FAILURES[req.service];
    if (kinds.length > 0 && fails < failureRate) return { kind: kinds[Math.floor(which * kinds.length)] };
    if (delayed < latencyRate) return { kind: 'latency', delayMs: Math.round(minDelay + delay * (maxDelay - minDelay)) };
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = serviceOf(req);
    // S3 bodies stream through; the other services' bodies are small and name the operation.
    const body = service === 's3' ? undefined : await readAll(req);
    const info = describe(service, req, body);
    const counted = `${info.service} ${info.operation}`;
    requests.set(counted, (requests.get(counted) ?? 0) + 1);
    const chosen = fate(info);
    const record: { -readonly [K in keyof InjectedFault]: InjectedFault[K] } | undefined = chosen
      ? { ...info, kind: chosen.kind, ...(chosen.delayMs !== undefined ? { delayMs: chosen.delayMs } : {}) }
      : undefined;
    if (record === undefined) {
      await forward(req, res, body, 'answer');
      return;
    }
    injected.push(record);
    switch (record.kind) {
      case 'latency':
        await sleep(record.delayMs ?? maxDelay);
        await forward(req, res, body, 'answer');
        return;
      case 'reset-before':
        await firstBytes(req, body);
        req.socket.resetAndDestroy();
        return;
      case 'reset-after': {
        const status = await forward(req, res, body, 'reset');
        if (status !== undefined) record.upstreamStatus = status;
        return;
      }
      default:
        if (body === undefined) await drain(req);
        answerError(res, record.kind, req.method === 'HEAD');
    }
  }

  /**
   * Send the request to moto and pipe the answer back ('answer'), or read moto's whole answer and then
   * reset the client's connection ('reset': the request took effect, the client cannot know).
   */
  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, mode: 'answer' | 'reset'): Promise<number | undefined> {
    return new Promise((resolve) => {
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: forwardedHeaders(req.rawHeaders),
          // One connection per forwarded request: no stale keep-alive socket to moto can fail a request
          // the proxy did not mean to fail.
          agent: false,
        },
        (answer) => {
          if (mode === 'reset') {
            answer.resume();
            answer.on('end', () => {
              req.socket.resetAndDestroy();
              resolve(answer.statusCode);
            });
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardedHeaders(answer.rawHeaders));
          answer.pipe(res);
          answer.on('end', () => resolve(answer.statusCode));
          answer.on('error', () => resolve(undefined));
        },
      );
      upstream.on('error', (error) => {
        upstreamErrors.push(`${req.method} ${req.url}: ${error.message}`);
        req.socket.resetAndDestroy();
        resolve(undefined);
      });
      req.on('aborted', () => upstream.destroy());
      if (body !== undefined) upstream.end(body);
      else req.pipe(upstream);
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      upstreamErrors.push(`${req.method} ${req.url}: proxy error ${error instanceof Error ? error.message : String(error)}`);
      req.socket.destroy();
    });
  });
  // Longer than any pause in a test: the proxy never closes an idle client connection the SDK may reuse.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset socket reports ECONNRESET on its own side too; that is the point, not an error.
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    counts: () => Object.fromEntries(FAULT_KINDS.map((k) => [k, injected.filter((f) => f.kind === k).length])) as Record<FaultKind, number>,
    requests,
    get connections() {
      return connections;
    },
    upstreamErrors,
    setRandomFaults: (on) => {
      randomOn = on;
    },
    addRule: (rule) => {
      rules.unshift({ rule, left: rule.times ?? 1 });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Hop-by-hop headers: each connection has its own. The framing headers (content-length, transfer-encoding) stay. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'expect']);

function forwardedHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  }
  return out;
}

function serviceOf(req: IncomingMessage): ProxiedService {
  const scope = /Credential=[^/,]+\/\d{8}\/[^/,]+\/([^/,]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
  const name = scope?.[1];
  return name === 's3' || name === 'sns' || name === 'secretsmanager' || name === 'sqs' ? name : 'other';
}

function describe(service: ProxiedService, req: IncomingMessage, body: Buffer | undefined): ProxiedRequest {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://proxy');
  if (service === 's3') {
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const condition = req.headers['if-match'] !== undefined ? 'if-match' : req.headers['if-none-match'] !== undefined ? 'if-none-match' : undefined;
    // A listing is named by its prefix, so each prefix's listings draw their own fates.
    const resource = key !== '' ? key : url.searchParams.has('prefix') ? `${bucket}?prefix=${url.searchParams.get('prefix')}` : bucket;
    const range = req.headers.range;
    return {
      service,
      method,
      operation: s3Operation(method, key, url.searchParams, req),
      resource,
      attributes: {},
      ...(method === 'PUT' && condition ? { condition } : {}),
      ...(range !== undefined ? { range } : {}),
    };
  }
  const text = body?.toString('utf8') ?? '';
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target !== '') {
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: named by its target alone.
    }
    const resource = String(json.SecretId ?? json.QueueUrl ?? '');
    return { service, method, operation: target.slice(target.lastIndexOf('.') + 1), resource, attributes: {} };
  }
  const form = new URLSearchParams(text);
  const attributes: Record<string, string> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    attributes[String(form.get(`MessageAttributes.entry.${i}.Name`))] = String(form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '');
  }
  return { service, method, operation: form.get('Action') ?? `${method} ${url.pathname}`, resource: form.get('TopicArn') ?? form.get('QueueUrl') ?? '', attributes };
}

function s3Operation(method: string, key: string, query: URLSearchParams, req: IncomingMessage): string {
  if (key === '') {
    if (method === 'GET' && query.has('list-type')) return 'ListObjectsV2';
    return `${method} bucket`;
  }
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'PUT') return req.headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
  if (method === 'DELETE') return 'DeleteObject';
  return `${method} object`;
}

/** The error response of one injected failure, in the service's own protocol, so the SDK parses and classifies it. */
function answerError(res: ServerResponse, kind: FaultKind, head: boolean): void {
  const requestId = `fault-${Math.random().toString(16).slice(2, 10)}`;
  const responses: Partial<Record<FaultKind, { status: number; type: string; body: string; headers?: Record<string, string> }>> = {
    's3-internal-error': {
      status: 500,
      type: 'application/xml',
      body: s3Error('InternalError', 'We encountered an internal error. Please try again.', requestId),
    },
    's3-slow-down': {
      status: 503,
      type: 'application/xml',
      body: s3Error('SlowDown', 'Please reduce your request rate.', requestId),
    },
    'sns-internal-error': {
      status: 500,
      type: 'text/xml',
      body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>The request processing has failed because of an unknown error, exception or failure.</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    },
    'secrets-internal-error': {
      status: 500,
      type: 'application/x-amz-json-1.1',
      body: JSON.stringify({ __type: 'InternalServiceError', message: 'An error occurred on the server side.' }),
      headers: { 'x-amzn-errortype': 'InternalServiceError' },
    },
  };
  const answer = responses[kind];
  if (answer === undefined) throw new Error(`${kind} is not an error response`);
  const body = head ? '' : answer.body;
  res.writeHead(answer.status, {
    'content-type': answer.type,
    'content-length': String(Buffer.byteLength(body)),
    'x-amz-request-id': requestId,
    'x-amzn-requestid': requestId,
    ...answer.headers,
  });
  res.end(body);
}

function s3Error(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>fault-proxy</HostId></Error>`;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  await new Promise<void>((resolve) => {
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.resume();
  });
}

/** Wait for the request's first body bytes (a reset "mid-request"), or its end when it has no body. */
async function firstBytes(req: IncomingMessage, body: Buffer | undefined): Promise<void> {
  if (body !== undefined || req.readableEnded) return;
  await new Promise<void>((resolve) => {
    req.once('data', () => {
      req.pause();
      resolve();
    });
    req.once('end', resolve);
    req.once('error', () => resolve());
  });
}

/**
 * A resource name without the ids that change from run to run or with what a document holds: proposal and
 * check ids (hashes of a state version) and decision-link use ids (hashes of a random nonce). Their
 * requests are sequential, so the occurrence count still tells them apart; signature keys stay whole,
 * because a check reads a model's signatures concurrently.
 */
function stableName(resource: string): string {
  return resource.replace(/\d{8}T\d{6}Z-[0-9a-f]+/g, '<id>').replace(/^tokens\/[0-9a-f]+$/, 'tokens/<use-id>');
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
