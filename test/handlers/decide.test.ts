import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../functions/core/lifecycle/token.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import type { Proposal } from '../../functions/core/lifecycle/types.js';
import { evidenceOf, makeDecideHandler, MAX_BODY_BYTES, SECURITY_HEADERS, type HttpResponse } from '../../functions/handlers/decide.js';
import { DECISION_ERRORS_METRIC, SERVICE_NAME } from '../../functions/handlers/env.js';
import { createTelemetry, METRICS_NAMESPACE } from '../../functions/service/logger.js';
import { signReportLink, verifyReportLink } from '../../functions/handlers/report-link.js';
import { localWorld, quietTelemetry, type LocalWorld } from './support.js';
import { signSources } from '../../functions/adapters/sign-sources.js';

const NOW = new Date('2026-02-01T12:00:00Z');
const EXP = Math.floor(NOW.getTime() / 1000) + 3600;

const proposal: Proposal = {
  schemaVersion: 2,
  proposalId: 'p-1',
  modelId: 'fraud',
  createdAt: '2026-02-01T10:00:00.000Z',
  expiresAt: '2026-02-04T10:00:00.000Z',
  mode: 'manual',
  vetoWindowSeconds: 86_400,
  status: 'open',
  checkId: 'c-1',
  reportKey: 'reports/fraud/c-1.html',
  reasons: {
    verdict: 'drift',
    driftIndex: 0.42,
    triggers: ['2 of 3 features drifted'],
    driftedFeatures: [{ name: 'amount', score: 0.31, threshold: 0.1, test: 'wasserstein' }, { name: '<script>', score: 0.2, threshold: 0.1 }],
    forecast: null,
    retrainBy: null,
  },
  fingerprint: 'amount,<script>',
  notice: { messageId: 'n-1', sentAt: '2026-02-01T10:00:01.000Z' },
  noticeClaim: null,
  decision: null,
  retrainEvent: null,
  adoptedVersion: null,
};

function urlEvent(method: string, options: { path?: string; query?: Record<string, string>; body?: string; base64?: boolean } = {}): unknown {
  const body = options.body === undefined ? undefined : options.base64 === false ? options.body : Buffer.from(options.body).toString('base64');
  return {
    version: '2.0',
    rawPath: options.path ?? '/decide',
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { host: 'abc.lambda-url.eu-west-1.on.aws' },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(body === undefined ? {} : { body, isBase64Encoded: options.base64 !== false }),
    requestContext: { domainName: 'abc.lambda-url.eu-west-1.on.aws', http: { method, sourceIp: '203.0.113.9', userAgent: 'test' } },
  };
}

describe('Function: makeDecideHandler', () => {
  let world: LocalWorld;
  let handler: (event: unknown) => Promise<HttpResponse>;
  const token = (action: 'approve' | 'reject' | 'snooze', secret?: string, exp = EXP): string =>
    signToken({ proposalId: 'p-1', modelId: 'fraud', action, exp, nonce: 'nonce-123456' }, secret ?? world.secret);

  beforeEach(async () => {
    world = localWorld();
    await world.store.put('proposals/fraud/p-1.json', JSON.stringify(proposal));
    handler = makeDecideHandler({ decisions: world.lifecycle, telemetry: quietTelemetry('decide-test'), clock: () => NOW });
  });

  afterEach(() => world.cleanup());

  it('shows the evidence and a confirmation form on GET, and changes nothing', async () => {
    // Act
    const response = await handler(urlEvent('GET', { query: { token: token('approve') } }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual(SECURITY_HEADERS);
    expect(response.body).toContain('<form method="post">');
    expect(response.body).toContain('amount');
    expect(response.body).toContain('&lt;script&gt;');
    expect(response.body).not.toContain('<script>');
    expect(await world.store.list('tokens/')).toEqual([]);
    expect(world.events).toEqual([]);
  });

  it('acts only on POST: an approval emits one retrain event; the same form again changes nothing', async () => {
    // Prepare
    const form = new URLSearchParams({ token: token('approve'), action: 'approve', reason: 'looks real' }).toString();

    // Act
    const first = await handler(urlEvent('POST', { body: form }));
    const again = await handler(urlEvent('POST', { body: form, base64: false }));

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Done');
    expect(again.statusCode).toBe(409);
    expect(world.events).toHaveLength(1);
    expect(world.events[0]).toMatchObject({ modelId: 'fraud', proposalId: 'p-1', reason: 'approved', decidedBy: 'link (203.0.113.9)' });
    const approval = (await world.lifecycle.decisionLog('fraud')).find((e) => e.action === 'approve');
    expect(approval?.evidence.client).toEqual({ sourceIp: '203.0.113.9', userAgent: expect.any(String) });
  });

  it('refuses a form over the body limit with 413 before reading the secret or touching storage', async () => {
    // Prepare: a port that would fail the test if it were built.
    let built = 0;
    const guarded = makeDecideHandler({ decisions: async () => (built++, world.lifecycle), telemetry: quietTelemetry('decide-test'), clock: () => NOW });
    const form = new URLSearchParams({ token: token('approve'), action: 'approve', reason: 'x'.repeat(MAX_BODY_BYTES) }).toString();

    // Act
    const response = await guarded(urlEvent('POST', { body: form }));

    // Assess
    expect(response.statusCode).toBe(413);
    expect(built).toBe(0);
    expect(world.events).toEqual([]);
    expect((await world.lifecycle.proposal('fraud', 'p-1'))?.status).toBe('open');
  });

  it('tells the approver the approval stands when the retrain event could not be sent yet', async () => {
    // Prepare: a retrain topic that is down (the lifecycle keeps the approval; checkDue sends the event later).
    const down = new Lifecycle({
      store: world.store,
      sign: signSources,
      notifier: { send: () => Promise.reject(new Error('not used')) },
      events: { publish: () => Promise.reject(new Error('retrain topic down')) },
      secret: world.secret,
      decideBaseUrl: 'https://decide.example',
    });
    const downHandler = makeDecideHandler({ decisions: down, telemetry: quietTelemetry('decide-test'), clock: () => NOW });
    const form = new URLSearchParams({ token: token('approve'), action: 'approve' }).toString();

    // Act
    const response = await downHandler(urlEvent('POST', { body: form }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('could not be sent yet');
    expect(response.body).not.toContain('was sent');
    const stored = await world.store.get('proposals/fraud/p-1.json');
    expect(JSON.parse(Buffer.from(stored!.body).toString('utf8'))).toMatchObject({ status: 'approved' });
  });

  it('snoozes for the posted duration', async () => {
    // Act
    const response = await handler(urlEvent('POST', { body: new URLSearchParams({ token: token('snooze'), action: 'snooze', snoozeSeconds: '7200' }).toString() }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('2026-02-01T14:00:00.000Z');
    expect(world.events).toEqual([]);
  });

  it.each([
    ['a token signed with another key', () => urlEvent('GET', { query: { token: signToken({ proposalId: 'p-1', modelId: 'fraud', action: 'approve', exp: EXP, nonce: 'nonce-123456' }, 'other-key') } }), 403],
    ['a forged POST', () => urlEvent('POST', { body: `token=${signToken({ proposalId: 'p-1', modelId: 'fraud', action: 'approve', exp: EXP, nonce: 'nonce-123456' }, 'other-key')}&action=approve` }), 403],
    ['an expired token', () => urlEvent('GET', { query: { token: signToken({ proposalId: 'p-1', modelId: 'fraud', action: 'approve', exp: EXP - 7200, nonce: 'nonce-123456' }, 'unit-test-secret-0123456789abcdef') } }), 410],
    ['a damaged token', () => urlEvent('GET', { query: { token: 'abc' } }), 400],
    ['no token', () => urlEvent('GET'), 400],
    ['a POST without token', () => urlEvent('POST', { body: 'action=approve' }), 400],
  ])('refuses %s with a generic page', async (_name, event, status) => {
    // Act
    const response = await handler(event());

    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.body).toContain('This link cannot be used');
    expect(response.body.toLowerCase()).not.toMatch(/signature|hmac|secret/);
    expect(world.events).toEqual([]);
  });

  it('refuses a reject link posted as an approval', async () => {
    // Act
    const response = await handler(urlEvent('POST', { body: new URLSearchParams({ token: token('reject'), action: 'approve' }).toString() }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(world.events).toEqual([]);
  });

  it('answers 405 with Allow for other methods, 404 for other paths, 400 for a non-URL event', async () => {
    // Act
    const put = await handler(urlEvent('PUT'));
    const other = await handler(urlEvent('GET', { path: '/admin' }));
    const bad = await handler({ hello: 'world' });

    // Assess
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    expect(other.statusCode).toBe(404);
    expect(bad.statusCode).toBe(400);
    for (const r of [put, other, bad]) expect(r.headers['cache-control']).toBe('no-store');
  });
});

describe('Function: makeDecideHandler (error metric)', () => {
  let world: LocalWorld;
  let lines: string[];

  interface Emf {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    [key: string]: unknown;
  }

  beforeEach(() => {
    world = localWorld();
    // Dev mode makes Powertools write EMF through the global console, which the test reads.
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    lines = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    world.cleanup();
  });

  const errorBlobs = (): Emf[] =>
    lines
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Emf)
      .filter((b) => b._aws.CloudWatchMetrics[0].Metrics.some((m) => m.Name === DECISION_ERRORS_METRIC));

  it('counts each 500 page in DecisionErrors (the invocation itself succeeds), and nothing for a refused link', async () => {
    // Prepare: a stored proposal that is no longer a proposal document.
    await world.store.put('proposals/fraud/p-1.json', '{"schemaVersion": 1, "proposalId": "p-1"');
    const handler = makeDecideHandler({ decisions: world.lifecycle, telemetry: createTelemetry(SERVICE_NAME.decide, { logLevel: 'SILENT' }), clock: () => NOW });
    const sign = (action: 'approve' | 'reject', secret: string): string =>
      signToken({ proposalId: 'p-1', modelId: 'fraud', action, exp: EXP, nonce: 'nonce-123456' }, secret);

    // Act
    const shown = await handler(urlEvent('GET', { query: { token: sign('approve', world.secret) } }));
    const posted = await handler(urlEvent('POST', { body: new URLSearchParams({ token: sign('reject', world.secret), action: 'reject', reasonKind: 'other' }).toString() }));
    const forged = await handler(urlEvent('GET', { query: { token: sign('approve', 'another-secret') } }));

    // Assess
    expect([shown.statusCode, posted.statusCode, forged.statusCode]).toEqual([500, 500, 403]);
    const blobs = errorBlobs();
    expect(blobs).toHaveLength(2);
    for (const blob of blobs) {
      expect(blob).toMatchObject({ service: SERVICE_NAME.decide, [DECISION_ERRORS_METRIC]: 1 });
      expect(blob._aws.CloudWatchMetrics[0]).toEqual({
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: [{ Name: DECISION_ERRORS_METRIC, Unit: 'Count' }],
      });
    }
    expect(world.events).toEqual([]);
  });

  it('counts a report request the store failed in DecisionErrors', async () => {
    // Prepare: the report's path is a folder, so reading it fails (EISDIR) after the link verified.
    const key = 'reports/fraud/c-1.html';
    await world.store.put(`${key}/stray.txt`, 'not a report');
    const handler = makeDecideHandler({
      decisions: world.lifecycle,
      reports: async (query, now) => {
        const stored = await world.store.get(verifyReportLink(query, world.secret, now));
        return stored === undefined ? undefined : Buffer.from(stored.body).toString('utf8');
      },
      telemetry: createTelemetry(SERVICE_NAME.decide, { logLevel: 'SILENT' }),
      clock: () => NOW,
    });
    const url = new URL(signReportLink('https://x', key, EXP, world.secret));

    // Act
    const response = await handler(urlEvent('GET', { path: url.pathname, query: Object.fromEntries(url.searchParams) }));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(errorBlobs()).toHaveLength(1);
  });
});

describe('Function: makeDecideHandler (reports)', () => {
  let world: LocalWorld;
  let handler: (event: unknown) => Promise<HttpResponse>;
  const key = 'reports/fraud/c-1.html';

  beforeEach(async () => {
    world = localWorld();
    await world.store.put(key, '<!doctype html><h1>Drift report: fraud</h1>');
    handler = makeDecideHandler({
      decisions: world.lifecycle,
      reports: async (query, now) => {
        const verified = verifyReportLink(query, world.secret, now);
        const stored = await world.store.get(verified);
        return stored === undefined ? undefined : Buffer.from(stored.body).toString('utf8');
      },
      telemetry: quietTelemetry('decide-test'),
      clock: () => NOW,
    });
  });

  afterEach(() => world.cleanup());

  const get = (link: string): unknown => {
    const url = new URL(link);
    return urlEvent('GET', { path: url.pathname, query: Object.fromEntries(url.searchParams) });
  };

  it('serves a stored report for a signed link, with a CSP that allows no form', async () => {
    // Act
    const response = await handler(get(signReportLink('https://x', key, EXP, world.secret)));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Drift report: fraud');
    expect(response.headers['content-security-policy']).toContain("form-action 'none'");
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('refuses a forged link, answers 404 for a report no longer stored and 405 for a POST', async () => {
    // Act
    const forged = await handler(get(signReportLink('https://x', key, EXP, 'other-secret')));
    const gone = await handler(get(signReportLink('https://x', 'reports/fraud/gone.html', EXP, world.secret)));
    const post = await handler(urlEvent('POST', { path: '/report' }));

    // Assess
    expect(forged.statusCode).toBe(403);
    expect(forged.body).not.toContain('Drift report');
    expect(gone.statusCode).toBe(404);
    expect(post.statusCode).toBe(405);
  });
});

describe('Function: evidenceOf', () => {
  it('summarises the drifted features of a proposal', () => {
    // Act
    const evidence = evidenceOf(proposal);

    // Assess
    expect(evidence.verdict).toBe('drift');
    expect(evidence.headline).toBe('Drift in 2 features (drift index 0.42). Why now: 2 of 3 features drifted.');
    expect(evidence.features).toEqual([
      { name: 'amount', move: 'score 0.31 against threshold 0.1 (wasserstein)' },
      { name: '<script>', move: 'score 0.2 against threshold 0.1' },
    ]);
  });
});
