import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStore } from '../../functions/adapters/local-store.js';
import type { EventSink, Notice, Notifier, RetrainRequested } from '../../functions/core/ports.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import { createTelemetry, type Telemetry } from '../../functions/service/logger.js';
import { signSources } from '../../functions/adapters/sign-sources.js';

/** The shared fixture batches (written by pyarrow/DuckDB; see test/fixtures/batches/generate.py). */
export const FIXTURES = fileURLToPath(new URL('../fixtures/batches/', import.meta.url));

/** A real Lifecycle over a LocalStore in a temporary folder; notices and events are kept in arrays. */
export interface LocalWorld {
  readonly dir: string;
  readonly store: LocalStore;
  readonly lifecycle: Lifecycle;
  readonly notices: Notice[];
  readonly events: RetrainRequested[];
  readonly secret: string;
  cleanup(): void;
}

/** Build a LocalWorld; the notifier and sink are recording adapters (the SNS ones are tested against moto). */
export function localWorld(): LocalWorld {
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-handlers-'));
  const store = new LocalStore(dir);
  const notices: Notice[] = [];
  const events: RetrainRequested[] = [];
  const notifier: Notifier = {
    send: async (notice) => {
      notices.push(notice);
      return { messageId: `notice-${notices.length}` };
    },
  };
  const sink: EventSink = {
    publish: async (event) => {
      events.push(event);
      return { messageId: `event-${events.length}` };
    },
  };
  const secret = 'unit-test-secret-0123456789abcdef';
  const lifecycle = new Lifecycle({ store, sign: signSources, notifier, events: sink, secret, decideBaseUrl: 'https://decide.example' });
  return { dir, store, lifecycle, notices, events, secret, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Telemetry that stays quiet (metrics disabled, errors only) so tests can spy on the logger. */
export function quietTelemetry(service: string): Telemetry {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return createTelemetry(service, { logLevel: 'SILENT' });
}
