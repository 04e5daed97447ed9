/**
 * The training window's row counts come from the day roll-ups' member index, not from each batch's
 * signature: the same window as reading every signature, for a handful of store reads. On the local
 * folder store, with a wrapping store that counts reads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../functions/adapters/local-store.js';
import type { ColumnBatch, ColumnField } from '../../functions/core/columns.js';
import type { WindowCheck } from '../../functions/core/learning/retrain-hint.js';
import { parseModelConfig } from '../../functions/core/lifecycle/config.js';
import { signatureKey } from '../../functions/core/lifecycle/keys.js';
import type { ObjectStore } from '../../functions/core/ports.js';
import { signatureOf } from '../../functions/core/signature/index.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { retrainHints } from '../../functions/service/retrain-hints.js';

const SCHEMA: ColumnField[] = [{ name: 'x', type: 'float', sourceType: 'Float64', nullable: false }];
const T0 = Date.parse('2026-03-02T00:00:00Z');
const MINUTE = 60_000;
const BATCHES = 1200;
const PER_CHECK = 100;

function batchOf(seed: number, rows: number): ColumnBatch {
  const values = new Float64Array(rows);
  for (let i = 0; i < rows; i++) values[i] = Math.sin(seed * 7919 + i) * 10;
  return { rowCount: rows, columns: new Map([['x', { kind: 'numeric', length: rows, values }]]) };
}

/** Counts reads (`get`) of the store it wraps. */
function counting(store: ObjectStore): { store: ObjectStore; gets: () => number; reset: () => void } {
  let gets = 0;
  const wrapped: ObjectStore = {
    get: (key) => {
      gets++;
      return store.get(key);
    },
    putIfAbsent: (key, body) => store.putIfAbsent(key, body),
    putIfMatch: (key, body, etag) => store.putIfMatch(key, body, etag),
    put: (key, body, contentType) => store.put(key, body, contentType),
    list: (prefix) => store.list(prefix),
    open: (key, pin) => store.open(key, pin),
  };
  return { store: wrapped, gets: () => gets, reset: () => (gets = 0) };
}

describe('Function: retrainHints (training window row counts)', () => {
  let dir: string;
  let counter: ReturnType<typeof counting>;
  let repo: ModelRepository;
  const config = parseModelConfig({ schemaVersion: 1, modelId: 'm', batchPrefix: 'batches/m/' }, 'm.json');
  const reference = signatureOf(SCHEMA, [batchOf(0, 500)], { histogramBins: 10 });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'driftgate-hints-'));
    counter = counting(new LocalStore(dir));
    repo = new ModelRepository(counter.store);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** 1200 batches of 5..16 rows, one every 4 minutes (3.3 days), signed and rolled up as ingest does; 12 checks of 100. */
  async function ingest(skipRollUp: (i: number) => boolean = () => false): Promise<{ consumed: string[]; history: WindowCheck[] }> {
    const consumed: string[] = [];
    for (let i = 0; i < BATCHES; i++) {
      const sig = signatureOf(SCHEMA, [batchOf(i + 1, 5 + (i % 12))], { reference }, [`${dir}/batches/m/day-${Math.floor(i / 360)}/b${i}.parquet`]);
      const key = signatureKey('m', `b${String(i).padStart(5, '0')}`);
      await repo.putSignature(key, sig);
      if (!skipRollUp(i)) await repo.rollUp('m', 'v1', key, sig, new Date(T0 + i * 4 * MINUTE));
      consumed.push(key);
    }
    // The drift index jumps at check 8 of 12 (the onset), so both a window and a before part exist.
    const history = Array.from({ length: BATCHES / PER_CHECK }, (_, c) => ({
      at: new Date(T0 + (c + 1) * PER_CHECK * 4 * MINUTE).toISOString(),
      checkId: `c${c}`,
      driftIndex: c >= 8 ? 3 + (c % 2) * 0.1 : 0.2 + (c % 3) * 0.05,
      signatures: PER_CHECK,
    }));
    return { consumed, history };
  }

  it('gives the same window as reading every signature, from a handful of reads', async () => {
    // Prepare
    const { consumed, history } = await ingest();
    const input = { history, consumed, loaded: new Map(), outcomes: undefined };

    // Act
    counter.reset();
    const old = await retrainHints(repo, config, input);
    const everySignature = counter.gets();
    counter.reset();
    const fromRollups = await retrainHints(repo, config, { ...input, rollups: { modelId: 'm', referenceVersion: 'v1', since: new Date(T0) } });
    const reads = counter.gets();

    // Assess
    expect(fromRollups).toEqual(old);
    expect(fromRollups.trainingWindow?.onset?.checkId).toBe('c8');
    expect(fromRollups.trainingWindow?.batches).toHaveLength(400);
    expect(fromRollups.trainingWindow?.batches[0]).toEqual({ key: 'batches/m/day-2/b800.parquet', rows: 5 + (800 % 12) });
    expect(everySignature).toBe(BATCHES);
    // 3.3 days of batches: 4 day roll-ups, whatever the number of batches.
    expect(reads).toBe(4);
  });

  it('reads only the batches no roll-up indexes on their own (a failed roll-up), with the same counts', async () => {
    // Prepare: every 100th batch's roll-up failed.
    const { consumed, history } = await ingest((i) => i % 100 === 7);
    const input = { history, consumed, loaded: new Map(), outcomes: undefined };

    // Act
    const old = await retrainHints(repo, config, input);
    counter.reset();
    const fromRollups = await retrainHints(repo, config, { ...input, rollups: { modelId: 'm', referenceVersion: 'v1', since: new Date(T0) } });

    // Assess
    expect(fromRollups).toEqual(old);
    expect(counter.gets()).toBe(4 + BATCHES / 100);
  });
});
