/**
 * Roll-ups: a check over many pending batches reads a handful of documents (the hour's and day's merges
 * ingest keeps), never counts a batch twice (re-delivery, overlapping periods), and falls back to each
 * batch's own signature wherever a roll-up does not hold exactly pending batches. On the local folder store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../functions/adapters/local-store.js';
import type { ColumnBatch, ColumnField } from '../../functions/core/columns.js';
import { rollupKey, signatureKey } from '../../functions/core/lifecycle/keys.js';
import { mergeAll, signatureOf } from '../../functions/core/signature/index.js';
import type { DatasetSignature, NumericColumnSignature } from '../../functions/core/signature/types.js';
import { ConsoleNotifier } from '../../functions/adapters/console-notifier.js';
import { FileEventSink } from '../../functions/adapters/file-event-sink.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { batch, config } from './lifecycle-conformance.js';

const SCHEMA: ColumnField[] = [
  { name: 'x', type: 'float', sourceType: 'Float64', nullable: false },
  { name: 'k', type: 'string', sourceType: 'Utf8', nullable: false },
];
const T0 = Date.parse('2026-03-02T00:00:00Z');
const MINUTE = 60_000;

function batchOf(seed: number, rows = 200): ColumnBatch {
  const values = new Float64Array(rows);
  const indices = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    values[i] = Math.sin(seed * 7919 + i) * 10 + seed;
    indices[i] = (seed + i) % 5;
  }
  return { rowCount: rows, columns: new Map([['x', { kind: 'numeric', length: rows, values }], ['k', { kind: 'categorical', length: rows, dictionary: ['a', 'b', 'c', 'd', 'e'], indices }]]) };
}

describe('Function: ModelRepository roll-ups', () => {
  let dir: string;
  let repo: ModelRepository;
  const reference = signatureOf(SCHEMA, [batchOf(0, 2000)], { histogramBins: 20 });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-rollups-'));
    repo = new ModelRepository(new LocalStore(dir));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** Ingests `n` batches one a minute from `start`: the signature, then its roll-ups (as ingest-batch does). */
  async function ingest(n: number, start = T0, first = 0): Promise<{ keys: string[]; signatures: DatasetSignature[] }> {
    const keys: string[] = [];
    const signatures: DatasetSignature[] = [];
    for (let i = first; i < first + n; i++) {
      const sig = signatureOf(SCHEMA, [batchOf(i + 1)], { reference }, [`batches/m/${i}.arrow`]);
      const key = signatureKey('m', `b${String(i).padStart(5, '0')}`);
      await repo.putSignature(key, sig);
      await repo.rollUp('m', 'v1', key, sig, new Date(start + (i - first) * MINUTE));
      keys.push(key);
      signatures.push(sig);
    }
    return { keys, signatures };
  }

  it('folds 150 batches over three days from a few roll-ups, equal to merging every signature', async () => {
    // Prepare: 150 batches, one every 30 minutes, from 2026-03-02 00:00 to 03-05 02:30.
    const keys: string[] = [];
    const signatures: DatasetSignature[] = [];
    for (let i = 0; i < 150; i++) {
      const done = await ingest(1, T0 + i * 30 * MINUTE, i);
      keys.push(...done.keys);
      signatures.push(...done.signatures);
    }

    // Act
    const { signature, documents } = await repo.foldPending('m', 'v1', keys);

    // Assess: the roll-ups of 4 days (the last one has 6 batches so far), not 150 documents.
    const all = mergeAll(signatures);
    expect(documents).toBe(4);
    expect(signature.rowCount).toBe(all.rowCount);
    expect(signature.sources).toEqual(all.sources);
    const [x, y] = [signature.columns.x as NumericColumnSignature, all.columns.x as NumericColumnSignature];
    expect(x.count).toBe(y.count);
    expect(x.histogram?.counts).toEqual(y.histogram?.counts);
    expect(x.sketch).toEqual(y.sketch);
    expect(x.mean).toBeCloseTo(y.mean, 9);
    expect(x.m2 / y.m2).toBeCloseTo(1, 9);
    expect(signature.columns.k).toEqual(all.columns.k);
  });

  it('a re-delivered batch is held once by its roll-ups', async () => {
    // Prepare
    const { keys, signatures } = await ingest(3);

    // Act: the third batch is rolled up again (a redelivery), in the same hour and in a later one.
    await repo.rollUp('m', 'v1', keys[2], signatures[2], new Date(T0 + 10 * MINUTE));
    await repo.rollUp('m', 'v1', keys[2], signatures[2], new Date(T0 + 90 * MINUTE));
    const { signature } = await repo.foldPending('m', 'v1', keys);

    // Assess
    const hour = JSON.parse(Buffer.from((await repo.store.get(rollupKey('m', 'v1', '2026-03-02T00')))!.body).toString('utf8')) as { members: string[]; signature: DatasetSignature };
    expect(hour.members).toEqual(['b00000', 'b00001', 'b00002']);
    expect(hour.signature.rowCount).toBe(600);
    expect(signature.rowCount).toBe(600);
  });

  it('uses a roll-up only when every batch it holds is pending, and reads the others on their own', async () => {
    // Prepare: 4 batches in one hour; the previous check consumed the first; a 5th batch whose ingest died before its roll-up.
    const { keys, signatures } = await ingest(4);
    const lost = signatureOf(SCHEMA, [batchOf(99)], { reference }, ['batches/m/lost.arrow']);
    await repo.putSignature(signatureKey('m', 'b99999'), lost);
    const pending = [...keys.slice(1), signatureKey('m', 'b99999')];

    // Act
    const { signature, documents } = await repo.foldPending('m', 'v1', pending);

    // Assess: nothing counted twice or missed: 3 + 1 batches, read one by one (the roll-ups hold a consumed batch).
    expect(documents).toBe(4);
    expect(signature.rowCount).toBe(800);
    expect(signature.sources).toEqual(mergeAll([...signatures.slice(1), lost]).sources);
  });

  it('lists only batch signatures as a model\'s signatures, never its roll-ups', async () => {
    // Prepare
    await ingest(2);

    // Act
    const listed = await repo.signatureKeys('m');

    // Assess
    expect(listed).toEqual([signatureKey('m', 'b00000'), signatureKey('m', 'b00001')]);
    expect(await repo.store.list('signatures/m.rollups/')).toEqual([rollupKey('m', 'v1', '2026-03-02'), rollupKey('m', 'v1', '2026-03-02T00')]);
  });

  it('ingest keeps the roll-ups, a re-delivered upload adds nothing, and the check merges every batch once', async () => {
    // Prepare: the real lifecycle on the folder store, a reference, three uploads in one hour.
    const lifecycle = new Lifecycle({
      store: repo.store,
      notifier: new ConsoleNotifier(path.join(dir, 'outbox'), () => undefined),
      events: new FileEventSink(path.join(dir, 'events.jsonl')),
      sign: signSources,
      secret: 'rollup-test',
      decideBaseUrl: 'https://decide.test',
    });
    await lifecycle.putConfig(config());
    await repo.store.put('training/fraud/v1.arrow', batch(1));
    await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], new Date(T0), 'v1');
    for (const i of [2, 3, 4]) await repo.store.put(`batches/fraud/${i}.arrow`, batch(i, 0, 500));

    // Act: each upload ingested, the second one twice (a re-delivered notification), then a check.
    const outcomes = [];
    for (const i of [2, 3, 3, 4]) outcomes.push((await lifecycle.ingest(`batches/fraud/${i}.arrow`, new Date(T0 + i * MINUTE))).status);
    const check = await lifecycle.check('fraud', new Date(T0 + 10 * 3600_000));

    // Assess
    const hour = JSON.parse(Buffer.from((await repo.store.get(rollupKey('fraud', 'v1', '2026-03-02T00')))!.body).toString('utf8')) as { members: string[]; signature: DatasetSignature };
    expect(outcomes).toEqual(['stored', 'stored', 'duplicate', 'stored']);
    expect(hour.members).toHaveLength(3);
    expect(hour.signature.rowCount).toBe(1500);
    expect(check).toMatchObject({ status: 'checked', signatures: 3 });
    const report = JSON.parse(Buffer.from((await repo.store.get(check.status === 'checked' ? check.reportKeys.json : ''))!.body).toString('utf8')) as { result: { rowCount: { current: number } } };
    expect(report.result.rowCount.current).toBe(1500);
  });
});
