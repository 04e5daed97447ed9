/**
 * Signed, expiring links to one stored HTML report, served by the decision function (the bucket stays
 * private). The HMAC covers a domain tag, the key and the expiry, so a report link can neither open
 * another report nor pass as a decision token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DecisionTokenError } from '../core/lifecycle/token.js';

/** The route that serves reports. */
export const REPORT_PATH = '/report';

/** How long a report link in a notice works. */
export const REPORT_LINK_TTL_SECONDS = 30 * 86_400;

/** Only rendered HTML reports can be linked: `reports/<modelId>/<checkId>.html` (no `.`/`..` segments). */
const REPORT_KEY = /^reports\/(?:(?!\.{1,2}\/)[^/]+\/)+(?!\.{1,2}$)[^/]+\.html$/;

function mac(secret: Uint8Array | string, key: string, exp: number): Buffer {
  return createHmac('sha256', secret).update(`driftgate-report\n${key}\n${exp}`).digest();
}

/**
 * Build the link to one report, valid until `exp` (seconds since epoch).
 * @example
 * signReportLink('https://abc.lambda-url.eu-west-1.on.aws', 'reports/fraud/c1.html', exp, secret);
 */
export function signReportLink(baseUrl: string, key: string, exp: number, secret: Uint8Array | string): string {
  if (!REPORT_KEY.test(key)) throw new Error(`not a report key: ${key}`);
  const query = new URLSearchParams({ key, exp: String(exp), sig: mac(secret, key, exp).toString('base64url') });
  return `${baseUrl.replace(/\/+$/, '')}${REPORT_PATH}?${query.toString()}`;
}

/** Verify a report link's query parameters; returns the report key, or throws DecisionTokenError. */
export function verifyReportLink(
  query: Readonly<Record<string, string | undefined>>,
  secret: Uint8Array | string,
  now: Date,
): string {
  const { key, exp, sig } = query;
  if (key === undefined || exp === undefined || sig === undefined || !REPORT_KEY.test(key) || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]+$/.test(sig)) {
    throw new DecisionTokenError('malformed', 'expected key, exp and sig of a report link');
  }
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(secret, key, Number(exp));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new DecisionTokenError('forged', 'the report link signature does not match');
  }
  if (now.getTime() >= Number(exp) * 1000) {
    throw new DecisionTokenError('expired', `the report link expired at ${new Date(Number(exp) * 1000).toISOString()}`);
  }
  return key;
}
