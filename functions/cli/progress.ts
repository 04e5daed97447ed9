import { plainText } from '../core/text/plain.js';
/** Progress of long reads on a terminal: one `\r`-updated stderr line, throttled. */

/** What the signer reports (functions/adapters/sign-sources.ts SignProgress). */
export interface ProgressEvent {
  readonly file: string;
  readonly rowsDone: number;
  readonly rowsTotal: number | undefined;
}

export interface ProgressLine {
  readonly onProgress: (p: ProgressEvent) => void;
  /** Erase the line (call before printing results). */
  readonly done: () => void;
}

/** Minimum time between two redraws: ~10 per second. */
export const PROGRESS_INTERVAL_MS = 100;

/** A progress line writing through `write` (stderr), or a no-op when disabled (not a TTY, or --json). */
export function progressLine(write: (text: string) => void, enabled: boolean, clock: () => number = Date.now): ProgressLine {
  if (!enabled) return { onProgress: () => undefined, done: () => undefined };
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    onProgress: (p) => {
      const now = clock();
      const finished = p.rowsTotal !== undefined && p.rowsDone >= p.rowsTotal;
      if (now - last < PROGRESS_INTERVAL_MS && !finished) return;
      last = now;
      drawn = true;
      write(`\r\x1b[K${progressText(p)}`);
    },
    done: () => {
      if (drawn) write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** The text of one progress update, e.g. "reading batch.parquet: 1.2M / 5.0M rows (24%)". */
export function progressText(p: ProgressEvent): string {
  // A file name is data: shown on one line with its invisible characters made visible.
  const shown = plainText(p.file, Number.POSITIVE_INFINITY);
  const name = shown.length > 48 ? `…${shown.slice(-47)}` : shown;
  if (p.rowsTotal === undefined || p.rowsTotal <= 0) return `reading ${name}: ${rows(p.rowsDone)} rows`;
  const pct = Math.min(100, Math.floor((p.rowsDone / p.rowsTotal) * 100));
  return `reading ${name}: ${rows(p.rowsDone)} / ${rows(p.rowsTotal)} rows (${pct}%)`;
}

function rows(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}
