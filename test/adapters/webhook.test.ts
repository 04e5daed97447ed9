import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookNotifier, backoffDelay, postWithRetry, shownUrl } from '../../functions/adapters/webhook.js';
import { AdapterError } from '../../functions/core/errors.js';

// A real HTTP server on 127.0.0.1 plays the chat tool's incoming webhook: it answers as each test scripts.

let server: Server | undefined;

async function hook(answer: (n: number, req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      answer(bodies.length, req, res, body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/secret-part`, bodies };
}

afterEach(async () => {
  const running = server;
  server = undefined;
  if (running === undefined) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

describe('Function: postWithRetry', () => {
  it('retries a 500 with backoff and succeeds on the 200 that follows', async () => {
    // Prepare
    const { url, bodies } = await hook((n, _req, res) => res.writeHead(n === 1 ? 500 : 200).end('ok'));
    const retries: unknown[] = [];

    // Act
    const sent = await postWithRetry({ url, timeoutMs: 2000, attempts: 3, backoffMs: 20, onRetry: (e) => retries.push(e) }, { text: 'hello' });

    // Assess
    expect(sent).toEqual({ status: 200, attempts: 2 });
    expect(bodies.map((b) => JSON.parse(b))).toEqual([{ text: 'hello' }, { text: 'hello' }]);
    expect(retries).toEqual([{ url: 'http://127.0.0.1:' + new URL(url).port + '/…', attempt: 1, error: 'answered 500', waitMs: expect.any(Number) }]);
  });

  it('gives up after the last try when the hook never answers (each try times out), and says so', async () => {
    // Prepare: a hook that reads the request and never answers.
    const { url, bodies } = await hook(() => undefined);

    // Act
    const failure = await postWithRetry({ url, timeoutMs: 200, attempts: 3, backoffMs: 10 }, { text: 'x' }).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(AdapterError);
    expect((failure as Error).message).toContain('undelivered after 3 tries (last: no answer within 200 ms)');
    expect((failure as Error).message).not.toContain('secret-part');
    expect(bodies).toHaveLength(3);
  });

  it('does not retry a 400 (the request itself is wrong)', async () => {
    // Prepare
    const { url, bodies } = await hook((_n, _req, res) => res.writeHead(400).end('bad'));

    // Act
    const failure = await postWithRetry({ url, timeoutMs: 1000, attempts: 4, backoffMs: 10 }, { text: 'x' }).catch((e: unknown) => e);

    // Assess
    expect((failure as Error).message).toContain('answered 400 (not retried)');
    expect(bodies).toHaveLength(1);
  });

  it('a refused connection is retried, then reported undelivered', async () => {
    // Prepare: a port nobody listens on (a server bound, then closed).
    const { url } = await hook(() => undefined);
    const bound = server;
    server = undefined;
    await new Promise((resolve) => bound?.close(resolve));

    // Act
    const failure = await postWithRetry({ url, timeoutMs: 500, attempts: 2, backoffMs: 10 }, { text: 'x' }).catch((e: unknown) => e);

    // Assess
    expect((failure as Error).message).toMatch(/undelivered after 2 tries \(last: could not connect \(ECONNREFUSED\)\)/);
  });
});

describe('Class: WebhookNotifier', () => {
  it('POSTs the incoming-webhook shape: text plus structured fields', async () => {
    // Prepare
    const { url, bodies } = await hook((_n, req, res) => res.writeHead(req.headers['content-type'] === 'application/json' ? 200 : 415).end());

    // Act
    const { messageId } = await new WebhookNotifier({ url, timeoutMs: 1000, attempts: 1 }).send({ modelId: 'fraud', proposalId: 'p1', subject: '[driftgate] fraud: drift', text: 'body\nApprove retraining: http://x/decide?token=t' });

    // Assess
    expect(messageId).toMatch(/^webhook-/);
    expect(JSON.parse(bodies[0])).toEqual({
      text: '[driftgate] fraud: drift\n\nbody\nApprove retraining: http://x/decide?token=t',
      subject: '[driftgate] fraud: drift',
      modelId: 'fraud',
      proposalId: 'p1',
      source: 'driftgate',
    });
  });
});

describe('Function: backoffDelay', () => {
  it.each([
    [1, 500, 0.5, 500],
    [2, 500, 0.5, 1000],
    [3, 500, 0, 1500],
    [20, 500, 1, 37_500],
  ])('attempt %i, base %i, jitter draw %f -> %i ms', (attempt, base, draw, expected) => {
    // Assess
    expect(backoffDelay(attempt, base, () => draw)).toBe(expected);
  });

  it('hides the path and query of a webhook URL in messages (they often hold its secret)', () => {
    // Assess
    expect(shownUrl('https://hooks.example.com/services/T0/B0/XYZ?k=1')).toBe('https://hooks.example.com/…');
  });
});
