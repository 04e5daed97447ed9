/**
 * Deterministic text formatting for every sentence the core writes (drift explanations, reports, notices,
 * the CLI): numbers without locale, dates always in UTC. Intl and toLocale* are avoided on purpose so the
 * same input gives the same bytes on every runtime.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** Placeholder shown for a missing value. */
export const MISSING = '—';

function parseTime(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Format an ISO time as a UTC day, e.g. "Fri 4 Dec 2026"; an unparsable input is returned unchanged. */
export function formatUtcDay(iso: string): string {
  const d = parseTime(iso);
  if (d === null) return iso;
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** Format an ISO time as a UTC day and minute, e.g. "Fri 4 Dec 2026 14:05 UTC"; an unparsable input is returned unchanged. */
export function formatUtcDateTime(iso: string): string {
  const d = parseTime(iso);
  if (d === null) {
    // An expanded-year ISO time (formatIsoMs beyond Date's range) keeps its day and minute: "+5881580-07-11 00:00 UTC".
    const expanded = /^([+-]\d{6,}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?Z$/.exec(iso);
    return expanded === null ? iso : `${expanded[1]} ${expanded[2]} UTC`;
  }
  return `${formatUtcDay(iso)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`;
}

/** Format an ISO time or ms since epoch as a short UTC label for chart axes, e.g. "4 Dec"; an unparsable string is returned unchanged, a number no calendar can show as "—". */
export function formatUtcShortDay(iso: string | number): string {
  if (typeof iso === 'string') {
    const d = parseTime(iso);
    return d === null ? iso : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  }
  const c = civilOf(iso);
  return c === null ? MISSING : `${c.day} ${MONTHS[c.month - 1]}`;
}

// ------------------------------------------------------------------------- times given as ms since epoch
// Data carries times JavaScript's Date cannot hold (Arrow date32 up to 2^31-1 days is year 5881580; int64
// nanoseconds reach year 294247; Date stops at ±8.64e15 ms, year ±275760, and its toISOString throws
// beyond). Times from data are therefore formatted here from the number itself, never through Date.

const DAY_MS = 86_400_000;

/** Past this many ms from the epoch (about ±31.7 million years) a time is shown as a number, not a date. */
export const CALENDAR_LIMIT_MS = 1e18;

interface Civil {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** The proleptic Gregorian UTC date and time of `ms` since epoch (H. Hinnant's civil_from_days), or null when not finite or beyond CALENDAR_LIMIT_MS. */
function civilOf(ms: number): Civil | null {
  if (!Number.isFinite(ms) || Math.abs(ms) > CALENDAR_LIMIT_MS) return null;
  const days = Math.floor(ms / DAY_MS);
  // Rounding of huge values may put the remainder a hair outside the day; clamp it in.
  const inDay = Math.min(DAY_MS - 1, Math.max(0, Math.floor(ms - days * DAY_MS)));
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: doy - Math.floor((153 * mp + 2) / 5) + 1,
    // 1970-01-01 was a Thursday.
    weekday: (((days + 4) % 7) + 7) % 7,
    hour: Math.floor(inDay / 3_600_000),
    minute: Math.floor(inDay / 60_000) % 60,
    second: Math.floor(inDay / 1000) % 60,
    millisecond: inDay % 1000,
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** ISO 8601 year: four digits, or a sign and at least six digits outside 0…9999 (as toISOString writes them). */
function isoYear(year: number): string {
  return year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
}

/** What is shown for a time no calendar date can stand for, e.g. "out of range (ms 1e300)". */
function unrepresentable(ms: number): string {
  return Number.isNaN(ms) ? MISSING : `out of range (ms ${formatNumber(ms, 4)})`;
}

/**
 * Format ms since epoch as ISO 8601 UTC, e.g. "2026-12-04T14:05:00.000Z", "+5881580-07-11T00:00:00.000Z" beyond
 * Date's range; never throws: NaN is "—", ±Infinity and magnitudes past CALENDAR_LIMIT_MS "out of range (ms …)".
 */
export function formatIsoMs(ms: number): string {
  const c = civilOf(ms);
  if (c === null) return unrepresentable(ms);
  return `${isoYear(c.year)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}.${pad(c.millisecond, 3)}Z`;
}

/**
 * Format ms since epoch as a UTC day and minute, e.g. "Fri 4 Dec 2026 14:05 UTC" (years 0…9999) or
 * "+5881580-07-11 00:00 UTC"; never throws: NaN is "—", ±Infinity and magnitudes past CALENDAR_LIMIT_MS
 * "out of range (ms …)".
 */
export function formatUtcDateTimeMs(ms: number): string {
  const c = civilOf(ms);
  if (c === null) return unrepresentable(ms);
  const time = `${pad2(c.hour)}:${pad2(c.minute)} UTC`;
  if (c.year < 0 || c.year > 9999) return `${isoYear(c.year)}-${pad(c.month, 2)}-${pad(c.day, 2)} ${time}`;
  return `${WEEKDAYS[c.weekday]} ${c.day} ${MONTHS[c.month - 1]} ${c.year} ${time}`;
}

/** Format ms since epoch as "HH:MM" UTC for chart axes; "" when no calendar can show it. */
export function formatUtcClockMs(ms: number): string {
  const c = civilOf(ms);
  return c === null ? '' : `${pad2(c.hour)}:${pad2(c.minute)}`;
}

/** Format a number with at most `digits` significant digits, no locale, no trailing zeros; null/NaN as a dash. */
export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return MISSING;
  if (x === Number.POSITIVE_INFINITY) return '∞';
  if (x === Number.NEGATIVE_INFINITY) return '−∞';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e9 || abs < 1e-4) {
    // Exponential keeps tiny p-values and huge counts readable; trim "1.200e-7" to "1.2e-7".
    const [mantissa, exponent] = x.toExponential(Math.max(0, digits - 2)).split('e');
    return `${trimZeros(mantissa)}e${exponent.replace('+', '')}`;
  }
  return String(Number(x.toPrecision(digits)));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Format a signed change, e.g. "+15" or "−0.3"; NaN as a dash. */
export function formatDelta(x: number, digits = 3): string {
  if (Number.isNaN(x)) return MISSING;
  if (x === 0) return '±0';
  const body = formatNumber(Math.abs(x), digits);
  return x > 0 ? `+${body}` : `−${body}`;
}

/** Format a share in [0, 1] as a percentage with sensible precision, e.g. "12%", "0.4%", "<0.1%". */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return MISSING;
  const pct = share * 100;
  if (!Number.isFinite(pct)) return `${formatNumber(pct)}%`;
  if (pct === 0) return '0%';
  if (Math.abs(pct) < 0.1) return pct > 0 ? '<0.1%' : '>−0.1%';
  if (Math.abs(pct) < 10) return `${String(Number(pct.toFixed(1)))}%`;
  // Never round a share that is not all to "100%" (a 99.5% null share is not "all null").
  if (pct > 99 && pct < 100) return pct > 99.9 ? '>99.9%' : `${pct.toFixed(1)}%`;
  return `${Math.round(pct)}%`;
}

/** Format a duration in seconds as a compact label, e.g. "6h", "30m", "2d". */
export function formatInterval(seconds: number): string {
  // Past a million years a count of days says nothing more than the number of seconds.
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds >= 3.2e13) return `${formatNumber(seconds)}s`;
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * A score and its threshold at the fewest significant digits (at least `digits`) that keep the printed
 * comparison true: 0.0996 against 0.1 prints "0.0996" and "0.1", never "0.10 < 0.10". Rounding to the same
 * number of digits is monotonic, so once the two texts differ they compare as the numbers do.
 */
export function formatVersus(score: number, threshold: number, digits = 3): { readonly score: string; readonly threshold: string } {
  for (let d = digits; d <= 17; d++) {
    const pair = { score: formatNumber(score, d), threshold: formatNumber(threshold, d) };
    if (pair.score !== pair.threshold || score === threshold || !Number.isFinite(score) || !Number.isFinite(threshold)) return pair;
  }
  return { score: String(score), threshold: String(threshold) };
}
