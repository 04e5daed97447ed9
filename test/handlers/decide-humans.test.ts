import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LinkAction, signToken } from '../../functions/core/lifecycle/token.js';
import { type HttpResponse, makeDecideHandler } from '../../functions/handlers/decide.js';
import { EXP, NOW, OFFER, proposal, state } from './humans-fixture.js';
import { type LocalWorld, localWorld, quietTelemetry } from './support.js';

function urlEvent(method: string, options: { query?: Record<string, string>; body?: string } = {}): unknown {
  return {
    version: '2.0',
    rawPath: '/decide',
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.body === undefined ? {} : { body: options.body, isBase64Encoded: false }),
    requestContext: { http: { method, sourceIp: '203.0.113.9', userAgent: 'test' } },
  };
}

describe('Function: makeDecideHandler (humans in the loop)', () => {
  let world: LocalWorld;
  let handler: (event: unknown) => Promise<HttpResponse>;
  const link = (action: LinkAction, subject = 'p-1'): string => signToken({ proposalId: subject, modelId: 'fraud', action, exp: EXP, nonce: `nonce-${action}-1234` }, world.secret);
  const post = (fields: Record<string, string>): Promise<HttpResponse> => handler(urlEvent('POST', { body: new URLSearchParams(fields).toString() }));

  beforeEach(async () => {
    world = localWorld();
    await world.lifecycle.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' });
    await world.store.put('proposals/fraud/p-1.json', JSON.stringify(proposal));
    await world.store.put('state/fraud.json', JSON.stringify(state));
    handler = makeDecideHandler({ decisions: world.lifecycle, telemetry: quietTelemetry('decide-humans-test'), clock: () => NOW });
  });
  afterEach(() => world.cleanup());

  it('asks why on the reject page (a required choice and free text), and shows the level, the track record and the next step', async () => {
    // Act
    const page = await handler(urlEvent('GET', { query: { token: link('reject') } }));

    // Assess
    expect(page.statusCode).toBe(200);
    for (const value of ['not-material', 'expected', 'data-bug', 'other']) expect(page.body).toContain(`name="reasonKind" value="${value}"`);
    expect(page.body).toContain('name="reasonKind" value="not-material" required');
    expect(page.body).toContain('name="reason" maxlength="500"');
    expect(page.body).toContain('Level: <strong>manual</strong>');
    expect(page.body).toContain('Track record: 5 approved, 0 rejected, 0 expired');
    expect(page.body).toContain('Next step: An offer to move up to veto waits for the owner');
  });

  it('refuses a rejection without a reason (400, nothing decided) and records the reason of one with it', async () => {
    // Act
    const bare = await post({ token: link('reject'), action: 'reject' });
    const untouched = (await world.lifecycle.proposal('fraud', 'p-1'))?.status;
    const given = await post({ token: link('reject'), action: 'reject', reasonKind: 'not-material', reason: 'a 0.3σ move does not hurt this model' });

    // Assess
    expect(bare.statusCode).toBe(400);
    expect(bare.body).toContain('Rejecting asks why');
    expect(untouched).toBe('open');
    expect(given.statusCode).toBe(200);
    const entry = (await world.lifecycle.decisionLog('fraud')).find((e) => e.action === 'reject');
    expect(entry?.evidence).toMatchObject({ reasonKind: 'not-material', reason: 'a 0.3σ move does not hurt this model' });
    expect((await world.lifecycle.state('fraud'))?.autonomy).toMatchObject({ streak: 0, offer: null, record: { rejected: 1, reasons: { 'not-material': 1 } } });
  });

  it('shows an offer on GET (changes nothing), moves the level only on its POST, and refuses the link a second time', async () => {
    // Act
    const shown = await handler(urlEvent('GET', { query: { token: link('accept-level', 'offer-1') } }));
    const unchanged = (await world.lifecycle.state('fraud'))?.autonomy.level;
    const accepted = await post({ token: link('accept-level', 'offer-1'), action: 'accept-level' });
    const again = await post({ token: link('accept-level', 'offer-1'), action: 'accept-level' });

    // Assess
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('Move model <code>fraud</code> up to <strong>veto</strong>');
    expect(shown.body).toContain('Accept the offer</button>');
    expect(unchanged).toBeNull();
    expect(accepted.statusCode).toBe(200);
    expect(accepted.body).toContain('Model fraud is now at level veto.');
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('already used');
    expect((await world.lifecycle.state('fraud'))?.autonomy.level).toBe('veto');
  });

  it('lowers the level from the decision page with the page\'s own link, without spending it', async () => {
    // Prepare
    await post({ token: link('accept-level', 'offer-1'), action: 'accept-level' });

    // Act
    const page = await handler(urlEvent('GET', { query: { token: link('approve') } }));
    const lowered = await post({ token: link('approve'), action: 'lower', lowerTo: 'manual' });
    const approved = await post({ token: link('approve'), action: 'approve' });

    // Assess
    expect(page.body).toContain('<form method="post" id="lower">');
    expect(page.body).toContain('<option value="manual">manual</option>');
    expect(lowered.statusCode).toBe(200);
    expect(lowered.body).toContain('now at level manual');
    expect(approved.statusCode).toBe(200);
    expect(world.events).toHaveLength(1);
  });
});
