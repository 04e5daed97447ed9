import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileEventSink, readEventFile } from '../../functions/adapters/file-event-sink.js';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import type { Notice } from '../../functions/core/ports.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';

const T0 = Date.parse('2026-02-02T00:00:00Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

/** An Arrow batch (apache-arrow): `amount` ~ N(100, 15), `country`; `nulls` blanks that share of `amount`; `drop` leaves `country` out. */
function batch(seed: number, opts: { nulls?: number; drop?: boolean } = {}, rows = 1500): Uint8Array {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s + 0.5) / 4_294_967_296;
  };
  const amount: (number | null)[] = [];
  const country: string[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    amount.push(rand() < (opts.nulls ?? 0) ? null : 100 + 15 * z);
    country.push(rand() < 0.6 ? 'US' : 'DE');
  }
  return tableToIPC(tableFromArrays(opts.drop ? { amount } : { amount, country }), 'file');
}

describe('Promise: a broken pipeline is a data-quality incident, never a retrain', () => {
  let dir: string;
  let lifecycle: Lifecycle;
  let sent: Notice[];
  let eventsFile: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-incidents-'));
    sent = [];
    eventsFile = path.join(dir, 'events.jsonl');
    lifecycle = new Lifecycle({
      store: new LocalStore(path.join(dir, 'store')),
      sign: signSources,
      notifier: { send: async (n) => ({ messageId: `n-${sent.push(n)}` }) },
      events: new FileEventSink(eventsFile),
      secret: 'incident-test-secret',
      decideBaseUrl: 'https://decide.test',
    });
    await lifecycle.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/', cadence: { minCheckInterval: '6h', maxCheckInterval: '1d' } });
    await lifecycle.repo.store.put('training/fraud/v1.arrow', batch(1));
    await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function checkWith(name: string, body: Uint8Array, hours: number) {
    await lifecycle.repo.store.put(`batches/fraud/${name}.arrow`, body);
    await lifecycle.ingest(`batches/fraud/${name}.arrow`, at(hours - 1));
    return lifecycle.checkDue(at(hours));
  }

  it('a missing column opens one incident with one notice to fix the pipeline, opens no proposal, and a clean batch closes it', async () => {
    // Act
    const broken = await checkWith('dropped', batch(2, { drop: true }), 6);
    const stillBroken = await checkWith('dropped-again', batch(3, { drop: true }), 30);
    const clean = await checkWith('clean', batch(4), 54);

    // Assess
    const first = broken.models[0].check;
    expect(first).toMatchObject({ status: 'checked', action: 'data-quality', proposal: null, incident: { opened: true } });
    expect(stillBroken.models[0].check).toMatchObject({ action: 'data-quality', proposal: null, incident: { opened: false } });
    expect(clean.models[0].check).toMatchObject({ incident: null });
    expect(await lifecycle.repo.proposals('fraud')).toEqual([]);
    expect(await readEventFile(eventsFile)).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0].subject).toMatch(/data-quality incident - fix the pipeline$/);
    expect(sent[0].text).toMatch(/^Data quality: /);
    expect(sent[0].text).not.toMatch(/decide\?token=/);
    const log = (await lifecycle.decisionLog('fraud')).map((e) => e.action);
    expect(log.filter((a) => a === 'incident-opened')).toHaveLength(1);
    expect(log.filter((a) => a === 'incident-notice')).toHaveLength(1);
    expect(log.filter((a) => a === 'incident-closed')).toHaveLength(1);
    expect((await lifecycle.state('fraud'))?.incident).toBeNull();
  });

  it('a null surge is a data-quality incident too, and no retrain is proposed while it is open', async () => {
    // Act
    const surge = await checkWith('nulls', batch(5, { nulls: 0.3 }), 6);

    // Assess
    expect(surge.models[0].check).toMatchObject({ action: 'data-quality', proposal: null });
    expect((await lifecycle.state('fraud'))?.incident).toMatchObject({ kinds: expect.arrayContaining(['null-surge']) });
    expect(await lifecycle.repo.proposals('fraud')).toEqual([]);
  });
});
