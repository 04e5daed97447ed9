import { describe, expect, it } from 'vitest';
import { DecisionTokenError } from '../../functions/core/lifecycle/token.js';
import { REPORT_PATH, signReportLink, verifyReportLink } from '../../functions/handlers/report-link.js';

const SECRET = 'report-link-secret';
const NOW = new Date('2026-02-01T00:00:00Z');
const EXP = NOW.getTime() / 1000 + 3600;
const KEY = 'reports/fraud/20260201T000000Z-ab12cd34.html';

const queryOf = (link: string): Record<string, string> => Object.fromEntries(new URL(link).searchParams);

describe('Function: signReportLink / verifyReportLink', () => {
  it('round-trips a report key', () => {
    // Act
    const link = signReportLink('https://x.lambda-url.eu-west-1.on.aws/', KEY, EXP, SECRET);

    // Assess
    expect(new URL(link).pathname).toBe(REPORT_PATH);
    expect(verifyReportLink(queryOf(link), SECRET, NOW)).toBe(KEY);
  });

  it.each([
    ['another key', (q: Record<string, string>) => ({ ...q, key: 'reports/fraud/other.html' }), 'forged'],
    ['a later expiry', (q: Record<string, string>) => ({ ...q, exp: String(EXP + 1) }), 'forged'],
    ['another secret', () => queryOf(signReportLink('https://x', KEY, EXP, 'other')), 'forged'],
    ['a state key', (q: Record<string, string>) => ({ ...q, key: 'state/fraud.json' }), 'malformed'],
    ['a missing signature', (q: Record<string, string>) => ({ key: q.key, exp: q.exp }), 'malformed'],
  ])('refuses %s', (_name, tamper, problem) => {
    // Prepare
    const query = tamper(queryOf(signReportLink('https://x', KEY, EXP, SECRET)));

    // Act
    const act = (): string => verifyReportLink(query, SECRET, NOW);

    // Assess
    expect(act).toThrow(DecisionTokenError);
    expect(act).toThrow(`(${problem})`);
  });

  it('refuses an expired link', () => {
    // Act
    const act = (): string => verifyReportLink(queryOf(signReportLink('https://x', KEY, EXP, SECRET)), SECRET, new Date(EXP * 1000));

    // Assess
    expect(act).toThrow('(expired)');
  });
});
