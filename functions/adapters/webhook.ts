import { randomUUID } from 'node:crypto';
import { AdapterError } from '../core/errors.js';
import type { EventSink, Notice, Notifier, RetrainRequested } from '../core/ports.js';

/**
 * Webhooks of the embedded default: a notice or a retrain event POSTed as JSON to a URL the model's config
 * names (`local.webhook`, `local.retrainWebhook`). One retry rule for both (`postWithRetry`): each try has
 * a timeout; a timeout, a network error, a 429 or a 5xx is retried after a doubling backoff with jitter; any
 * other 4xx is final (the request itself is wrong). After the last try the send throws, so the notice is
 * recorded undelivered (service/notify.ts) and a veto window never starts from it.
 */

/** How one webhook is called. */
export interface WebhookOptions {
  readonly url: string;
  /** Time allowed for one try. */
  readonly timeoutMs: number;
  /** Tries in all (1 = no retry). */
  readonly attempts: number;
  /** Wait before the second try; doubled after each failure, capped at 30 s. @default 500 */
  readonly backoffMs?: number;
  /** Where a retry is reported (one object per failed try). @default none */
  readonly onRetry?: (entry: { url: string; attempt: number; error: string; waitMs: number }) => void;
}

const BACKOFF_CAP_MS = 30_000;

/** The wait before try `attempt + 1` (attempt counts from 1): base · 2^(attempt-1), capped, with ±25 % jitter. */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const plain = Math.min(BACKOFF_CAP_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(plain * (0.75 + 0.5 * random()));
}

/** A final answer: not worth retrying. */
class FinalError extends Error {}

/** The URL as logs show it: no query string or credentials (an incoming-webhook URL often carries its secret). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : '/'}`;
  } catch {
    return 'the webhook URL';
  }
}

/**
 * POST `body` as JSON, retried per the module's rule; resolves with the answer's status on a 2xx.
 * @example
 * await postWithRetry({ url, timeoutMs: 5000, attempts: 4 }, { text: 'hello' });
 */
export async function postWithRetry(options: WebhookOptions, body: unknown): Promise<{ status: number; attempts: number }> {
  const payload = JSON.stringify(body);
  const base = options.backoffMs ?? 500;
  let last = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'driftgate' },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
      // Drain the body so the connection is released.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { status: response.status, attempts: attempt };
      last = `answered ${response.status}`;
      if (response.status < 500 && response.status !== 429) throw new FinalError(last);
    } catch (err) {
      if (err instanceof FinalError) throw new AdapterError('webhook', `POST ${shownUrl(options.url)}`, { cause: new Error(`${err.message} (not retried)`) });
      const e = err as { name?: string; message?: string; cause?: { code?: string } };
      last = e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : `could not connect (${e.cause?.code ?? e.message ?? String(err)})`;
    }
    if (attempt < options.attempts) {
      const waitMs = backoffDelay(attempt, base);
      options.onRetry?.({ url: shownUrl(options.url), attempt, error: last, waitMs });
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
  throw new AdapterError('webhook', `POST ${shownUrl(options.url)}`, { cause: new Error(`undelivered after ${options.attempts} tries (last: ${last})`) });
}

/** The JSON a notice becomes: `text` (what chat tools show) plus structured fields for other consumers. */
export function noticePayload(notice: Notice): Record<string, unknown> {
  return { text: `${notice.subject}\n\n${notice.text}`, subject: notice.subject, modelId: notice.modelId, proposalId: notice.proposalId, source: 'driftgate' };
}

/** Sends notices to an incoming webhook. */
export class WebhookNotifier implements Notifier {
  constructor(private readonly options: WebhookOptions) {}

  async send(notice: Notice): Promise<{ messageId: string }> {
    await postWithRetry(this.options, noticePayload(notice));
    return { messageId: `webhook-${randomUUID()}` };
  }
}

/** Publishes retrain events to a webhook (the body is the event itself; `eventId` lets the receiver deduplicate). */
export class WebhookEventSink implements EventSink {
  constructor(private readonly options: WebhookOptions) {}

  async publish(event: RetrainRequested): Promise<{ messageId: string }> {
    await postWithRetry(this.options, { text: `driftgate: retrain requested for model ${event.modelId} (${event.reason})`, ...event });
    return { messageId: `webhook-${randomUUID()}` };
  }
}
