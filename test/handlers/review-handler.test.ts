import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewKey } from '../../functions/core/lifecycle/keys.js';
import type { ReviewDoc } from '../../functions/core/lifecycle/review.js';
import { signToken } from '../../functions/core/lifecycle/token.js';
import { MAX_REVIEW_BODY_BYTES, makeDecideHandler, reviewVerdictsOf } from '../../functions/handlers/decide.js';
import { type LocalWorld, localWorld, quietTelemetry } from './support.js';

const NOW = new Date('2026-05-02T12:00:00Z');
const EXP = Math.floor(Date.parse('2026-05-09T00:00:00Z') / 1000);

const doc: ReviewDoc = {
  schemaVersion: 1,
  modelId: 'fraud',
  past: [],
  round: {
    reviewId: 'r-h',
    createdAt: '2026-05-02T00:00:00.000Z',
    expiresAt: '2026-05-05T00:00:00.000Z',
    linkExpiresAt: '2026-05-09T00:00:00.000Z',
    referenceVersion: 'v1',
    checkId: 'c-1',
    rows: [0, 1].map((index) => ({ index, source: 'batches/fraud/a.parquet', row: index, values: { amount: index }, pick: 'typical' as const, why: 'typical' })),
    status: 'open',
    reminders: 2,
    wrongShare: 1,
    proposal: { ttlSeconds: 259_200, vetoWindowSeconds: 86_400, autonomyRules: { configured: 'manual', promoteAfter: 5, suggestAfter: 3 } },
    notices: [],
    noticeClaim: null,
    verdicts: null,
  },
};

const event = (method: string, body?: string, query?: Record<string, string>) => ({
  rawPath: '/decide',
  ...(query ? { queryStringParameters: query } : {}),
  ...(body !== undefined ? { body: Buffer.from(body).toString('base64'), isBase64Encoded: true } : {}),
  requestContext: { http: { method, sourceIp: '192.0.2.1', userAgent: 'test' } },
});

describe('Function: the decide handler, review routes', () => {
  let world: LocalWorld;
  const token = (nonce: string): string => signToken({ proposalId: 'r-h', modelId: 'fraud', action: 'review', exp: EXP, nonce }, world.secret);
  const handler = () => makeDecideHandler({ decisions: world.lifecycle, telemetry: quietTelemetry('review-handler-test'), clock: () => NOW });

  beforeAll(async () => {
    world = localWorld();
    await world.store.put(reviewKey('fraud'), JSON.stringify(doc));
  });
  afterAll(() => world?.cleanup());

  it.each<{ name: string; fields: Record<string, string>; parsed: unknown }>([
    { name: 'a verdict that is not one of the three', fields: { v0: 'maybe' }, parsed: null },
    { name: 'no verdict at all', fields: { c0: 'a comment alone' }, parsed: null },
    { name: 'a comment over 300 characters', fields: { v0: 'wrong', c0: 'x'.repeat(301) }, parsed: null },
    { name: 'two rows, one commented', fields: { v0: 'wrong', c0: ' odd ', v1: 'unsure', c1: '' }, parsed: [{ index: 0, verdict: 'wrong', comment: 'odd' }, { index: 1, verdict: 'unsure' }] },
  ])('reads the form fields: $name', ({ fields, parsed }) => {
    // Act / Assess
    expect(reviewVerdictsOf(fields)).toEqual(parsed);
  });

  it('answers 400 to a bad review form and records nothing; a GET never records', async () => {
    // Act
    const shown = await handler()(event('GET', undefined, { token: token('nonce-h-1') }));
    const bad = await handler()(event('POST', new URLSearchParams({ token: token('nonce-h-1'), action: 'review', v0: 'maybe' }).toString()));

    // Assess
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('name="v1"');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Each row needs one of: looks right, looks wrong, not sure.');
    expect(await world.lifecycle.decisionLog('fraud')).toEqual([]);
  });

  it('takes a review form larger than a decision form, and refuses one above MAX_REVIEW_BODY_BYTES (413) before reading anything', async () => {
    // Prepare
    const big = new URLSearchParams({ token: token('nonce-h-2'), action: 'review', v0: 'right', c0: 'é'.repeat(300), v1: 'wrong', c1: 'ü'.repeat(300), pad: 'p'.repeat(9000) }).toString();
    const huge = new URLSearchParams({ token: token('nonce-h-3'), action: 'review', v0: 'right', pad: 'p'.repeat(MAX_REVIEW_BODY_BYTES) }).toString();

    // Act
    const tooLarge = await handler()(event('POST', huge));
    const taken = await handler()(event('POST', big));

    // Assess
    expect(Buffer.byteLength(big)).toBeGreaterThan(8192);
    expect(tooLarge.statusCode).toBe(413);
    expect(taken.statusCode).toBe(200);
    expect(taken.body).toContain('Recorded: 1 looks right, 1 looks wrong, 0 not sure.');
  });

  it('reads (not 413) the largest form the page can send: 100 rows, each with a 300-character comment of 3-byte characters', async () => {
    // Prepare: a browser sends each '漢' as %E6%BC%A2 (9 bytes); 100 rows is the most a round has (review.rows ≤ 100).
    const fields: Record<string, string> = { token: token('nonce-h-5'), action: 'review' };
    for (let i = 0; i < 100; i++) Object.assign(fields, { [`v${i}`]: 'unsure', [`c${i}`]: '漢'.repeat(300) });
    const body = new URLSearchParams(fields).toString();
    await world.store.put(reviewKey('fraud'), JSON.stringify(doc)); // an open round again (an earlier test answered it)

    // Act
    const response = await handler()(event('POST', body));

    // Assess: read and judged (this round has 2 rows, so the answers do not match: 400), never refused for its size
    expect(Buffer.byteLength(body)).toBeGreaterThan(128 * 1024);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The answers do not match the rows of this review');
  });

  it('answers 400 (this link cannot do that) where no review path is wired', async () => {
    // Prepare
    const bare = makeDecideHandler({ decisions: { describeToken: world.lifecycle.describeToken.bind(world.lifecycle), decide: world.lifecycle.decide.bind(world.lifecycle) }, telemetry: quietTelemetry('review-handler-test'), clock: () => NOW });

    // Act
    const response = await bare(event('GET', undefined, { token: token('nonce-h-4') }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('This link cannot do that');
  });
});
