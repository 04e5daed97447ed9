import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { DriftgateError } from '../errors.js';
import { DECISION_ACTIONS } from './types.js';

/**
 * Signed decision tokens (pure: the nonce and the time come in as arguments).
 *
 * token = base64url(JSON payload) + "." + base64url(HMAC-SHA256(secret, base64url(JSON payload)))
 * The payload names one proposal and one action, so a reject link cannot approve. Only the canonical
 * base64url spelling verifies (the last character of a base64url string has spare bits, so several
 * spellings decode to the same bytes). Single use is keyed on the decision (`tokenUseId`: proposal, action,
 * nonce), never on the raw string: the service records it in the proposal's own conditional transition.
 */

/**
 * What an owner link can do: accept an offered autonomy level, accept a suggested config change, or
 * lower the level. Their `proposalId` names the offer, the suggestion, or `autonomy`.
 */
export const OWNER_ACTIONS = ['accept-level', 'accept-config', 'lower'] as const;
export type OwnerAction = (typeof OWNER_ACTIONS)[number];

/** A review link's action: show one review round's rows (GET) and take the verdicts on them (POST); its `proposalId` names the round. */
export const REVIEW_ACTION = 'review' as const;

/** Every action a signed link may carry. */
export const LINK_ACTIONS = [...DECISION_ACTIONS, ...OWNER_ACTIONS, REVIEW_ACTION] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

/** Whether a link's action is an owner action (not a proposal decision). */
export function isOwnerAction(action: string): action is OwnerAction {
  return (OWNER_ACTIONS as readonly string[]).includes(action);
}

export const tokenPayloadSchema = z.strictObject({
  proposalId: z.string().min(1),
  modelId: z.string().min(1),
  action: z.enum(LINK_ACTIONS),
  /** Expiry, seconds since epoch. */
  exp: z.number().int(),
  nonce: z.string().min(8),
});
export type TokenPayload = z.infer<typeof tokenPayloadSchema>;

export const TOKEN_PROBLEMS = ['malformed', 'forged', 'expired', 'wrong-action', 'replayed'] as const;
export type TokenProblem = (typeof TOKEN_PROBLEMS)[number];

/** A decision token that must be refused; `problem` says why (the handler maps it to 400/403/410). */
export class DecisionTokenError extends DriftgateError {
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(`decision token refused (${problem}): ${message}`);
  }
}

function keyBytes(secret: Uint8Array | string): Uint8Array {
  return typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
}

function mac(secret: Uint8Array | string, body: string): Buffer {
  return createHmac('sha256', keyBytes(secret)).update(body).digest();
}

/** Sign a decision token for one proposal and one action. */
export function signToken(payload: TokenPayload, secret: Uint8Array | string): string {
  const body = Buffer.from(JSON.stringify(tokenPayloadSchema.parse(payload))).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** Verify a token's signature, expiry and action; throws DecisionTokenError, returns the payload. */
export function verifyToken(token: string, secret: Uint8Array | string, now: Date, expectedAction?: LinkAction): TokenPayload {
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) {
    throw new DecisionTokenError('malformed', 'expected <payload>.<signature> in base64url');
  }
  const [body, sig] = parts;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new DecisionTokenError('forged', 'the signature does not match');
  }
  // The spare low bits of a base64url string's last character let several spellings decode to these bytes.
  if (given.toString('base64url') !== sig || Buffer.from(body, 'base64url').toString('base64url') !== body) {
    throw new DecisionTokenError('malformed', 'not the canonical base64url spelling of the decision token');
  }
  let payload: TokenPayload;
  try {
    payload = tokenPayloadSchema.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    throw new DecisionTokenError('malformed', 'the payload is not a decision');
  }
  if (now.getTime() >= payload.exp * 1000) {
    throw new DecisionTokenError('expired', `the link expired at ${new Date(payload.exp * 1000).toISOString()}`);
  }
  if (expectedAction !== undefined && payload.action !== expectedAction) {
    throw new DecisionTokenError('wrong-action', `this link can only ${payload.action}, not ${expectedAction}`);
  }
  return payload;
}

/** sha256 of a token, hex. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The id under which a token's single use is recorded: sha256 of its model, proposal, action and nonce, hex. */
export function tokenUseId(payload: Pick<TokenPayload, 'modelId' | 'proposalId' | 'action' | 'nonce'>): string {
  return createHash('sha256').update(`${payload.modelId}\n${payload.proposalId}\n${payload.action}\n${payload.nonce}`).digest('hex');
}

/** Decode a token's payload without verifying it (for picking the right link out of a notice). */
export function peekToken(token: string): TokenPayload | undefined {
  try {
    return tokenPayloadSchema.parse(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}
