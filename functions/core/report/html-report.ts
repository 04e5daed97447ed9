/**
 * The drift report: one self-contained HTML page that states the action and why first, then explains it.
 */
import { rankFeatures } from '../drift/rank.js';
import { SIGNIFICANCE_LEVEL } from '../drift/registry.js';
import type { CategoricalFeatureDrift, DriftResult, FeatureDrift, Incident, NumericFeatureDrift } from '../drift/types.js';
import { driftTests } from '../drift/registry.js';
import { formatDelta, formatInterval, formatNumber, formatShare, formatUtcDateTime, formatUtcDay, formatVersus, MISSING } from '../format.js';
import { miniChart } from './mini-chart.js';
import { escapeHtml } from './escape.js';
import { renderPage, REPORT_CSP } from './page.js';
import { ACTION_BADGE, describeMove, inputNames, headline, incidentFeatures, overview, quantileLabels } from './summary.js';
import { categoryChart, histogramChart, historyChart } from './svg.js';
import { outcomesSection } from './outcomes-chart.js';
import { sliceSection } from './slice-section.js';
import { reviewSection } from './review-section.js';
import type { ReportInput } from './types.js';

const e = escapeHtml;

const VERDICT_LABEL: Readonly<Record<DriftResult['verdict'], string>> = {
  drift: 'DRIFT',
  'no-drift': 'NO DRIFT',
  'insufficient-data': 'INSUFFICIENT DATA',
};

const INCIDENT_LABEL: Readonly<Record<Incident['kind'], string>> = {
  'missing-column': 'Missing column',
  'retyped-column': 'Retyped column',
  'null-surge': 'Null surge',
  'all-null': 'All-null column',
  'out-of-range-jump': 'Out-of-range jump',
  'row-collapse': 'Row collapse',
};

const SOURCE_LABEL = { feature: 'feature override', model: 'model default', default: 'built-in default', 'noise-floor': 'sampling-noise floor' } as const;

function verdictSection(input: ReportInput): string {
  const r = input.result;
  const drifted = r.features.filter((f) => f.drift).length;
  const sources = new Map<string, number>();
  for (const f of r.features) sources.set(SOURCE_LABEL[f.thresholdSource], (sources.get(SOURCE_LABEL[f.thresholdSource]) ?? 0) + 1);
  const sourceText = [...sources.entries()].map(([s, n]) => `${n} from the ${s}`).join(', ');
  return (
    `<section class="card verdict ${e(r.action)}" id="verdict" aria-labelledby="verdict-h">` +
    `<h2 id="verdict-h" style="margin-top:0;border:0">Action: <span class="badge ${e(r.action)}">${ACTION_BADGE[r.action]}</span></h2>` +
    `<p class="big" id="action-reason">${e(headline(r, input.proposal?.retrainBy))}</p>` +
    `<p>${e(overview(r))} Distribution verdict: <span class="badge ${e(r.verdict)}">${VERDICT_LABEL[r.verdict]}</span></p>` +
    incidentList(r) +
    `<div class="table-wrap"><table><caption>Check figures</caption><tbody>` +
    `<tr><th scope="row">Features drifted</th><td class="num">${drifted} of ${r.features.length}</td></tr>` +
    `<tr><th scope="row">Dataset drift score <span class="meta">(share of judged features that drifted)</span></th><td class="num">${formatNumber(r.score, 3)}</td></tr>` +
    `<tr><th scope="row">Drift index <span class="meta">(the most drifted feature's severity; 1 = at its threshold)</span></th><td class="num">${formatNumber(r.driftIndex, 3)}</td></tr>` +
    `<tr><th scope="row">Rows (reference → current)</th><td class="num">${formatNumber(r.rowCount.reference, 9)} → ${formatNumber(r.rowCount.current, 9)}</td></tr>` +
    `</tbody></table></div>` +
    `<details id="rule"><summary>How this was decided</summary>` +
    `<p>${e(r.summary)}</p>` +
    `<p><strong>Rule</strong> <code>${e(r.rule.kind)}</code>: ${e(r.rule.description)}</p>` +
    `<p><strong>Thresholds:</strong> each feature is judged by its own test and threshold (${e(sourceText || 'none')}); ` +
    `the ranked table names each one and where it came from.</p></details></section>`
  );
}

/** The data-quality findings, in the result's order (most serious first). */
function incidentList(result: DriftResult): string {
  if (result.incidents.length === 0) return '';
  const items = result.incidents.map((i) => `<li data-incident="${e(i.kind)}"><strong>${e(INCIDENT_LABEL[i.kind])}</strong>: ${e(i.detail)}</li>`).join('');
  return `<section id="incidents" aria-labelledby="incidents-h"><h3 id="incidents-h">Data-quality findings: fix the pipeline before retraining</h3><ul>${items}</ul></section>`;
}

function proposalSection(input: ReportInput): string {
  const p = input.proposal;
  if (p === undefined) return '';
  return (
    `<section class="card" id="proposal"><h2 style="margin-top:0">Retraining proposal</h2>` +
    `<p>Proposal <code>${e(p.proposalId)}</code> is open until <strong>${e(formatUtcDateTime(p.expiresAt))}</strong>.` +
    (p.retrainBy === undefined ? '' : ` Retraining is advised by <strong>${e(formatUtcDay(p.retrainBy))}</strong>.`) +
    ` Approve, reject or snooze it from the links in the notice; each link opens a confirmation page first.</p>` +
    (input.result.action === 'data-quality' ? '<p><strong>This batch shows a data-quality problem:</strong> fix the pipeline before approving a retrain on it.</p>' : '') +
    `</section>`
  );
}

/** A feature's result in words, with its data-quality mark first when it has an incident. */
function resultText(f: FeatureDrift, quality: ReadonlySet<string>, insufficient: string): string {
  const own = f.status === 'insufficient-data' ? insufficient : f.drift ? '✖ drift' : '✔ no drift';
  return quality.has(f.name) ? `⚠ data quality · ${own}` : own;
}

/** A distance test's unit (" σ" for Wasserstein), "" for the others. */
function unitOf(f: FeatureDrift): string {
  return f.scoreKind === 'distance' ? (driftTests[f.test]?.unit ?? '') : '';
}

function rankingTable(ranked: readonly FeatureDrift[], quality: ReadonlySet<string>): string {
  let rows = '';
  ranked.forEach((f, i) => {
    const cmp = f.scoreKind === 'distance' ? '≥' : '<';
    const versus = formatVersus(f.score, f.threshold);
    rows +=
      `<tr class="${f.drift ? 'drifted' : ''}" data-rank="${i + 1}">` +
      `<td class="num">${i + 1}</td>` +
      `<td><a href="#feature-${i + 1}">${e(f.name)}</a></td>` +
      `<td>${resultText(f, quality, 'too little data')}</td>` +
      `<td class="dist">${miniChart(f, `mini-${i + 1}`)}</td>` +
      `<td class="opt">${e(f.kind)}</td><td class="opt">${e(f.test)}</td>` +
      `<td class="num">${versus.score}${e(unitOf(f))}</td>` +
      `<td class="num">${cmp} ${versus.threshold}${e(unitOf(f))}</td>` +
      `<td class="opt">${SOURCE_LABEL[f.thresholdSource]}</td>` +
      `<td class="num">${f.status === 'insufficient-data' ? MISSING : formatNumber(f.severity, 3)}</td>` +
      `<td>${e(describeMove(f))}</td></tr>`;
  });
  return (
    `<section id="ranking" aria-labelledby="ranking-h"><h2 id="ranking-h">Features ranked by drift</h2>` +
    `<p class="meta">Severity is how far a feature is past its decision (1 = at the boundary; 1 or more exactly when it drifts): ` +
    `for a distance test, the smaller of score ÷ threshold and log(p) ÷ log(${SIGNIFICANCE_LEVEL}) of its significance test; ` +
    `for a p-value test, log(p) ÷ log(threshold). A data-quality finding (⚠) is not drift: it is listed with the action.</p>` +
    `<div class="table-wrap"><table class="ranking"><caption>Per-feature tests (distribution: reference bars, current line)</caption><thead><tr><th scope="col" class="num">#</th><th scope="col">Feature</th><th scope="col">Result</th>` +
    `<th scope="col">Distribution</th><th scope="col" class="opt">Kind</th><th scope="col" class="opt">Test</th><th scope="col" class="num">Score</th><th scope="col" class="num">Drift when</th>` +
    `<th scope="col" class="opt">Threshold from</th><th scope="col" class="num">Severity</th><th scope="col">What moved</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div></section>`
  );
}

function quantileTable(f: NumericFeatureDrift): string {
  const labels = quantileLabels(f.quantiles);
  const rows = f.quantiles
    .map((q, i) => {
      const delta = q.reference !== null && q.current !== null ? formatDelta(q.current - q.reference) : MISSING;
      return `<tr><th scope="row">${labels[i]}</th><td class="num">${formatNumber(q.reference)}</td><td class="num">${formatNumber(q.current)}</td><td class="num">${delta}</td></tr>`;
    })
    .join('');
  return (
    `<table class="quantiles"><caption>Quantiles before → after</caption><thead><tr><th scope="col">Quantile</th>` +
    `<th scope="col" class="num">Reference</th><th scope="col" class="num">Current</th><th scope="col" class="num">Change</th></tr></thead>` +
    `<tbody>${rows}</tbody></table>`
  );
}

function numericFacts(f: NumericFeatureDrift): string {
  const m = f.metrics;
  return (
    `<table class="facts"><caption>Figures</caption><tbody>` +
    `<tr><th scope="row">Null share</th><td class="num">${formatShare(f.nullShare.reference)} → ${formatShare(f.nullShare.current)}</td></tr>` +
    `<tr><th scope="row">Rows (non-null)</th><td class="num">${formatNumber(f.count.reference, 9)} → ${formatNumber(f.count.current, 9)}</td></tr>` +
    `<tr><th scope="row">Mean</th><td class="num">${formatNumber(f.mean.reference)} → ${formatNumber(f.mean.current)}</td></tr>` +
    `<tr><th scope="row">Range</th><td class="num">[${formatNumber(f.range.reference[0])}, ${formatNumber(f.range.reference[1])}] → [${formatNumber(f.range.current[0])}, ${formatNumber(f.range.current[1])}]</td></tr>` +
    `<tr><th scope="row">Outside reference range</th><td class="num">${formatShare(f.outOfRangeShare)}</td></tr>` +
    `<tr><th scope="row">Wasserstein (÷ ref. sd)</th><td class="num">${formatNumber(m.wassersteinNorm, 3)}</td></tr>` +
    `<tr><th scope="row">KS statistic (p-value)</th><td class="num">${formatNumber(m.ksStat, 3)} (${formatNumber(m.ksPValue, 3)})</td></tr>` +
    `<tr><th scope="row">PSI</th><td class="num">${formatNumber(m.psi, 3)}</td></tr>` +
    `<tr><th scope="row">Jensen–Shannon distance</th><td class="num">${formatNumber(m.jsDistance, 3)}</td></tr>` +
    (f.detectable !== undefined || f.resolution !== undefined
      ? `<tr><th scope="row">Smallest shift that would act (drift)</th><td class="num">${f.detectable !== undefined ? `${formatNumber(f.detectable.effect, 3)} σ${f.detectable.flagged !== undefined ? `; flagged (watch) from ${formatNumber(f.detectable.flagged, 3)} σ` : ''}` : '—'}${f.resolution !== undefined ? ` (${e(f.resolution.source === 'exact-counts' ? 'exact counts' : f.resolution.source === 'coarse-sketch' ? `coarse sketch: KS up to +${formatNumber(f.resolution.ksError, 3)}` : 'sketch')})` : ''}</td></tr>`
      : '') +
    `</tbody></table>`
  );
}

function categoricalTables(f: CategoricalFeatureDrift): string {
  const m = f.metrics;
  const rows = f.categories
    .map(
      (c) =>
        `<tr${c.unseen ? ' class="unseen"' : ''}><td>${e(c.value)}${c.unseen ? ' <span class="new-tag">NEW</span>' : ''}</td>` +
        `<td class="num">${formatShare(c.reference)}</td><td class="num">${formatShare(c.current)}</td></tr>`,
    )
    .join('');
  return (
    `<table class="categories"><caption>Top categories (NEW = never seen in the reference)</caption><thead><tr><th scope="col">Value</th>` +
    `<th scope="col" class="num">Reference</th><th scope="col" class="num">Current</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<table class="facts"><caption>Figures</caption><tbody>` +
    `<tr><th scope="row">Null share</th><td class="num">${formatShare(f.nullShare.reference)} → ${formatShare(f.nullShare.current)}</td></tr>` +
    `<tr><th scope="row">Rows (non-null)</th><td class="num">${formatNumber(f.count.reference, 9)} → ${formatNumber(f.count.current, 9)}</td></tr>` +
    `<tr><th scope="row">Unseen values (share of current)</th><td class="num">${formatShare(m.unseenShare)}</td></tr>` +
    `<tr><th scope="row">Jensen–Shannon distance</th><td class="num">${formatNumber(m.jsDistance, 3)}</td></tr>` +
    `<tr><th scope="row">PSI</th><td class="num">${formatNumber(m.psi, 3)}</td></tr>` +
    `<tr><th scope="row">Chi-square p-value</th><td class="num">${formatNumber(m.chi2PValue, 3)}</td></tr>` +
    `</tbody></table>`
  );
}

function featureSection(f: FeatureDrift, rank: number, quality: ReadonlySet<string>): string {
  const id = `feature-${rank}`;
  const title = `${f.name}: reference vs current distribution`;
  const chart =
    f.kind === 'numeric'
      ? histogramChart({ id: `${id}-plot`, title, edges: f.bins.edges, reference: f.bins.reference, current: f.bins.current })
      : categoryChart({ id: `${id}-plot`, title, categories: f.categories });
  const cmp = f.scoreKind === 'distance' ? '≥' : '<';
  const result = resultText(f, quality, 'too little data to judge');
  const tables =
    f.kind === 'numeric' ? `<div class="grid2">${quantileTable(f)}${numericFacts(f)}</div>` : `<div class="grid2">${categoricalTables(f)}</div>`;
  return (
    `<section class="feature${f.drift ? ' drifted' : ''}${quality.has(f.name) ? ' quality' : ''}" id="${id}" data-feature-rank="${rank}" aria-labelledby="${id}-h">` +
    `<h3 id="${id}-h">${rank}. <span class="feature-name">${e(f.name)}</span> — ${result}</h3>` +
    `<p class="explanation">${e(f.explanation)}</p>` +
    `<p class="meta">${e(f.kind)} · test <code>${e(f.test)}</code> · score ${formatNumber(f.score, 3)} (drift when ${cmp} ${formatNumber(f.threshold, 3)}, threshold from the ${SOURCE_LABEL[f.thresholdSource]})</p>` +
    `${chart}${tables}</section>`
  );
}

function historySection(input: ReportInput): string {
  if (input.history.length === 0 && input.cadence.length === 0 && input.forecast === null) {
    return (
      `<section id="history" aria-labelledby="history-h"><h2 id="history-h">Drift history</h2>` +
      `<p>No earlier checks${input.modelId === CLI_MODEL ? ' (a one-off check)' : ' of this model yet'}: the drift history and its forecast appear from the second check.</p></section>`
    );
  }
  const chart = historyChart({
    id: 'history-plot',
    title: `${input.modelId}: drift index over time, threshold 1, with forecast`,
    history: input.history,
    forecast: input.forecast,
    cadence: input.cadence,
  });
  const f = input.forecast;
  const forecastText =
    f === null
      ? 'No forecast yet (too few checks).'
      : f.crossingAt === null && input.result.driftIndex >= 1
        ? `The drift index is already above its threshold (${formatNumber(input.result.driftIndex, 3)}); its trend is ${formatNumber(f.slopePerDay, 3)} per day (${e(f.method)}, ${formatNumber(f.points)} checks).`
        : f.crossingAt === null
        ? `No crossing forecast: the drift index trend is ${formatNumber(f.slopePerDay, 3)} per day (${e(f.method)}, ${formatNumber(f.points)} checks).`
        : `The drift index is forecast to cross 1 on <strong>${e(formatUtcDateTime(f.crossingAt))}</strong> (trend ${formatNumber(f.slopePerDay, 3)} per day, ${e(f.method)}, ${formatNumber(f.points)} checks).`;
  const cadenceRows = input.cadence
    .map(
      (c) =>
        `<tr><td>${e(formatUtcDateTime(c.at))}</td><td class="num">${formatInterval(c.previousIntervalSeconds)} → ${formatInterval(c.checkIntervalSeconds)}</td><td>${e(c.reason)}</td></tr>`,
    )
    .join('');
  const cadenceTable =
    input.cadence.length === 0
      ? '<p>No cadence changes.</p>'
      : `<table><caption>Cadence decisions</caption><thead><tr><th scope="col">When</th><th scope="col" class="num">Check interval</th><th scope="col">Reason</th></tr></thead><tbody>${cadenceRows}</tbody></table>`;
  const historyRows = input.history
    .map(
      (h) =>
        `<tr><td>${e(formatUtcDateTime(h.at))}</td><td><code>${e(h.checkId)}</code></td><td>${e(h.verdict)}</td><td class="num">${formatNumber(h.score, 3)}</td><td class="num">${formatNumber(h.driftIndex, 3)}</td></tr>`,
    )
    .join('');
  return (
    `<section id="history" aria-labelledby="history-h"><h2 id="history-h">Drift history and forecast</h2>${chart}<p>${forecastText}</p>${cadenceTable}` +
    `<details><summary>All ${input.history.length} checks</summary><table><thead><tr><th scope="col">When</th><th scope="col">Check</th>` +
    `<th scope="col">Verdict</th><th scope="col" class="num">Score</th><th scope="col" class="num">Drift index</th></tr></thead><tbody>${historyRows}</tbody></table></details></section>`
  );
}

function schemaSection(result: DriftResult): string {
  const s = result.schema;
  const rows = [
    ...s.missing.map((n) => `<tr><td>${e(n)}</td><td>missing from the current batch</td><td></td></tr>`),
    ...s.added.map((n) => `<tr><td>${e(n)}</td><td>new in the current batch</td><td></td></tr>`),
    ...s.retyped.map((t) => `<tr><td>${e(t.name)}</td><td>type changed</td><td>${e(t.reference)} → ${e(t.current)}</td></tr>`),
  ];
  const time = result.time
    .map(
      (t) =>
        `<tr><td>${e(t.name)}</td><td>${rangeText(t.reference)}</td><td>${rangeText(t.current)}</td></tr>`,
    )
    .join('');
  return (
    `<section id="schema" aria-labelledby="schema-h"><h2 id="schema-h">Schema changes</h2>` +
    (rows.length === 0
      ? '<p>No schema changes.</p>'
      : `<table><caption>Columns that changed</caption><thead><tr><th scope="col">Column</th><th scope="col">Change</th><th scope="col">Type (before → after)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`) +
    (result.time.length === 0
      ? ''
      : `<table><caption>Time columns (range only, not tested)</caption><thead><tr><th scope="col">Column</th><th scope="col">Reference</th><th scope="col">Current</th></tr></thead><tbody>${time}</tbody></table>`) +
    `</section>`
  );
}

function rangeText(range: readonly [string | null, string | null]): string {
  // Data times may lie beyond what Date holds (date32 up to year 5881580): an ISO time Date cannot parse is shown as it is.
  const t = (iso: string | null): string => (iso === null ? MISSING : e(formatUtcDateTime(iso)));
  return `${t(range[0])} – ${t(range[1])}`;
}

/** The model id of a check run from the CLI without a model. */
export const CLI_MODEL = 'cli';

/** "Drift report: fraud-v2", or for a one-off CLI check the current inputs' name. */
function reportTitle(input: ReportInput): string {
  if (input.modelId !== CLI_MODEL) return `Drift report: ${input.modelId}`;
  const current = input.result.inputs?.current;
  return current === undefined || current.sources.length === 0 ? 'Drift report' : `Drift report: ${inputNames(current, 1)}`;
}

/** The line naming what was compared, with row counts; the full names are in the title attribute. */
function inputsLine(input: ReportInput): string {
  const r = input.result;
  if (r.inputs === undefined) return '';
  const side = (label: string, s: NonNullable<DriftResult['inputs']>['reference'], rows: number): string =>
    `${label}: <span class="inputs" title="${e(s.sources.join('\n'))}">${e(inputNames(s) || 'none')}</span> (${formatNumber(rows, 9)} rows)`;
  return `<p class="meta" id="inputs">${side('Reference', r.inputs.reference, r.rowCount.reference)} · ${side('Current', r.inputs.current, r.rowCount.current)}</p>`;
}

/**
 * Render the self-contained drift report (inline CSS and SVG, strict CSP, every data string escaped).
 * @example
 * const html = renderHtmlReport({ modelId, checkId, generatedAt: now.toISOString(), result, history, cadence, forecast });
 */
export function renderHtmlReport(input: ReportInput): string {
  const ranked = rankFeatures(input.result.features);
  const quality = incidentFeatures(input.result);
  const body =
    `<header><h1>${e(reportTitle(input))}</h1>` +
    inputsLine(input) +
    `<p class="meta">Check <code>${e(input.checkId)}</code> · generated ${e(formatUtcDateTime(input.generatedAt))}</p></header>` +
    verdictSection(input) +
    proposalSection(input) +
    rankingTable(ranked, quality) +
    schemaSection(input.result) +
    historySection(input) +
    outcomesSection(input.outcomes) +
    sliceSection(input.result) +
    reviewSection(input.review) +
    `<section id="features" aria-labelledby="features-h"><h2 id="features-h">Each feature, reference vs current</h2>` +
    ranked.map((f, i) => featureSection(f, i + 1, quality)).join('') +
    `</section>`;
  return renderPage(`${reportTitle(input)} (${ACTION_BADGE[input.result.action]})`, body, REPORT_CSP);
}
