/**
 * Inline-SVG charts for the drift report.
 *
 * Why our own small code instead of a charting library: the three charts we need (overlaid histogram,
 * side-by-side category bars, a time line with a threshold) fit in a few hundred lines; no dependency
 * to audit or bundle into the Lambda; the output is a deterministic string (same input, same bytes, so
 * reports can be diffed and snapshot-tested); and static SVG needs no script, so it renders under the
 * report's strict Content-Security-Policy (`default-src 'none'`) and offline.
 *
 * Data marks carry class="mark" (legend swatches do not), so tests can count what was drawn.
 *
 * Readability without colour: the reference is drawn as hatched bars, the current batch as a solid
 * dark step line or solid bars, drift points as squares (no-drift as circles), and every series is
 * named in a text legend.
 *
 * One file per chart (histogram-chart.ts, category-chart.ts, history-chart.ts) on the shared pieces in
 * svg-kit.ts; this module is their public face.
 */
export { linearScale, niceTicks, type Scale } from './svg-kit.js';
export { histogramChart, toPlotBins, type HistogramChartInput, type PlotBin } from './histogram-chart.js';
export { categoryChart, truncateLabel, type CategoryChartInput } from './category-chart.js';
export { forecastSegment, historyChart, type HistoryChartInput } from './history-chart.js';
