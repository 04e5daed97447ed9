import { describe, expect, it } from 'vitest';
import { DecisionTokenError, peekToken, signToken, tokenHash, tokenUseId, verifyToken } from '../../../functions/core/lifecycle/token.js';

const SECRET = 'test-secret-not-used-anywhere-else';
const NOW = new Date('2026-03-01T12:00:00Z');
const payload = { proposalId: 'p1', modelId: 'fraud', action: 'approve' as const, exp: NOW.getTime() / 1000 + 3600, nonce: 'abcdefghijkl' };

function problemOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DecisionTokenError ? err.problem : `other: ${String(err)}`;
  }
  return undefined;
}

describe('Function: verifyToken', () => {
  it('accepts a token it signed and returns the payload', () => {
    // Prepare
    const token = signToken(payload, SECRET);

    // Act
    const verified = verifyToken(token, SECRET, NOW, 'approve');

    // Assess
    expect(verified).toEqual(payload);
    expect(peekToken(token)).toEqual(payload);
    expect(tokenHash(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses forged, tampered, expired, wrong-action and malformed tokens', () => {
    // Prepare
    const token = signToken(payload, SECRET);
    const [body, sig] = token.split('.');
    const tamperedBody = Buffer.from(JSON.stringify({ ...payload, proposalId: 'p2' })).toString('base64url');

    // Act / Assess
    expect(problemOf(() => verifyToken(signToken(payload, 'another-secret'), SECRET, NOW))).toBe('forged');
    expect(problemOf(() => verifyToken(`${tamperedBody}.${sig}`, SECRET, NOW))).toBe('forged');
    expect(problemOf(() => verifyToken(`${body}.${sig.slice(0, -2)}`, SECRET, NOW))).toBe('forged');
    expect(problemOf(() => verifyToken(token, SECRET, new Date(payload.exp * 1000)))).toBe('expired');
    expect(problemOf(() => verifyToken(token, SECRET, NOW, 'reject'))).toBe('wrong-action');
    expect(problemOf(() => verifyToken('nonsense', SECRET, NOW))).toBe('malformed');
    expect(problemOf(() => verifyToken('a.b.c', SECRET, NOW))).toBe('malformed');
  });

  it('accepts only the canonical spelling: the spare bits of the last base64url character are refused', () => {
    // Prepare: the 43-character signature has 2 spare bits, so 4 spellings decode to the same bytes.
    const token = signToken(payload, SECRET);
    const [body, sig] = token.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const spellings = [...alphabet].map((c) => `${body}.${sig.slice(0, -1)}${c}`);

    // Act
    const accepted = spellings.filter((t) => problemOf(() => verifyToken(t, SECRET, NOW)) === undefined);
    const sameBytes = spellings.filter((t) => Buffer.from(t.split('.')[1], 'base64url').equals(Buffer.from(sig, 'base64url')));

    // Assess
    expect(sameBytes).toHaveLength(4);
    expect(accepted).toEqual([token]);
    for (const t of sameBytes.filter((x) => x !== token)) expect(problemOf(() => verifyToken(t, SECRET, NOW))).toBe('malformed');
  });

  it('keys single use on the decision (model, proposal, action, nonce), not on the raw string', () => {
    // Act / Assess
    expect(tokenUseId(payload)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenUseId(payload)).toBe(tokenUseId({ ...payload }));
    expect(tokenUseId({ ...payload, nonce: 'another-nonce' })).not.toBe(tokenUseId(payload));
    expect(tokenUseId({ ...payload, action: 'reject' })).not.toBe(tokenUseId(payload));
  });

  it('accepts a Uint8Array secret equal to the string one', () => {
    // Prepare
    const token = signToken(payload, new TextEncoder().encode(SECRET));

    // Act / Assess
    expect(verifyToken(token, SECRET, NOW).proposalId).toBe('p1');
  });
});
