/**
 * The index page of the local server (`driftgate serve`, `watch`): every model with its state, cadence,
 * open proposals and recent checks, and its drift history plot. It never carries a decision link or a
 * token: decisions are taken only from a notice's signed links, so whoever can read this page still cannot
 * act. Report links are signed, short-lived report links (read-only), given by the caller.
 */
import { formatInterval, formatNumber, formatUtcDateTime } from '../format.js';
import { escapeHtml, safeHref } from './escape.js';
import { historyChart } from './history-chart.js';
import { REPORT_CSP, renderPage } from './page.js';
import type { CadenceChange, Forecast, HistoryPoint } from './types.js';

const e = escapeHtml;

/** One proposal as the index lists it (no token, no link). */
export interface IndexProposal {
  readonly proposalId: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly verdict: string;
  readonly driftIndex: number;
  /** Whether the notice was delivered (null: not yet). */
  readonly noticeSentAt: string | null;
}

/** One model's row of the index. */
export interface IndexModel {
  readonly modelId: string;
  /** Undefined before the model's first reference. */
  readonly state?: {
    readonly referenceVersion: string;
    readonly checkIntervalSeconds: number;
    readonly nextCheckAt: string;
    readonly lastCheckAt: string | null;
    readonly activeProposalId: string | null;
    readonly incidentOpen: boolean;
    readonly history: readonly HistoryPoint[];
    readonly cadence: readonly CadenceChange[];
    readonly forecast: Forecast | null;
  };
  readonly proposals: readonly IndexProposal[];
  /** Signed report link per check id, for the recent checks shown. @default none */
  readonly reportLinks?: Readonly<Record<string, string>>;
}

/** What the index page shows. */
export interface IndexPageInput {
  readonly generatedAt: string;
  readonly models: readonly IndexModel[];
  /** Configs that failed validation: where, and why (already one line each). */
  readonly broken: readonly { readonly source: string; readonly error: string }[];
  /** How many recent checks each model lists. @default 10 */
  readonly recentChecks?: number;
}

/** The model's one-word state, as the index shows it. */
export function modelStatus(model: IndexModel): 'no reference' | 'incident' | 'proposal open' | 'awaiting adoption' | 'watching' {
  const s = model.state;
  if (s === undefined) return 'no reference';
  if (s.incidentOpen) return 'incident';
  const active = model.proposals.find((p) => p.proposalId === s.activeProposalId);
  if (active?.status === 'open') return 'proposal open';
  if (active?.status === 'approved') return 'awaiting adoption';
  return 'watching';
}

function time(iso: string | null): string {
  return iso === null ? '–' : e(formatUtcDateTime(iso));
}

function modelSection(model: IndexModel, recent: number, index: number): string {
  const s = model.state;
  const status = modelStatus(model);
  const head = `<h2 id="model-${index}" style="margin-top:0">${e(model.modelId)} <span class="badge ${status === 'watching' ? 'none' : status === 'incident' ? 'data-quality' : status === 'no reference' ? 'insufficient-data' : 'drift'}">${e(status)}</span></h2>`;
  if (s === undefined) return `<section class="card model" data-model="${e(model.modelId)}">${head}<p>No reference yet: run <code>driftgate init</code> for this model.</p></section>`;
  const facts =
    `<table class="facts"><tr><th>reference</th><td><code>${e(s.referenceVersion)}</code></td></tr>` +
    `<tr><th>cadence</th><td>every ${e(formatInterval(s.checkIntervalSeconds))}; next check ${time(s.nextCheckAt)}</td></tr>` +
    `<tr><th>last check</th><td>${time(s.lastCheckAt)}</td></tr>` +
    `<tr><th>forecast</th><td>${s.forecast?.crossingAt ? `drift index crosses 1 around ${time(s.forecast.crossingAt)}` : 'no crossing forecast'}</td></tr></table>`;
  const open = model.proposals.filter((p) => p.status === 'open' || p.status === 'approved');
  const proposals =
    open.length === 0
      ? '<p>No active proposal.</p>'
      : `<table class="proposals"><caption>Active proposals (decide from the links in the notice)</caption><tr><th>proposal</th><th>status</th><th>verdict</th><th class="num">drift index</th><th>opened</th><th>expires</th><th>notice</th></tr>` +
        open
          .map(
            (p) =>
              `<tr><td><code>${e(p.proposalId)}</code></td><td>${e(p.status)}</td><td>${e(p.verdict)}</td><td class="num">${e(formatNumber(p.driftIndex, 3))}</td>` +
              `<td>${time(p.createdAt)}</td><td>${time(p.expiresAt)}</td><td>${p.noticeSentAt === null ? 'not delivered yet' : `sent ${time(p.noticeSentAt)}`}</td></tr>`,
          )
          .join('') +
        '</table>';
  const checks = [...s.history].slice(-recent).reverse();
  const rows =
    checks.length === 0
      ? '<p>No checks yet.</p>'
      : `<table class="checks"><caption>Recent checks</caption><tr><th>at</th><th>verdict</th><th class="num">score</th><th class="num">drift index</th><th>report</th></tr>` +
        checks
          .map((h) => {
            const link = model.reportLinks?.[h.checkId];
            return (
              `<tr><td>${time(h.at)}</td><td><span class="badge ${e(h.verdict)}">${e(h.verdict)}</span></td><td class="num">${e(formatNumber(h.score, 3))}</td>` +
              `<td class="num">${e(formatNumber(h.driftIndex, 3))}</td><td>${link === undefined ? '–' : `<a href="${safeHref(link)}" rel="noreferrer">report</a>`}</td></tr>`
            );
          })
          .join('') +
        '</table>';
  const chart = historyChart({ id: `history-${index}`, title: `Drift index of ${model.modelId}`, history: s.history, forecast: s.forecast, cadence: s.cadence });
  return `<section class="card model" data-model="${e(model.modelId)}">${head}${facts}${proposals}${chart}${rows}</section>`;
}

/**
 * Render the index page (self-contained, no scripts, the report CSP: it has no form and no link that acts).
 * @example
 * const html = renderIndexPage({ generatedAt: now.toISOString(), models, broken: [] });
 */
export function renderIndexPage(input: IndexPageInput): string {
  const recent = input.recentChecks ?? 10;
  const broken =
    input.broken.length === 0
      ? ''
      : `<section class="card error" role="alert"><h2 style="margin-top:0">Configs that cannot be read</h2><ul>${input.broken.map((b) => `<li><code>${e(b.source)}</code>: ${e(b.error)}</li>`).join('')}</ul></section>`;
  const models =
    input.models.length === 0 ? '<section class="card"><p>No models in this store yet: run <code>driftgate init</code>.</p></section>' : input.models.map((m, i) => modelSection(m, recent, i)).join('\n');
  const body =
    `<header><h1>driftgate</h1><p class="meta">${input.models.length} model${input.models.length === 1 ? '' : 's'} · generated ${time(input.generatedAt)} · ` +
    `decisions are taken only through the signed links in each notice; this page has none</p></header>${broken}${models}`;
  return renderPage('driftgate: models', body, REPORT_CSP);
}
