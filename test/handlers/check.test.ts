import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { CheckRunError, makeCheckHandler } from '../../functions/handlers/check.js';
import { SCHEDULE_SOURCE } from '../../functions/handlers/env.js';
import { createTelemetry, METRIC, METRICS_NAMESPACE } from '../../functions/service/logger.js';
import { localWorld, quietTelemetry, type LocalWorld } from './support.js';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/**
 * A deterministic batch written by apache-arrow (Arrow IPC file): `amount` ~ N(100 + 15 * shift, 15),
 * `country` moves from US to DE/IN as `shift` grows, `tenure` ~ U(0, 10) whatever the shift.
 */
function arrowBatch(seed: number, shift: number, rows = 2000): Uint8Array {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s + 0.5) / 4_294_967_296;
  };
  const amount = new Float64Array(rows);
  const tenure = new Float64Array(rows);
  const country: string[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    amount[i] = 100 + 15 * (z + shift);
    tenure[i] = 10 * rand();
    country.push(rand() < 0.6 - 0.4 * Math.min(shift, 1) ? 'US' : rand() < 0.5 ? 'DE' : 'IN');
  }
  return tableToIPC(tableFromArrays({ amount, country, tenure }), 'file');
}

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
    const handler = makeCheckHandler({ checks: world.lifecycle, telemetry: quietTelemetry('check-test'), clock: () => now });

    // Act
    const result = await handler({ source: SCHEDULE_SOURCE, scheduledTime: '2026-02-01T00:00:00Z', executionId: 'e-1' });

    // Assess
    expect(result).toEqual({ kind: 'due', outcome: { at: now.toISOString(), models: [{ modelId: 'fraud', proposals: [] }] } });
  });

  it('checks one model now for a manual invocation', async () => {
    // Prepare
    await world.store.put('config/fraud.json', JSON.stringify({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' }));
    const handler = makeCheckHandler({ checks: world.lifecycle, telemetry: quietTelemetry('check-test'), clock: () => now });

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
    const handler = makeCheckHandler({ checks: world.lifecycle, telemetry, clock: () => now });

    // Act
    const act = handler({ source: SCHEDULE_SOURCE });

    // Assess
    await expect(act).rejects.toThrow(CheckRunError);
    await expect(handler({ source: SCHEDULE_SOURCE })).rejects.toThrow(/check failed for config\/broken\.json.*batchPrefix/s);
    expect(errors.mock.calls.some((c) => JSON.stringify(c).includes('config/broken.json'))).toBe(true);
  });

  it('rejects an event that is neither the schedule nor a manual run', async () => {
    // Prepare
    const handler = makeCheckHandler({ checks: world.lifecycle, telemetry: quietTelemetry('check-test'), clock: () => now });

    // Act
    const act = handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' });

    // Assess
    await expect(act).rejects.toThrow(ConfigError);
    await expect(handler({ source: SCHEDULE_SOURCE, scheduledTime: 'yesterday' })).rejects.toThrow(/check event[\s\S]*scheduledTime/);
  });

  it('emits the drifted-features count of a check as a per-model EMF metric', async () => {
    // Prepare: a reference, then a batch where amount and country moved and tenure did not.
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    try {
      await world.lifecycle.putConfig({ schemaVersion: 1, modelId: 'fraud', batchPrefix: 'batches/fraud/' });
      await world.store.put('training/fraud/v1.arrow', arrowBatch(1, 0));
      await world.lifecycle.setReference('fraud', ['training/fraud/v1.arrow'], new Date('2026-01-31T00:00:00Z'), 'v1');
      await world.store.put('batches/fraud/b1.arrow', arrowBatch(7, 2));
      await world.lifecycle.ingest('batches/fraud/b1.arrow', new Date('2026-01-31T12:00:00Z'));
      const handler = makeCheckHandler({ checks: world.lifecycle, telemetry: createTelemetry('driftgate-check', { logLevel: 'SILENT' }), clock: () => now });

      // Act
      const result = await handler({ modelId: 'fraud' });

      // Assess
      if (result.kind !== 'single' || result.outcome.status !== 'checked') throw new Error(`expected a check, got ${JSON.stringify(result)}`);
      const outcome = result.outcome;
      const report = JSON.parse(Buffer.from((await world.store.get(outcome.reportKeys.json))?.body ?? []).toString()) as {
        result: { features: { name: string; drift: boolean }[] };
      };
      const driftedInReport = report.result.features.filter((f) => f.drift).map((f) => f.name).sort();
      expect(outcome.driftedFeatureNames).toEqual(['amount', 'country']);
      expect(outcome.driftedFeatureNames).toEqual(driftedInReport);
      expect(outcome.driftedFeatures).toBe(2);
      const blobs = lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
      const drifted = blobs.filter((b) => b._aws.CloudWatchMetrics[0].Metrics.some((m) => m.Name === METRIC.driftedFeatures));
      expect(drifted).toHaveLength(1);
      expect(drifted[0]).toMatchObject({ modelId: 'fraud', service: 'driftgate-check', [METRIC.driftedFeatures]: 2 });
      expect(drifted[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: METRICS_NAMESPACE, Metrics: [{ Name: METRIC.driftedFeatures, Unit: 'Count' }] });
      expect(drifted[0]._aws.CloudWatchMetrics[0].Dimensions[0]).toContain('modelId');
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
  });
});
