/**
 * Test harness: one moto server per test file, on its own free port on 127.0.0.1, from the project venv.
 *
 * @example
 * let moto: MotoServer;
 * beforeAll(async () => { moto = await startMoto(); });
 * afterAll(async () => { await moto.stop(); });
 * const s3 = new S3Client(awsTestClientConfig(moto.endpoint));
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** The repository root, computed from this file's location (test/support/moto.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The project venv's Python interpreter. */
export const venvPython = join(repoRoot, '.venv', 'bin', 'python');

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Kill the server and wait for it to exit. */
  stop(): Promise<void>;
}

/** Client config for any AWS SDK v3 client (S3, SNS, SQS, Secrets Manager) pointed at moto. */
export interface AwsTestClientConfig {
  readonly endpoint: string;
  readonly region: 'us-east-1';
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Needed by S3 (bucket in the path, not the host name); ignored by the other clients. */
  readonly forcePathStyle: true;
  readonly maxAttempts: number;
}

const STARTUP_TIMEOUT_MS = 60_000;

/**
 * `python -m moto.server <args>` plus a watchdog thread that exits when stdin closes, so a test worker that
 * is killed (SIGKILL, crash) never leaves an orphaned moto server behind, and requests applied one at a
 * time as S3 applies them (moto's threaded server is not atomic per request; see the comment inside).
 */
const MOTO_WITH_WATCHDOG = `
import os, runpy, sys, threading
def watchdog():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watchdog, daemon=True).start()
# Real S3 applies each request atomically (a conditional write wins or gets 412; a read never sees half a
# write). moto's threaded server can interleave requests on one key: under 20 racing checks it answered an
# HTML 500 page, and once let two conditional writes both win. So requests run one at a time, as S3 orders
# them, except SQS long polls (they wait on purpose and would hold every other request).
import moto.moto_server.werkzeug_app as werkzeug_app
_one_at_a_time = threading.Lock()
_dispatch = werkzeug_app.DomainDispatcherApplication.__call__
def _atomic(self, environ, start_response):
    if environ.get('HTTP_X_AMZ_TARGET', '').startswith('AmazonSQS.ReceiveMessage'):
        return _dispatch(self, environ, start_response)
    with _one_at_a_time:
        return list(_dispatch(self, environ, start_response))
werkzeug_app.DomainDispatcherApplication.__call__ = _atomic
sys.argv = ['moto.server'] + sys.argv[1:]
runpy.run_module('moto.server', run_name='__main__', alter_sys=True)
`;
const START_ATTEMPTS = 3;

/** Start a moto server on a free 127.0.0.1 port, creating the venv first if it is missing, and wait until it answers. */
export async function startMoto(): Promise<MotoServer> {
  ensureVenv();
  let lastError: unknown;
  // A free port can be taken between our probe and moto's bind; retry on a fresh port.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      return await launch(port);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`moto server did not start after ${START_ATTEMPTS} attempts`, { cause: lastError });
}

/** SDK client config for a moto endpoint: fixed region, dummy credentials, path-style S3 addressing. */
export function awsTestClientConfig(endpoint: string): AwsTestClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts: 1,
  };
}

/** Drop every resource in the moto server (buckets, topics, queues, secrets). */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) {
    throw new Error(`moto reset failed: HTTP ${response.status}`);
  }
}

function ensureVenv(): void {
  if (existsSync(venvPython) && spawnSync(venvPython, ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0) {
    return;
  }
  const script = join(repoRoot, 'scripts', 'ensure-moto.sh');
  const result = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${script} failed (exit ${result.status}); cannot start moto`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the probe server port'));
        return;
      }
      const { port } = address;
      server.close(() => resolvePort(port));
    });
  });
}

async function launch(port: number): Promise<MotoServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(venvPython, ['-c', MOTO_WITH_WATCHDOG, '-H', '127.0.0.1', '-p', String(port)], {
    cwd: repoRoot,
    // stdin is the watchdog's lifeline: it closes when this process dies, however it dies.
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    // Keep only the tail: moto logs one line per request.
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  // If the test worker dies without calling stop(), do not leave a server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let up = false;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  while (!up && exitCode === undefined && Date.now() < deadline) {
    up = await answers(endpoint);
    if (!up) await sleep(100);
  }
  if (!up) {
    process.removeListener('exit', killOnExit);
    await kill(child, exited);
    const why = exitCode !== undefined ? `exited with code ${exitCode}` : `did not answer within ${STARTUP_TIMEOUT_MS} ms`;
    throw new Error(`moto server on port ${port} ${why}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  }

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stop: () => {
      stopped ??= (async () => {
        process.removeListener('exit', killOnExit);
        await kill(child, exited);
      })();
      return stopped;
    },
  };
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

/**
 * A canned HTTP response (usually an error) for one SDK command, for conditions no emulator can produce.
 */
export interface HttpFault {
  /** The SDK command name, e.g. `PutObjectCommand`. */
  readonly commandName: string;
  readonly statusCode: number;
  /** The raw response body, e.g. S3's `<Error><Code>SlowDown</Code>...</Error>` (see s3ErrorXml). */
  readonly body: string;
  /**
   * Content type of the canned response.
   * @default 'application/xml'
   */
  readonly contentType?: string;
  /**
   * How many matching requests get the fault; later ones go to moto.
   * @default Infinity
   */
  readonly times?: number;
}

let faultCount = 0;

interface MiddlewareClient {
  readonly middlewareStack: {
    addRelativeTo(middleware: unknown, options: { name: string; relation: 'after'; toMiddleware: string }): void;
  };
}

/**
 * Make an SDK client receive a canned HTTP error response instead of moto's answer, innermost to the SDK's
 * deserializer, so the SDK's own error parsing and the adapter's handling are what the test exercises.
 * Use only for conditions no emulator can produce (a 500, throttling, a 409 conditional-write conflict).
 * Returns live counters: `seen` matching requests and `injected` faults.
 */
export function injectHttpFault(client: MiddlewareClient, fault: HttpFault): { seen: number; injected: number } {
  const counters = { seen: 0, injected: 0 };
  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown): Promise<unknown> => {
      if (context.commandName !== fault.commandName) return next(args);
      counters.seen += 1;
      if (counters.injected >= (fault.times ?? Number.POSITIVE_INFINITY)) return next(args);
      counters.injected += 1;
      return {
        output: {},
        response: {
          statusCode: fault.statusCode,
          headers: { 'content-type': fault.contentType ?? 'application/xml', 'x-amz-request-id': 'injected-fault' },
          body: Readable.from([Buffer.from(fault.body)]),
        },
      };
    };
  client.middlewareStack.addRelativeTo(middleware, {
    name: `injectHttpFault-${fault.commandName}-${++faultCount}`,
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
  });
  return counters;
}

/** Count the requests an SDK client sends for one command (e.g. `GetObjectCommand`), retries included. */
export function countRequests(client: MiddlewareClient, commandName: string): { count: number } {
  const counter = { count: 0 };
  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown): Promise<unknown> => {
      if (context.commandName === commandName) counter.count += 1;
      return next(args);
    };
  client.middlewareStack.addRelativeTo(middleware, {
    name: `countRequests-${commandName}-${++faultCount}`,
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
  });
  return counter;
}

/** An S3 REST-XML error body. */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>injected</RequestId></Error>`;
}

/** An SNS notification as an SQS subscriber without raw message delivery receives it. */
export interface SnsEnvelope {
  readonly Type: string;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { readonly Type: string; readonly Value: string }>;
}

/**
 * Create an SQS queue subscribed to an SNS topic (raw message delivery off, so the SNS envelope with
 * Subject and MessageAttributes arrives), optionally with a subscription filter policy on message attributes.
 */
export async function subscribeQueue(
  sns: SNSClient,
  sqs: SQSClient,
  topicArn: string,
  queueName: string,
  filterPolicy?: Record<string, unknown>,
): Promise<{ queueUrl: string; subscriptionArn: string }> {
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const { SubscriptionArn: subscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: {
        RawMessageDelivery: 'false',
        ...(filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {}),
      },
      ReturnSubscriptionArn: true,
    }),
  );
  if (queueUrl === undefined || subscriptionArn === undefined) throw new Error(`could not subscribe ${queueName}`);
  return { queueUrl, subscriptionArn };
}

/** Drain a queue (moto delivers SNS to SQS synchronously, so no long polling is needed) and parse the envelopes. */
export async function receiveEnvelopes(sqs: SQSClient, queueUrl: string): Promise<SnsEnvelope[]> {
  const envelopes: SnsEnvelope[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!Messages || Messages.length === 0) return envelopes;
    for (const message of Messages) {
      envelopes.push(JSON.parse(message.Body ?? '') as SnsEnvelope);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}
