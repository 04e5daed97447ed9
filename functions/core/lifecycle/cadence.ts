import type { CadenceChange, Forecast, HistoryPoint } from '../report/types.js';

/**
 * The adaptive cadence (pure).
 *
 * Velocity: the Theil–Sen slope of `driftIndex` per day over the most recent checks (the median of the
 * slopes between every pair of points: robust to one noisy check, unlike least squares). The forecast is
 * where the Theil–Sen line (intercept = median of y - slope·x) reaches 1, the drift threshold.
 *
 * Next interval, within [minCheckInterval, maxCheckInterval]:
 * - the index is at/above 1 (drift): the minimum;
 * - a crossing is forecast (the index is rising): a third of the time left until it (so ~3 checks happen
 *   before it), and never longer than the previous interval (rising drift never relaxes the cadence);
 * - no crossing and the index below RELAX_BELOW: twice the previous interval (stable data);
 * - otherwise unchanged.
 */

export const FORECAST_METHOD = 'theil-sen slope of driftIndex per day';
/** Most recent checks the forecast uses. */
export const FORECAST_WINDOW = 10;
/** Furthest forecast crossing reported, in days; a later one (a nearly flat trend) is reported as none. */
export const FORECAST_HORIZON_DAYS = 3650;
/** The index under which stable data lets the cadence relax. */
export const RELAX_BELOW = 0.5;

const DAY_MS = 86_400_000;

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Theil–Sen estimator: median pairwise slope and median intercept; null with fewer than two distinct x. */
export function theilSen(points: readonly Point[]): { slope: number; intercept: number } | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j].x - points[i].x;
      if (dx !== 0) slopes.push((points[j].y - points[i].y) / dx);
    }
  }
  if (slopes.length === 0) return null;
  const slope = median(slopes);
  const intercept = median(points.map((p) => p.y - slope * p.x));
  return { slope, intercept };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Whether a past check tells the drift trend: insufficient-data checks do not, and neither do data-quality
 * checks (a broken batch's index measures the breakage, not the world: a null surge followed by the fix would
 * otherwise read as a rise and a fall).
 */
export function forecastUses(point: HistoryPoint): boolean {
  return point.verdict !== 'insufficient-data' && point.action !== 'data-quality' && Number.isFinite(point.driftIndex);
}

/** Forecast when the drift index crosses 1 from the recent history (insufficient-data and data-quality checks are skipped). */
export function forecastCrossing(history: readonly HistoryPoint[], now: Date): Forecast {
  const usable = history.filter(forecastUses).slice(-FORECAST_WINDOW);
  const nowMs = now.getTime();
  const points = usable.map((h) => ({ x: (Date.parse(h.at) - nowMs) / DAY_MS, y: h.driftIndex }));
  const fit = points.length >= 2 ? theilSen(points) : null;
  const slopePerDay = fit?.slope ?? 0;
  let crossingAt: string | null = null;
  const last = usable.at(-1);
  if (fit && last && last.driftIndex < 1 && slopePerDay > 0 && points.length >= 3) {
    // x is in days relative to now, so the crossing is at x* days from now (clamped: not in the past).
    const xCross = Math.max(0, (1 - fit.intercept) / slopePerDay);
    // A crossing past the horizon (a nearly flat trend) is no crossing: it would not be a date anyone acts on.
    if (xCross <= FORECAST_HORIZON_DAYS) crossingAt = new Date(nowMs + xCross * DAY_MS).toISOString();
  }
  return { crossingAt, slopePerDay, points: points.length, method: FORECAST_METHOD };
}

export interface CadenceBounds {
  readonly minCheckInterval: number;
  readonly maxCheckInterval: number;
}

/** The next check interval (seconds) and why, from the last drift index and the forecast. */
export function nextCheckInterval(input: {
  previousSeconds: number;
  driftIndex: number;
  forecast: Forecast | null;
  bounds: CadenceBounds;
  now: Date;
}): { seconds: number; reason: string } {
  const { previousSeconds, driftIndex, forecast, bounds, now } = input;
  const clamp = (s: number): number => Math.round(Math.min(bounds.maxCheckInterval, Math.max(bounds.minCheckInterval, s)));
  if (driftIndex >= 1) {
    return { seconds: clamp(bounds.minCheckInterval), reason: `drift index ${fmt(driftIndex)} is at or above 1: checking at the minimum interval` };
  }
  if (forecast?.crossingAt) {
    const secondsLeft = (Date.parse(forecast.crossingAt) - now.getTime()) / 1000;
    const target = Math.min(secondsLeft / 3, previousSeconds);
    return {
      seconds: clamp(target),
      reason: `drift index ${fmt(driftIndex)} rising ${fmt(forecast.slopePerDay)}/day; forecast to cross 1 at ${forecast.crossingAt}: a third of the time left`,
    };
  }
  if (driftIndex < RELAX_BELOW) {
    return { seconds: clamp(previousSeconds * 2), reason: `drift index ${fmt(driftIndex)} below ${RELAX_BELOW} and no crossing forecast: stable, doubling the interval` };
  }
  return { seconds: clamp(previousSeconds), reason: `drift index ${fmt(driftIndex)} elevated but not rising: interval unchanged` };
}

/** A CadenceChange when the interval moved, else null. */
export function cadenceChange(at: Date, previousSeconds: number, next: { seconds: number; reason: string }): CadenceChange | null {
  if (next.seconds === previousSeconds) return null;
  return { at: at.toISOString(), checkIntervalSeconds: next.seconds, previousIntervalSeconds: previousSeconds, reason: next.reason };
}

export interface RetrainBounds {
  readonly minRetrainInterval: number;
  readonly maxRetrainInterval: number;
}

/** The advised retrain date: the forecast crossing (or now when drifting), within [min, max] retrain interval since the last retrain, never in the past. */
export function retrainBy(input: { forecast: Forecast | null; lastRetrainAt: string; bounds: RetrainBounds; now: Date }): string {
  const last = Date.parse(input.lastRetrainAt);
  const target = input.forecast?.crossingAt ? Date.parse(input.forecast.crossingAt) : input.now.getTime();
  const lo = last + input.bounds.minRetrainInterval * 1000;
  const hi = last + input.bounds.maxRetrainInterval * 1000;
  const at = Math.max(input.now.getTime(), Math.min(hi, Math.max(lo, target)));
  return new Date(at).toISOString();
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : String(x);
}
