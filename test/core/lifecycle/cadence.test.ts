import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FORECAST_METHOD,
  cadenceChange,
  forecastCrossing,
  nextCheckInterval,
  retrainBy,
  theilSen,
} from '../../../functions/core/lifecycle/cadence.js';
import type { HistoryPoint } from '../../../functions/core/report/types.js';

const DAY = 86_400;
const NOW = new Date('2026-03-01T12:00:00Z');
const bounds = { minCheckInterval: 3600, maxCheckInterval: 7 * DAY };

function history(indexes: number[], stepDays = 1, verdict: HistoryPoint['verdict'] = 'no-drift'): HistoryPoint[] {
  return indexes.map((driftIndex, i) => ({
    at: new Date(NOW.getTime() - (indexes.length - 1 - i) * stepDays * DAY * 1000).toISOString(),
    checkId: `c${i}`,
    verdict: driftIndex >= 1 ? 'drift' : verdict,
    score: 0,
    driftIndex,
  }));
}

describe('Function: theilSen', () => {
  it('matches scipy.stats.theilslopes (method="joint") on the committed fixtures', () => {
    // Prepare
    const cases = JSON.parse(readFileSync(new URL('./fixtures/theil-sen.expected.json', import.meta.url), 'utf8')) as {
      x: number[];
      y: number[];
      slope: number;
      intercept: number;
    }[];

    for (const c of cases) {
      // Act
      const fit = theilSen(c.x.map((x, i) => ({ x, y: c.y[i] })));

      // Assess
      expect(fit?.slope).toBeCloseTo(c.slope, 12);
      expect(fit?.intercept).toBeCloseTo(c.intercept, 12);
    }
  });

  it('recovers an exact line despite one outlier', () => {
    // Prepare
    const points = [0, 1, 2, 3, 4, 5, 6].map((x) => ({ x, y: 2 * x + 1 }));
    points[3] = { x: 3, y: 100 };

    // Act
    const fit = theilSen(points);

    // Assess
    expect(fit).toEqual({ slope: 2, intercept: 1 });
  });

  it('returns null without two distinct x', () => {
    // Prepare / Act / Assess
    expect(theilSen([{ x: 1, y: 1 }])).toBeNull();
    expect(theilSen([{ x: 1, y: 1 }, { x: 1, y: 2 }])).toBeNull();
  });
});

describe('Function: forecastCrossing', () => {
  it('forecasts when a steadily rising index reaches 1', () => {
    // Prepare: 0.1 per day, at 0.6 now -> crossing in 4 days
    const h = history([0.2, 0.3, 0.4, 0.5, 0.6]);

    // Act
    const forecast = forecastCrossing(h, NOW);

    // Assess
    expect(forecast.slopePerDay).toBeCloseTo(0.1, 10);
    expect(forecast.points).toBe(5);
    expect(forecast.method).toBe(FORECAST_METHOD);
    expect(Date.parse(forecast.crossingAt ?? '')).toBeCloseTo(NOW.getTime() + 4 * DAY * 1000, -3);
  });

  it('has no crossing for a flat or falling index, or with fewer than three points', () => {
    // Prepare / Act / Assess
    expect(forecastCrossing(history([0.3, 0.3, 0.3, 0.3]), NOW).crossingAt).toBeNull();
    expect(forecastCrossing(history([0.6, 0.5, 0.4]), NOW).crossingAt).toBeNull();
    expect(forecastCrossing(history([0.2, 0.6]), NOW).crossingAt).toBeNull();
  });

  it('has no crossing once the index is already above 1', () => {
    // Prepare
    const h = history([0.6, 0.8, 1.0, 1.2]);

    // Act
    const forecast = forecastCrossing(h, NOW);

    // Assess
    expect(forecast.crossingAt).toBeNull();
    expect(forecast.slopePerDay).toBeGreaterThan(0);
  });

  it('ignores insufficient-data checks', () => {
    // Prepare
    const h = [...history([0.2, 0.3, 0.4]), { ...history([5])[0], verdict: 'insufficient-data' as const, checkId: 'x' }];

    // Act
    const forecast = forecastCrossing(h, NOW);

    // Assess
    expect(forecast.points).toBe(3);
    expect(forecast.slopePerDay).toBeCloseTo(0.1, 10);
  });

  it('skips data-quality checks: a broken batch is not a point of the drift trend', () => {
    // Prepare: a flat trend, then a null surge whose index jumped (its action data-quality), then the fix.
    const flat = history([0.2, 0.2, 0.2, 0.9, 0.2]).map((p, i) => ({ ...p, action: i === 3 ? ('data-quality' as const) : ('none' as const) }));
    const legacy = history([0.2, 0.2, 0.2, 0.9, 0.2]);

    // Act
    const withAction = forecastCrossing(flat, NOW);
    const withoutAction = forecastCrossing(legacy, NOW);

    // Assess: the data-quality point is left out; points stored without an action still count.
    expect(withAction.points).toBe(4);
    expect(withAction.slopePerDay).toBe(0);
    expect(withoutAction.points).toBe(5);
  });
});

describe('Function: nextCheckInterval', () => {
  it('relaxes a stable model by doubling, up to the maximum', () => {
    // Prepare
    const flat = forecastCrossing(history([0.1, 0.1, 0.1]), NOW);

    // Act
    const a = nextCheckInterval({ previousSeconds: DAY, driftIndex: 0.1, forecast: flat, bounds, now: NOW });
    const b = nextCheckInterval({ previousSeconds: 5 * DAY, driftIndex: 0.1, forecast: flat, bounds, now: NOW });

    // Assess
    expect(a.seconds).toBe(2 * DAY);
    expect(a.reason).toMatch(/stable/);
    expect(b.seconds).toBe(7 * DAY);
  });

  it('tightens to a third of the time left before a forecast crossing', () => {
    // Prepare: crossing in 4 days
    const forecast = forecastCrossing(history([0.2, 0.3, 0.4, 0.5, 0.6]), NOW);

    // Act
    const next = nextCheckInterval({ previousSeconds: 4 * DAY, driftIndex: 0.6, forecast, bounds, now: NOW });

    // Assess
    expect(next.seconds).toBeCloseTo((4 * DAY) / 3, -1);
    expect(next.seconds).toBeLessThan(4 * DAY);
    expect(next.reason).toMatch(/forecast/);
  });

  it('goes to the minimum on drift, and never below it', () => {
    // Prepare
    const soon = { crossingAt: new Date(NOW.getTime() + 60_000).toISOString(), slopePerDay: 1, points: 5, method: FORECAST_METHOD };

    // Act
    const drift = nextCheckInterval({ previousSeconds: 3 * DAY, driftIndex: 1.4, forecast: null, bounds, now: NOW });
    const imminent = nextCheckInterval({ previousSeconds: 3 * DAY, driftIndex: 0.9, forecast: soon, bounds, now: NOW });

    // Assess
    expect(drift.seconds).toBe(bounds.minCheckInterval);
    expect(imminent.seconds).toBe(bounds.minCheckInterval);
  });

  it('holds the interval while the index is elevated but not rising', () => {
    // Act
    const next = nextCheckInterval({ previousSeconds: 2 * DAY, driftIndex: 0.7, forecast: null, bounds, now: NOW });

    // Assess
    expect(next.seconds).toBe(2 * DAY);
  });
});

describe('Function: cadenceChange', () => {
  it('records a change with its reason, and nothing when the interval stays', () => {
    // Act
    const changed = cadenceChange(NOW, DAY, { seconds: 2 * DAY, reason: 'stable' });
    const same = cadenceChange(NOW, DAY, { seconds: DAY, reason: 'stable' });

    // Assess
    expect(changed).toEqual({ at: NOW.toISOString(), checkIntervalSeconds: 2 * DAY, previousIntervalSeconds: DAY, reason: 'stable' });
    expect(same).toBeNull();
  });
});

describe('Function: retrainBy', () => {
  const retrain = { minRetrainInterval: 7 * DAY, maxRetrainInterval: 30 * DAY };

  it('advises the forecast crossing when it lies within the retrain bounds', () => {
    // Prepare
    const crossing = new Date(NOW.getTime() + 3 * DAY * 1000).toISOString();
    const forecast = { crossingAt: crossing, slopePerDay: 0.1, points: 5, method: FORECAST_METHOD };

    // Act / Assess
    expect(retrainBy({ forecast, lastRetrainAt: '2026-02-15T00:00:00Z', bounds: retrain, now: NOW })).toBe(crossing);
  });

  it('clamps to the minimum and maximum retrain interval since the last retrain', () => {
    // Prepare
    const last = new Date(NOW.getTime() - DAY * 1000).toISOString();
    const far = { crossingAt: new Date(NOW.getTime() + 100 * DAY * 1000).toISOString(), slopePerDay: 0.01, points: 5, method: FORECAST_METHOD };

    // Act
    const early = retrainBy({ forecast: null, lastRetrainAt: last, bounds: retrain, now: NOW });
    const late = retrainBy({ forecast: far, lastRetrainAt: last, bounds: retrain, now: NOW });

    // Assess
    expect(early).toBe(new Date(Date.parse(last) + 7 * DAY * 1000).toISOString());
    expect(late).toBe(new Date(Date.parse(last) + 30 * DAY * 1000).toISOString());
  });
});
