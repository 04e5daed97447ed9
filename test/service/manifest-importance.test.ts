import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../functions/adapters/console-notifier.js';
import { FileEventSink } from '../../functions/adapters/file-event-sink.js';
import { LocalStore } from '../../functions/adapters/local-store.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { parseAdoptionManifest } from '../../functions/core/lifecycle/adoption.js';
import { modelStateSchema } from '../../functions/core/lifecycle/types.js';
import type { ModelConfigInput } from '../../functions/core/lifecycle/config.js';
import { Lifecycle } from '../../functions/service/lifecycle.js';
import { config } from './lifecycle-conformance.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

/** Arrow IPC of 1,500 rows: amount ~ N(100 + 15·shift, 15), country a fixed mix that never moves. */
function rows(seed: number, shift: number): Uint8Array {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s + 0.5) / 4_294_967_296;
  };
  const amount = new Float64Array(1500);
  const country: string[] = [];
  for (let i = 0; i < amount.length; i++) {
    amount[i] = 100 + 15 * (Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand()) + shift);
    country.push(rand() < 0.6 ? 'US' : rand() < 0.5 ? 'DE' : 'IN');
  }
  return tableToIPC(tableFromArrays({ amount, country }), 'file');
}

let dir: string;
let store: LocalStore;
let lifecycle: Lifecycle;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'driftgate-importance-'));
  store = new LocalStore(path.join(dir, 'store'));
  lifecycle = new Lifecycle({
    store,
    notifier: new ConsoleNotifier(path.join(dir, 'outbox'), () => undefined),
    events: new FileEventSink(path.join(dir, 'events.jsonl')),
    sign: signSources,
    secret: 'importance-test-secret',
    decideBaseUrl: 'https://decide.test/prod/',
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Adopt v2 with a manifest giving these importances, then check a batch where only `amount` moved by 1 σ.
 * Returns the check's action and the state after the adoption.
 */
async function adoptThenShiftAmount(featureImportance: Record<string, number> | undefined, extra: Partial<ModelConfigInput> = {}) {
  await lifecycle.putConfig(config(extra));
  await store.put('training/fraud/v1.arrow', rows(1, 0));
  await lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], at(0), 'v1');
  await store.put('training/fraud/v2.arrow', rows(2, 0));
  const manifest = parseAdoptionManifest(
    { schemaVersion: 1, modelId: 'fraud', version: 'v2', trainingData: ['training/fraud/v2.arrow'], ...(featureImportance ? { featureImportance } : {}) },
    'adoptions/fraud/v2.json',
  );
  const adopted = await lifecycle.adopt('fraud', { version: 'v2', trainingData: ['training/fraud/v2.arrow'], manifest }, at(1));
  const state = await lifecycle.state('fraud');
  await store.put('batches/fraud/shifted.arrow', rows(3, 1));
  await lifecycle.ingest('batches/fraud/shifted.arrow', at(2));
  const check = await lifecycle.check('fraud', at(8));
  if (check.status !== 'checked') throw new Error(`expected a check, got ${check.status}`);
  return { adopted, state, check };
}

describe('Function: Lifecycle.adopt and check (the adoption manifest’s featureImportance)', () => {
  it('stores the manifest’s importances with the reference, and a shift in a feature weighed 0 is only watched', async () => {
    // Act
    const { adopted, state, check } = await adoptThenShiftAmount({ amount: 0, country: 40 });

    // Assess
    expect(adopted.status).toBe('adopted');
    expect(state?.reference).toMatchObject({ version: 'v2', featureImportance: { amount: 0, country: 40 } });
    expect(check.driftedFeatureNames).toContain('amount');
    expect(check.action).toBe('watch');
    expect(check.proposal).toBeNull();
  });

  it('the same shift in the feature the manifest weighs most is a drift', async () => {
    // Act
    const { check } = await adoptThenShiftAmount({ amount: 40, country: 0 });

    // Assess
    expect(check.driftedFeatureNames).toContain('amount');
    expect(check.action).toBe('drift');
  });

  it('without importances anywhere every feature weighs 1, and the single material shift is a drift', async () => {
    // Act
    const { state, check } = await adoptThenShiftAmount(undefined);

    // Assess
    expect(state?.reference.featureImportance).toBeUndefined();
    expect(check.action).toBe('drift');
  });

  it('the config’s importances win over the manifest’s', async () => {
    // Act: the manifest weighs amount 0, the config weighs it most.
    const { state, check } = await adoptThenShiftAmount({ amount: 0, country: 40 }, { features: { featureImportance: { amount: 40, country: 1 } } });

    // Assess
    expect(state?.reference.featureImportance).toEqual({ amount: 0, country: 40 });
    expect(check.action).toBe('drift');
  });

  it('a state written before the field still parses, without importances', () => {
    // Prepare: the reference record as older versions wrote it.
    const older = {
      schemaVersion: 1,
      modelId: 'fraud',
      reference: { version: 'v1', key: 'references/fraud/v1.json', at: '2026-03-01T00:00:00.000Z' },
      lastRetrainAt: '2026-03-01T00:00:00.000Z',
      checkIntervalSeconds: 21600,
      nextCheckAt: '2026-03-01T06:00:00.000Z',
      lastCheckAt: null,
      consumed: [],
      history: [],
      cadence: [],
      forecast: null,
      activeProposalId: null,
      rejected: null,
      snoozedUntil: null,
    };

    // Act
    const parsed = modelStateSchema.safeParse(older);

    // Assess
    expect(parsed.error).toBeUndefined();
    expect(parsed.data?.reference.featureImportance).toBeUndefined();
  });
});
