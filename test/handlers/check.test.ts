import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { CheckRunError, makeCheckHandler } from '../../functions/handlers/check.js';
import { SCHEDULE_SOURCE } from '../../functions/handlers/env.js';
import { localWorld, quietTelemetry, type LocalWorld } from './support.js';

describe('Function: makeCheckHandler', () => {
  let world: LocalWorld;
  const now = new Date('2026-02-01T00:00:00Z');

  beforeEach(() => {
    world = localWorld();
  });

  afterEach(() => world.cleanup());

  it('runs the due checks for the schedule event', async () => {
    // Prepare
    await world.store.put('config/fraud.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' }));
    const handler = makeCheckHandler({ lifecycle: world.lifecycle, telemetry: quietTelemetry('check-test'), clock: () => now });

    // Act
    const result = await handler({ source: SCHEDULE_SOURCE, scheduledTime: '2026-02-01T00:00:00Z', executionId: 'e-1' });

    // Assess
    expect(result).toEqual({ kind: 'due', outcome: { at: now.toISOString(), models: [{ modelId: 'fraud', proposals: [] }] } });
  });

  it('checks one model now for a manual invocation', async () => {
    // Prepare
    await world.store.put('config/fraud.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' }));
    const handler = makeCheckHandler({ lifecycle: world.lifecycle, telemetry: quietTelemetry('check-test'), clock: () => now });

    // Act
    const result = await handler({ modelId: 'fraud' });

    // Assess
    expect(result).toEqual({ kind: 'single', outcome: { status: 'no-reference', modelId: 'fraud' } });
  });

  it('throws after the run when a model failed, naming it, so Lambda retries and finally dead-letters', async () => {
    // Prepare
    await world.store.put('config/fraud.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' }));
    await world.store.put('config/broken.json', '{"schemaVersion": 1, "modelId": "broken"}');
    const telemetry = quietTelemetry('check-test');
    const errors = vi.spyOn(telemetry.logger, 'error');
    const handler = makeCheckHandler({ lifecycle: world.lifecycle, telemetry, clock: () => now });

    // Act
    const act = handler({ source: SCHEDULE_SOURCE });

    // Assess
    await expect(act).rejects.toThrow(CheckRunError);
    await expect(handler({ source: SCHEDULE_SOURCE })).rejects.toThrow(/check failed for config\/broken\.json.*batchPrefix/s);
    expect(errors.mock.calls.some((c) => JSON.stringify(c).includes('config/broken.json'))).toBe(true);
  });

  it('rejects an event that is neither the schedule nor a manual run', async () => {
    // Prepare
    const handler = makeCheckHandler({ lifecycle: world.lifecycle, telemetry: quietTelemetry('check-test'), clock: () => now });

    // Act
    const act = handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' });

    // Assess
    await expect(act).rejects.toThrow(ConfigError);
    await expect(handler({ source: SCHEDULE_SOURCE, scheduledTime: 'yesterday' })).rejects.toThrow(/check event[\s\S]*scheduledTime/);
  });
});
