import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore } from '../../functions/adapters/local-store.js';
import type { LifecycleEvent, RetrainRequested } from '../../functions/core/events/lifecycle.js';
import type { EventSink, LifecycleEventSink } from '../../functions/core/ports.js';
import { ModelRepository } from '../../functions/service/model-repository.js';
import { fanOutSinks } from '../../functions/service/publish-retrain.js';
import { tempDir } from '../support/fixtures.js';

const at = '2026-02-02T06:00:00.000Z';

/** A sink that records, and fails the calls whose numbers are in `failOn` (an outage on demand). */
function recordingSink(failOn: readonly number[] = []): LifecycleEventSink & EventSink & { readonly got: LifecycleEvent[] } {
  const got: LifecycleEvent[] = [];
  let calls = 0;
  return {
    got,
    publish: async (event: LifecycleEvent) => {
      calls++;
      if (failOn.includes(calls)) throw new Error(`bus down (call ${calls})`);
      got.push(event);
      return { messageId: `m-${calls}` };
    },
  };
}

const retrain: RetrainRequested = {
  type: 'RetrainRequested',
  schemaVersion: 1,
  eventId: 'retrain-p1',
  modelId: 'fraud',
  proposalId: 'p1',
  reason: 'approved',
  at,
  decidedBy: 'ana@example.com',
  evidence: { driftedFeatures: [{ name: 'amount', score: 0.2, threshold: 0.1 }] },
};

describe('Function: ModelRepository.appendLog (the one place lifecycle events are emitted)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('lifecycle-events-'));
  });
  afterEach(async () => cleanup());

  it('publishes the event of a lifecycle entry after its line is stored, and nothing for other entries', async () => {
    // Prepare
    const sink = recordingSink();
    const repo = new ModelRepository(new LocalStore(dir), sink);

    // Act
    await repo.appendLog({ at, modelId: 'fraud', actor: 'driftgate', action: 'check', evidence: { outcome: 'no-data' } });
    await repo.appendLog({ at, modelId: 'fraud', actor: 'driftgate', action: 'incident-closed', evidence: { incidentId: 'i1', openedAt: at, closedBy: 'c1' } });

    // Assess
    expect(sink.got).toEqual([{ type: 'DataQualityIncidentClosed', schemaVersion: 1, eventId: 'incident-closed-fraud-i1', modelId: 'fraud', at, incidentId: 'i1', openedAt: at }]);
    expect((await repo.decisionLog('fraud')).map((e) => e.action)).toEqual(['check', 'incident-closed']);
  });

  it('fails the append when the bus fails, with the line already in the log (the fact is never lost before its event)', async () => {
    // Prepare
    const repo = new ModelRepository(new LocalStore(dir), recordingSink([1]));

    // Act
    const error = await repo.appendLog({ at, modelId: 'fraud', actor: 'driftgate', action: 'incident-closed', evidence: { incidentId: 'i1', openedAt: at } }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe('bus down (call 1)');
    expect((await repo.decisionLog('fraud')).map((e) => e.action)).toEqual(['incident-closed']);
  });

  it('publishes nothing without a sink (the local CLI, the ingest function)', async () => {
    // Prepare
    const repo = new ModelRepository(new LocalStore(dir));

    // Act
    await repo.appendLog({ at, modelId: 'fraud', actor: 'driftgate', action: 'incident-closed', evidence: { incidentId: 'i1', openedAt: at } });

    // Assess
    expect(await repo.decisionLog('fraud')).toHaveLength(1);
  });
});

describe('Function: fanOutSinks (the retrain topic, then the bus)', () => {
  it('fails the publish when the bus fails, and a retry gives every sink the same eventId', async () => {
    // Prepare
    const topic = recordingSink();
    const bus = recordingSink([1]);
    const sinks = fanOutSinks(topic, bus);

    // Act
    const first = await sinks.publish(retrain).catch((e: unknown) => e);
    const second = await sinks.publish(retrain);

    // Assess
    expect((first as Error).message).toBe('bus down (call 1)');
    expect(second).toEqual({ messageId: 'm-2' });
    expect(topic.got.map((e) => e.eventId)).toEqual(['retrain-p1', 'retrain-p1']);
    expect(bus.got.map((e) => e.eventId)).toEqual(['retrain-p1']);
  });
});
