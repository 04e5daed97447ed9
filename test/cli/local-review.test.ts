import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalProduct, openLocalProduct, startLocalServer } from '../../functions/cli/local-product.js';
import type { RunningServer } from '../../functions/adapters/http-server.js';
import type { Notice } from '../../functions/core/ports.js';
import { REVIEW_LINKS_MARKER } from '../../functions/core/report/review-notice.js';
import { reviewBatch, reviewTokenOf } from '../service/review-flows.js';

const T0 = Date.parse('2026-04-06T00:00:00Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

describe('driftgate run + serve: a review round on one machine (local folder, a real server on 127.0.0.1)', () => {
  let dir: string;
  let local: LocalProduct;
  let server: RunningServer;
  const printed: Notice[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-local-review-'));
    local = await openLocalProduct({ dir, print: (n) => printed.push(n) });
    // The server's clock is the test's: the round's link is valid for its own dates.
    server = await startLocalServer(local, { host: '127.0.0.1', port: 0, logLevel: 'SILENT', clock: () => at(8) });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the scheduled run opens the round and prints the request; its link is served locally: GET shows, POST records once', async () => {
    // Prepare
    await local.lifecycle.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/', review: { every: '1d', rows: 5, exclude: ['email'] } });
    await local.store.put('training/fraud/v1.arrow', reviewBatch(1));
    await local.lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
    await local.store.put('batches/fraud/b-1.arrow', reviewBatch(2, 0.5));
    await local.lifecycle.ingest('batches/fraud/b-1.arrow', at(1));

    // Act: what `driftgate run` does (checkDue), then the reviewer's browser against `driftgate serve`.
    await local.lifecycle.checkDue(at(7));
    const request = printed.find((n) => n.text.includes(REVIEW_LINKS_MARKER));
    const token = request ? reviewTokenOf(request) : '';
    const page = await fetch(`${server.url}/decide?token=${token}`);
    const html = await page.text();
    const fields = new URLSearchParams({ token, action: 'review' });
    // Each row commented at the page's limit: the form (about 9 KiB) is larger than a decision form.
    for (const m of html.matchAll(/name="v(\d+)" value="right"/g)) fields.set(`v${m[1]}`, 'right'), fields.set(`c${m[1]}`, 'é'.repeat(300));
    const posted = await fetch(`${server.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });
    const again = await fetch(`${server.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });

    // Assess
    expect(request?.subject).toMatch(/^\[driftgate\] fraud: review 5 rows/);
    expect(request?.text).toContain('http://127.0.0.1:8787/decide?token=');
    expect(page.status).toBe(200);
    expect(html).not.toContain('@example.com');
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('Recorded: 5 looks right, 0 looks wrong, 0 not sure.');
    expect(again.status).toBe(409);
    const verdicts = (await local.lifecycle.decisionLog('fraud')).filter((e) => e.action === 'review-verdicts');
    expect(verdicts).toHaveLength(1);
    expect(Buffer.byteLength(fields.toString())).toBeGreaterThan(8192);
    expect((verdicts[0].evidence.rows as { comment?: string }[]).map((r) => r.comment)).toEqual(Array(5).fill('é'.repeat(300)));
  });
});
