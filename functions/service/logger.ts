/**
 * The one Powertools Logger and Metrics setup every Lambda handler shares: JSON logs with the Lambda
 * context and the model id as keys, and CloudWatch EMF metrics per model (drift score, drift index,
 * drifted features, proposals, decisions, ingested batches).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CheckOutcome, DecideOutcome, IngestOutcome } from '../core/lifecycle/types.js';

import { METRICS_NAMESPACE } from '../core/constants.js';

export { METRICS_NAMESPACE };

/** Metric names, so dashboards and alarms can refer to them. */
export const METRIC = {
  batchesIngested: 'BatchesIngested',
  duplicateBatches: 'DuplicateBatches',
  ingestFailures: 'IngestFailures',
  rowsIngested: 'RowsIngested',
  checks: 'Checks',
  checkFailures: 'CheckFailures',
  driftScore: 'DriftScore',
  driftIndex: 'DriftIndex',
  driftedFeatures: 'DriftedFeatures',
  proposals: 'ProposalsOpened',
  decisions: 'Decisions',
  refusedDecisions: 'RefusedDecisions',
} as const;

/** Logger and metrics of one function. */
export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Options of createTelemetry. */
export interface TelemetryOptions {
  /**
   * Log level.
   * @default the POWERTOOLS_LOG_LEVEL / LOG_LEVEL environment variables, else INFO
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/**
 * Build the logger and metrics of one function (`service` is e.g. `driftgate-ingest`).
 * @example
 * const { logger, metrics } = createTelemetry('driftgate-check');
 */
export function createTelemetry(service: string, options: TelemetryOptions = {}): Telemetry {
  const logger = new Logger({ serviceName: service, ...(options.logLevel ? { logLevel: options.logLevel } : {}) });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service, logger });
  return { logger, metrics };
}

/** Per-model metric with a `modelId` dimension, emitted at once (its own EMF blob). */
function modelMetric(metrics: Metrics, modelId: string, name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void {
  metrics.singleMetric().addDimension('modelId', modelId).addMetric(name, unit, value);
}

/** Record the metrics of one ingested upload. */
export function recordIngest(metrics: Metrics, outcome: IngestOutcome): void {
  if (outcome.status === 'stored') {
    modelMetric(metrics, outcome.modelId, METRIC.batchesIngested, MetricUnit.Count, 1);
    modelMetric(metrics, outcome.modelId, METRIC.rowsIngested, MetricUnit.Count, outcome.rows);
  } else if (outcome.status === 'duplicate') {
    modelMetric(metrics, outcome.modelId, METRIC.duplicateBatches, MetricUnit.Count, 1);
  }
}

/** Record the metrics of one model's check: drift score and index, drifted features, an opened proposal. */
export function recordCheck(metrics: Metrics, outcome: CheckOutcome, driftedFeatures?: number): void {
  if (outcome.status !== 'checked') return;
  modelMetric(metrics, outcome.modelId, METRIC.checks, MetricUnit.Count, 1);
  modelMetric(metrics, outcome.modelId, METRIC.driftScore, MetricUnit.NoUnit, outcome.score);
  modelMetric(metrics, outcome.modelId, METRIC.driftIndex, MetricUnit.NoUnit, outcome.driftIndex);
  if (driftedFeatures !== undefined) {
    modelMetric(metrics, outcome.modelId, METRIC.driftedFeatures, MetricUnit.Count, driftedFeatures);
  }
  if (outcome.proposal !== null) {
    modelMetric(metrics, outcome.modelId, METRIC.proposals, MetricUnit.Count, 1);
  }
}

/** Record one decision (approve/reject/snooze) taken through a link. */
export function recordDecision(metrics: Metrics, outcome: DecideOutcome): void {
  if (outcome.status !== 'decided') return;
  metrics
    .singleMetric()
    .addDimensions({ modelId: outcome.modelId, action: outcome.action })
    .addMetric(METRIC.decisions, MetricUnit.Count, 1);
}

/** Count a failure not tied to a model (a refused link, an unreadable upload). */
export function recordFailure(metrics: Metrics, name: (typeof METRIC)[keyof typeof METRIC]): void {
  metrics.singleMetric().addMetric(name, MetricUnit.Count, 1);
}
