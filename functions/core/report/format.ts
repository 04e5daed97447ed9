/** The report's formatting is the core's (functions/core/format.ts): one owner for numbers, shares and dates. */
export { MISSING, formatDelta, formatInterval, formatNumber, formatShare, formatUtcDateTime, formatUtcDay, formatUtcShortDay } from '../format.js';
