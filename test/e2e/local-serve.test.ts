import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../functions/adapters/http-server.js';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import { SECRET_FILE, localHandler, openLocalProduct, startLocalServer, type LocalProduct } from '../../functions/cli/local-product.js';
import { peekToken, signToken } from '../../functions/core/lifecycle/token.js';
import { repoRoot } from '../support/moto.js';
import { cli, driftingStore, on, onlyNotice, pyarrowBatches, snapshot, type NoticeLinks } from './local-support.js';

// Real pyarrow files, a real local store made by the CLI's verbs, the function URL's handler behind a real
// node:http server on 127.0.0.1 (one in this process, one in a second `driftgate serve` process).

let batches: string;
let store: string;
let local: LocalProduct;
let server: RunningServer;
let second: { child: ChildProcess; url: string; output: () => string };
let notice: NoticeLinks;

/** Start `driftgate serve --port 0` as a user would and read the address it prints. */
async function serveProcess(dir: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'driftgate.js'), 'serve', '--store', dir, '--port', '0', ...extra], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = / at (http:\/\/[^/\s]+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`driftgate serve exited ${code}: ${out}`)));
  });
  return { child, url, output: () => out };
}

beforeAll(async () => {
  batches = await pyarrowBatches();
  ({ store } = await driftingStore(batches));
  notice = await onlyNotice(store);
  local = await openLocalProduct({ dir: store });
  server = await startLocalServer(local, { host: '127.0.0.1', port: 0, logLevel: 'SILENT' });
  second = await serveProcess(store);
}, 120_000);

afterAll(async () => {
  second?.child.kill('SIGINT');
  await server?.close();
  await rm(path.dirname(store), { recursive: true, force: true });
  await rm(batches, { recursive: true, force: true });
});

describe('driftgate serve: the function URL handler on 127.0.0.1 over the local store', () => {
  it('the notice links point at the default local server and carry signed tokens', () => {
    // Assess
    expect(notice.approve).toMatch(/^http:\/\/127\.0\.0\.1:8787\/decide\?token=/);
    expect(notice.report).toMatch(/^http:\/\/127\.0\.0\.1:8787\/report\?key=reports%2Ffraud%2F/);
    expect(peekToken(new URL(notice.approve).searchParams.get('token') ?? '')?.action).toBe('approve');
  });

  it('a GET of each link shows a page and changes nothing in the store', async () => {
    // Prepare
    const before = await snapshot(store);

    // Act
    const answers = await Promise.all([notice.approve, notice.reject, notice.snooze, notice.report].map((l) => fetch(on(server.url, l))));
    const pages = await Promise.all(answers.map((a) => a.text()));

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(pages[0]).toContain('Approve retraining');
    expect(pages[0]).toContain('<form method="post">');
    expect(answers[0].headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(answers[3].headers.get('content-security-policy')).toContain("form-action 'none'");
    expect(pages[3]).toContain('fraud');
    expect(await snapshot(store)).toEqual(before);
  });

  it('refuses a forged token (403), an expired one (410) and a request without one (400)', async () => {
    // Prepare
    const token = new URL(notice.approve).searchParams.get('token') ?? '';
    const [payload, sig] = token.split('.');
    const forged = `${payload}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    const claims = peekToken(token);
    if (!claims) throw new Error('unreadable token');
    const secret = await readFile(path.join(store, SECRET_FILE));
    const expired = signToken({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, secret);
    const before = await snapshot(store);
    const post = (t: string): Promise<Response> =>
      fetch(`${server.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t, action: 'approve' }) });

    // Act
    const statuses = [
      (await fetch(`${server.url}/decide?token=${forged}`)).status,
      (await post(forged)).status,
      (await fetch(`${server.url}/decide?token=${expired}`)).status,
      (await post(expired)).status,
      (await fetch(`${server.url}/decide`)).status,
      (await fetch(`${server.url}/report?key=reports%2Ffraud%2Fx.html&exp=9999999999&sig=AAAA`)).status,
    ];

    // Assess
    expect(statuses).toEqual([403, 403, 410, 410, 400, 403]);
    expect(await snapshot(store)).toEqual(before);
  });

  it('the index lists the model, its cadence, open proposal and checks, shows the history plot and carries no decision link', async () => {
    // Act
    const answer = await fetch(`${server.url}/`);
    const html = await answer.text();

    // Assess
    expect(answer.status).toBe(200);
    expect(html).toContain('data-model="fraud"');
    expect(html).toContain('proposal open');
    expect(html).toContain(peekToken(new URL(notice.approve).searchParams.get('token') ?? '')?.proposalId);
    expect(html).toContain('<svg');
    expect(html).toMatch(/href="\/report\?key=reports%2Ffraud%2F/);
    expect(html).not.toContain('token=');
    expect(html).not.toContain('/decide');
    expect(html).not.toContain('<form');
  });

  it('the index is refused to a client that is not this machine; decision links still work for it', async () => {
    // Prepare: the event a request from another machine makes (a socket from another address cannot be made here).
    const handler = localHandler(local, { logLevel: 'SILENT' });
    const from = (rawPath: string, query = ''): unknown => ({ rawPath, rawQueryString: query, headers: {}, requestContext: { http: { method: 'GET', sourceIp: '192.0.2.7' } } });

    // Act
    const index = await handler(from('/'));
    const link = await handler(from('/decide', new URL(notice.reject).search.slice(1)));

    // Assess
    expect(index.statusCode).toBe(403);
    expect(index.body).not.toContain('fraud');
    expect(link.statusCode).toBe(200);
  });

  it('a body over the limit is refused with 413 before anything is read', async () => {
    // Act
    const answer = await fetch(`${server.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'A'.repeat(100_000)}&action=approve` });

    // Assess
    expect(answer.status).toBe(413);
  });

  it('20 concurrent POSTs of the approve link, split over two server processes, give exactly 1 retrain event; the replays answer 409', async () => {
    // Prepare
    const token = new URL(notice.approve).searchParams.get('token') ?? '';
    const form = new URLSearchParams({ token, action: 'approve' }).toString();
    const bases = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? server.url : second.url));

    // Act
    const answers = await Promise.all(bases.map((b) => fetch(`${b}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })));
    const statuses = answers.map((a) => a.status).sort();
    const events = await readEventFile(local.eventsFile);
    const replay = await fetch(`${server.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    const reject = await fetch(`${second.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: new URL(notice.reject).searchParams.get('token') ?? '', action: 'reject', reasonKind: 'not-material' }) });

    // Assess
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({ type: 'RetrainRequested', modelId: 'fraud', reason: 'approved' });
    expect(replay.status).toBe(409);
    expect(reject.status).toBe(409);
    expect(await readEventFile(local.eventsFile)).toHaveLength(1);
    const log = await local.lifecycle.decisionLog('fraud');
    expect(log.filter((e) => e.action === 'approve')).toHaveLength(1);
    expect(log.filter((e) => e.action === 'retrain')).toHaveLength(1);
  });

  it('a run after the approval publishes nothing more and the index shows the approval awaiting adoption', async () => {
    // Act
    const run = await cli(['run', '--store', store]);
    const html = await (await fetch(`${second.url}/`)).text();

    // Assess
    expect(run.code).toBe(0);
    expect(await readEventFile(local.eventsFile)).toHaveLength(1);
    expect(html).toContain('awaiting adoption');
  });

  it('a second serve on a port in use says so in one line and exits 2', async () => {
    // Prepare
    const port = Number(new URL(server.url).port);

    // Act
    const outcome = await cli(['serve', '--store', store, '--port', String(port)]);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
    expect(outcome.stderr).toContain(`127.0.0.1:${port}`);
    expect(outcome.stderr).toContain('already in use');
  });

  it('--allow-remote binds another address with a warning; the index still answers only this machine', async () => {
    // Act
    const remote = await serveProcess(store, ['--host', '0.0.0.0', '--allow-remote']);
    const port = new URL(remote.url).port;
    const index = await fetch(`http://127.0.0.1:${port}/`);
    remote.child.kill('SIGINT');
    const code = await new Promise((resolve) => remote.child.once('exit', resolve));

    // Assess
    expect(remote.output()).toMatch(/warning: serving on 0\.0\.0\.0, not only this machine/);
    expect(index.status).toBe(200);
    expect(code).toBe(0);
  });

  it('a non-loopback host needs --allow-remote (exit 2), and a missing store is one line, exit 2', async () => {
    // Act
    const remote = await cli(['serve', '--store', store, '--host', '0.0.0.0']);
    const missing = await cli(['serve', '--store', path.join(store, 'nope')]);

    // Assess
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('--allow-remote');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('nope');
  });
});
