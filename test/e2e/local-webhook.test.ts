import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import { openLocalProduct } from '../../functions/cli/local-product.js';
import { cli, pyarrowBatches } from './local-support.js';

// A veto-mode model whose notices go only to a webhook: a real HTTP server on 127.0.0.1 that first answers
// 500 (then, later, 200). The undelivered notice is recorded as such and the veto window does not start;
// the delivery on a later run starts it; the retrain event goes to events.jsonl and to the retrain webhook.

const HOUR = 3_600_000;
let batches: string;
let root: string;
let store: string;
let hook: Server;
let hookUrl: string;
let mode: 'fail' | 'ok' = 'fail';
const received: { path: string; body: Record<string, unknown>; status: number }[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = mode === 'ok' ? 200 : 500;
      received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown>, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  batches = await pyarrowBatches();
  root = await mkdtemp(path.join(tmpdir(), 'driftgate-webhook-'));
  store = path.join(root, 'store');
}, 120_000);

afterAll(async () => {
  hook.closeAllConnections();
  await new Promise((resolve) => hook.close(resolve));
  await rm(root, { recursive: true, force: true });
  await rm(batches, { recursive: true, force: true });
});

describe('local notifiers: a webhook that fails, then answers', () => {
  it('an undelivered notice starts no veto window; its delivery on a later run does; the event goes to the file and the retrain webhook', async () => {
    // Prepare
    const config = path.join(root, 'fraud.json');
    await writeFile(
      config,
      JSON.stringify({
        schemaVersion: 1,
        modelId: 'fraud',
        batchPrefix: 'batches/fraud/',
        approval: { mode: 'veto', vetoWindow: '1h' },
        local: { notifiers: ['webhook'], webhook: { url: `${hookUrl}/notices`, timeoutMs: 1000, attempts: 2 }, retrainWebhook: { url: `${hookUrl}/retrain`, timeoutMs: 1000, attempts: 2 } },
      }),
    );
    const t0 = Date.now() - 10 * HOUR;
    const at = (h: number): string => new Date(t0 + h * HOUR).toISOString();
    expect((await cli(['init', '--store', store, '--model', 'fraud', '--config', config, path.join(batches, 'reference.parquet')], new Date(t0))).code).toBe(0);
    expect((await cli(['ingest', '--store', store, path.join(batches, 'drift-1.parquet'), path.join(batches, 'drift-2.parquet')], new Date(t0))).code).toBe(0);
    const local = await openLocalProduct({ dir: store });
    const proposal = async () => {
      const id = (await local.lifecycle.state('fraud'))?.activeProposalId;
      return id ? local.lifecycle.proposal('fraud', id) : undefined;
    };

    // Act 1: the check opens a proposal; the webhook answers 500 to both tries.
    const first = await cli(['run', '--store', store, '--now', at(2)]);
    const afterFirst = await proposal();

    // Assess 1
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/notice NOT delivered \(.*undelivered after 2 tries \(last: answered 500\)\)/);
    expect(received.map((r) => [r.path, r.status])).toEqual([['/notices', 500], ['/notices', 500]]);
    expect(received[0].body.text).toMatch(/Approve retraining: http:\/\/127\.0\.0\.1:8787\/decide\?token=/);
    expect(received[0].body).toMatchObject({ modelId: 'fraud', proposalId: afterFirst?.proposalId, source: 'driftgate' });
    expect(afterFirst?.notice).toBeNull();
    expect((await local.lifecycle.decisionLog('fraud')).filter((e) => e.action === 'notice-failed')).toHaveLength(1);

    // Act 2: two hours later (the veto window would be over had the notice arrived), still failing.
    const second = await cli(['run', '--store', store, '--now', at(4)]);

    // Assess 2: retried, still undelivered, and no retrain.
    expect(second.stdout).toMatch(/notice-failed/);
    expect(received).toHaveLength(4);
    expect(await readEventFile(local.eventsFile)).toEqual([]);
    expect((await proposal())?.status).toBe('open');

    // Act 3: the hook answers; the next run delivers, and the window starts then.
    mode = 'ok';
    const third = await cli(['run', '--store', store, '--now', at(6)]);
    const delivered = await proposal();

    // Assess 3
    expect(third.stdout).toMatch(/notice sent/);
    expect(delivered?.notice?.sentAt).toBe(at(6));
    expect(await readEventFile(local.eventsFile)).toEqual([]);

    // Act 4: the window (1h) passes after the delivery.
    await cli(['run', '--store', store, '--now', at(6.5)]);
    const early = await readEventFile(local.eventsFile);
    await cli(['run', '--store', store, '--now', at(7.1)]);
    const events = await readEventFile(local.eventsFile);

    // Assess 4
    expect(early).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({ modelId: 'fraud', reason: 'veto-window-elapsed' });
    const retrain = received.filter((r) => r.path === '/retrain');
    expect(retrain).toHaveLength(1);
    expect(retrain[0].body).toMatchObject({ type: 'RetrainRequested', eventId: events[0].event.eventId, modelId: 'fraud' });
    expect(typeof retrain[0].body.text).toBe('string');
  }, 120_000);

  it('a config choosing the webhook notifier without its url is refused naming the field', async () => {
    // Prepare
    const bad = path.join(root, 'bad.json');
    await writeFile(bad, JSON.stringify({ schemaVersion: 1, modelId: 'bad', batchPrefix: 'batches/bad/', local: { notifiers: ['webhook'] } }));

    // Act
    const outcome = await cli(['validate-config', bad]);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('local.webhook');
  });
});
