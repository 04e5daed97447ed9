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
  if (d === null) return iso;
  return `${formatUtcDay(iso)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`;
}

/** Format an ISO time as a short UTC label for chart axes, e.g. "4 Dec". */
export function formatUtcShortDay(iso: string | number): string {
  const d = typeof iso === 'number' ? new Date(iso) : parseTime(iso);
  if (d === null || Number.isNaN(d.getTime())) return String(iso);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
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

/** Format a signed change, e.g. "+15" or "−0.3". */
export function formatDelta(x: number, digits = 3): string {
  if (x === 0) return '±0';
  const body = formatNumber(Math.abs(x), digits);
  return x > 0 ? `+${body}` : `−${body}`;
}

/** Format a share in [0, 1] as a percentage with sensible precision, e.g. "12%", "0.4%", "<0.1%". */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return MISSING;
  const pct = share * 100;
  if (pct === 0) return '0%';
  if (Math.abs(pct) < 0.1) return pct > 0 ? '<0.1%' : '>−0.1%';
  if (Math.abs(pct) < 10) return `${String(Number(pct.toFixed(1)))}%`;
  // Never round a share that is not all to "100%" (a 99.5% null share is not "all null").
  if (pct > 99 && pct < 100) return pct > 99.9 ? '>99.9%' : `${pct.toFixed(1)}%`;
  return `${Math.round(pct)}%`;
}

/** Format a duration in seconds as a compact label, e.g. "6h", "30m", "2d". */
export function formatInterval(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return `${formatNumber(seconds)}s`;
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
