import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry, METRIC, METRICS_NAMESPACE, recordCheck, recordDecision, recordIngest } from '../../functions/service/logger.js';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

describe('Function: record metrics (EMF)', () => {
  let lines: string[];

  beforeEach(() => {
    // Dev mode makes Powertools write EMF through the global console, which the test reads.
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    lines = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  const blobs = (): Emf[] => lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);

  it('emits per-model drift score, drift index, drifted features and an opened proposal', () => {
    // Prepare
    const { metrics } = createTelemetry('check-test', { logLevel: 'SILENT' });

    // Act
    recordCheck(
      metrics,
      {
        status: 'checked',
        modelId: 'fraud',
        checkId: 'c1',
        verdict: 'drift',
        action: 'drift',
        actionReason: 'Drift: amount moved.',
        incident: null,
        driftIndex: 1.7,
        score: 0.31,
        signatures: 2,
        driftedFeatures: 3,
        driftedFeatureNames: ['amount', 'country', 'device'],
        reportKeys: { json: 'r.json', html: 'r.html' },
        forecast: null,
        cadenceChange: null,
        checkIntervalSeconds: 3600,
        nextCheckAt: '2026-01-01T01:00:00Z',
        proposal: { proposalId: 'p1', expiresAt: '2026-01-04T00:00:00Z', triggers: ['drift'], noticeMessageId: 'n1' },
        suppressed: null,
      },
      3,
    );

    // Assess
    const emitted = blobs();
    const byName = new Map(emitted.map((b) => [b._aws.CloudWatchMetrics[0].Metrics[0].Name, b]));
    expect([...byName.keys()].sort()).toEqual([METRIC.checks, METRIC.driftIndex, METRIC.driftScore, METRIC.driftedFeatures, METRIC.proposals].sort());
    expect(byName.get(METRIC.driftScore)).toMatchObject({ modelId: 'fraud', [METRIC.driftScore]: 0.31 });
    expect(byName.get(METRIC.driftedFeatures)).toMatchObject({ [METRIC.driftedFeatures]: 3 });
    for (const blob of emitted) {
      expect(blob._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
      expect(blob._aws.CloudWatchMetrics[0].Dimensions[0]).toContain('modelId');
    }
  });

  it('emits decisions by model and action, and ingested rows; nothing for ignored uploads', () => {
    // Prepare
    const { metrics } = createTelemetry('decide-test', { logLevel: 'SILENT' });

    // Act
    recordDecision(metrics, { status: 'decided', modelId: 'fraud', proposalId: 'p1', action: 'approve', retrainMessageId: 'm' });
    recordDecision(metrics, { status: 'already-decided', modelId: 'fraud', proposalId: 'p1', proposalStatus: 'approved' });
    recordIngest(metrics, { status: 'stored', modelId: 'fraud', signatureKey: 's', rows: 1500 });
    recordIngest(metrics, { status: 'ignored', key: 'k', reason: 'no model' });

    // Assess
    const emitted = blobs();
    expect(emitted).toHaveLength(3);
    expect(emitted[0]).toMatchObject({ modelId: 'fraud', action: 'approve', [METRIC.decisions]: 1 });
    expect(emitted[0]._aws.CloudWatchMetrics[0].Dimensions[0].sort()).toEqual(['action', 'modelId', 'service']);
    expect(emitted[2]).toMatchObject({ [METRIC.rowsIngested]: 1500 });
  });
});
