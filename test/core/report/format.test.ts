import { describe, expect, it } from 'vitest';
import {
  formatDelta,
  formatInterval,
  formatNumber,
  formatShare,
  formatUtcDateTime,
  formatUtcDay,
} from '../../../functions/core/format.js';

describe('Function: formatUtcDateTime', () => {
  it('formats in UTC whatever the offset of the input', () => {
    // Act
    const text = formatUtcDateTime('2026-12-04T01:30:00+05:00');

    // Assess
    expect(text).toBe('Thu 3 Dec 2026 20:30 UTC');
  });

  it('returns an unparsable input unchanged', () => {
    // Assess
    expect(formatUtcDateTime('soon')).toBe('soon');
    expect(formatUtcDay('2026-02-01T00:00:00Z')).toBe('Sun 1 Feb 2026');
  });
});

describe('Function: formatNumber', () => {
  it.each([
    [15.08123, '15.08'],
    [0, '0'],
    [-0.000012345, '-1.23e-5'],
    [123456789012, '1.23e11'],
    [50000, '50000'],
    [null, '—'],
    [Number.NaN, '—'],
    [Number.POSITIVE_INFINITY, '∞'],
  ])('formats %s as %s', (x, expected) => {
    // Assess
    expect(formatNumber(x)).toBe(expected);
  });
});

describe('Function: formatShare', () => {
  it.each([
    [0, '0%'],
    [0.0004, '<0.1%'],
    [0.082, '8.2%'],
    [0.1249, '12%'],
    [0.995, '99.5%'],
    [0.99999, '>99.9%'],
    [1, '100%'],
  ])('formats %s as %s and never rounds a partial share to 100%%', (x, expected) => {
    // Assess
    expect(formatShare(x)).toBe(expected);
  });
});

describe('Function: formatDelta and formatInterval', () => {
  it('signs changes and names intervals', () => {
    // Assess
    expect([formatDelta(15), formatDelta(-0.3), formatDelta(0)]).toEqual(['+15', '−0.3', '±0']);
    expect([formatInterval(86_400), formatInterval(21_600), formatInterval(900), formatInterval(45)]).toEqual(['1d', '6h', '15m', '45s']);
  });
});
