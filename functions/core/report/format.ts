/** The report's formatting is the core's (functions/core/format.ts): one owner for numbers, shares and dates. */
export {
  MISSING,
  formatDelta,
  formatInterval,
  formatIsoMs,
  formatNumber,
  formatShare,
  formatUtcClockMs,
  formatUtcDateTime,
  formatUtcDateTimeMs,
  formatUtcDay,
  formatUtcShortDay,
} from '../format.js';
