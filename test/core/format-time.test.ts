import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALENDAR_LIMIT_MS, formatIsoMs, formatUtcDateTime, formatUtcDateTimeMs, formatUtcShortDay } from '../../functions/core/format.js';

/** Times as ms since epoch are formatted from the number (never through Date, which stops at ±8.64e15 ms). */

const DATE_LIMIT = 8.64e15;
const DAY_MS = 86_400_000;

describe('Function: formatIsoMs', () => {
  it('writes exactly what Date.toISOString writes wherever Date can hold the time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -DATE_LIMIT, max: DATE_LIMIT }), (ms) => {
        expect(formatIsoMs(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
    for (const ms of [0, -1, DATE_LIMIT, -DATE_LIMIT, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001]) {
      expect(formatIsoMs(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('writes expanded ISO years beyond Date: Arrow date32 and int64 microseconds at their limits', () => {
    // Assess
    expect(formatIsoMs((2 ** 31 - 1) * DAY_MS)).toBe('+5881580-07-11T00:00:00.000Z');
    expect(formatIsoMs(-(2 ** 31) * DAY_MS)).toBe('-5877641-06-23T00:00:00.000Z');
    expect(formatIsoMs(DATE_LIMIT + 1)).toBe('+275760-09-13T00:00:00.001Z');
    expect(formatIsoMs(9_223_372_036_854_775.807)).toMatch(/^\+294247-01-10T04:00:54\.77\dZ$/);
  });

  it('names what no calendar can show, and never throws', () => {
    // Assess
    expect(formatIsoMs(Number.NaN)).toBe('—');
    expect(formatIsoMs(Number.POSITIVE_INFINITY)).toBe('out of range (ms ∞)');
    expect(formatIsoMs(Number.NEGATIVE_INFINITY)).toBe('out of range (ms −∞)');
    expect(formatIsoMs(1e300)).toBe('out of range (ms 1e300)');
    expect(formatIsoMs(CALENDAR_LIMIT_MS)).toMatch(/^\+\d+-\d\d-\d\dT/);
    fc.assert(fc.property(fc.double(), (ms) => void formatIsoMs(ms)));
  });
});

describe('Function: formatUtcDateTimeMs', () => {
  it('reads as formatUtcDateTime does for years 0 to 9999, and as an expanded ISO day beyond', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        expect(formatUtcDateTimeMs(ms)).toBe(formatUtcDateTime(new Date(ms).toISOString()));
      }),
      { numRuns: 3000 },
    );
    expect(formatUtcDateTimeMs(Date.UTC(2026, 11, 4, 14, 5))).toBe('Fri 4 Dec 2026 14:05 UTC');
    expect(formatUtcDateTimeMs((2 ** 31 - 1) * DAY_MS)).toBe('+5881580-07-11 00:00 UTC');
    expect(formatUtcDateTimeMs(Number.NaN)).toBe('—');
    expect(formatUtcDateTimeMs(-1e19)).toBe('out of range (ms -1e19)');
  });
});

describe('Function: formatUtcShortDay', () => {
  it('labels axis times past Date and shows a dash for none', () => {
    // Assess
    expect(formatUtcShortDay((2 ** 31 - 1) * DAY_MS)).toBe('11 Jul');
    expect(formatUtcShortDay(Number.NaN)).toBe('—');
    expect(formatUtcShortDay('2026-12-04T00:00:00Z')).toBe('4 Dec');
  });
});
