/**
 * The pages of the decision Lambda: a confirmation page on GET (a link click must never act by itself,
 * since mail scanners prefetch links) and a result page after the POST.
 */
import { escapeHtml, safeHref } from './escape.js';
import { formatInterval, formatUtcDateTime } from '../format.js';
import { DECISION_CSP, renderPage } from './page.js';
import { ACTION_BADGE } from './summary.js';
import type { DecisionAction, DecisionPageInput, DecisionResultInput } from './types.js';

const e = escapeHtml;

const ACTION_TEXT: Readonly<Record<DecisionAction, { readonly verb: string; readonly button: string }>> = {
  approve: { verb: 'approve retraining', button: 'Approve retraining' },
  reject: { verb: 'reject retraining', button: 'Reject retraining' },
  snooze: { verb: 'snooze this proposal', button: 'Snooze' },
};

function evidenceBlock(input: DecisionPageInput): string {
  const ev = input.evidence;
  const items = ev.features.map((f) => `<li><strong>${e(f.name)}</strong>: ${e(f.move)}</li>`).join('');
  return (
    `<section class="card" id="evidence"><h2 style="margin-top:0">Evidence</h2>` +
    (ev.action === undefined ? '' : `<p>Action: <span class="badge ${e(ev.action)}">${e(ACTION_BADGE[ev.action])}</span></p>`) +
    `<p>Verdict: <span class="badge ${e(ev.verdict)}">${e(ev.verdict.toUpperCase())}</span></p>` +
    `<p class="big">${e(ev.headline)}</p>` +
    (items === '' ? '' : `<ul>${items}</ul>`) +
    (ev.reportUrl === undefined ? '' : `<p><a href="${safeHref(ev.reportUrl)}" rel="noreferrer">Open the full report</a></p>`) +
    `</section>`
  );
}

/**
 * Render the confirmation page for one action: the evidence, then a POST form carrying the token in a hidden field.
 * @example
 * return { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: renderDecisionPage(input) };
 */
export function renderDecisionPage(input: DecisionPageInput): string {
  const a = ACTION_TEXT[input.action];
  const snooze = input.action === 'snooze' && input.snoozeSeconds !== undefined ? ` for ${formatInterval(input.snoozeSeconds)}` : '';
  const veto = input.vetoAt === undefined ? '' : `<p>Retraining starts at <strong>${e(formatUtcDateTime(input.vetoAt))}</strong> unless someone rejects it.</p>`;
  const action =
    input.error !== undefined
      ? `<section class="card error" role="alert" id="error"><h2 style="margin-top:0">This link cannot be used</h2><p>${e(input.error)}</p></section>`
      : `<section class="card" id="confirm"><h2 style="margin-top:0">Confirm</h2>` +
        `<p>You are about to <strong>${e(a.verb)}${e(snooze)}</strong> for model <code>${e(input.modelId)}</code>. ` +
        `This link is valid until ${e(formatUtcDateTime(input.expiresAt))}.</p>${veto}` +
        `<form method="post">` +
        `<input type="hidden" name="token" value="${e(input.token)}">` +
        `<input type="hidden" name="action" value="${e(input.action)}">` +
        `<button type="submit" class="${e(input.action)}">${e(a.button)}</button></form></section>`;
  const body =
    `<header><h1>Retraining proposal for ${e(input.modelId)}</h1>` +
    `<p class="meta">Proposal <code>${e(input.proposalId)}</code></p></header>` +
    evidenceBlock(input) +
    action;
  return renderPage(`${a.button}: ${input.modelId}`, body, DECISION_CSP);
}

/** Render the page shown after a decision was posted: what was recorded, or why nothing changed. */
export function renderDecisionResult(input: DecisionResultInput): string {
  const a = ACTION_TEXT[input.action];
  const when = input.decidedAt === undefined ? '' : ` (${e(formatUtcDateTime(input.decidedAt))})`;
  const heading =
    input.outcome === 'done'
      ? `Done: you chose to ${e(a.verb)}${when}.`
      : input.outcome === 'already-decided'
        ? `Nothing changed: this proposal was already decided${when}.`
        : 'Nothing changed: the request was refused.';
  const body =
    `<header><h1>Retraining proposal for ${e(input.modelId)}</h1>` +
    `<p class="meta">Proposal <code>${e(input.proposalId)}</code></p></header>` +
    `<section class="card${input.outcome === 'done' ? '' : ' error'}" id="result" role="status"><h2 style="margin-top:0">${heading}</h2>` +
    (input.message === undefined ? '' : `<p>${e(input.message)}</p>`) +
    `<p>You can close this page.</p></section>`;
  return renderPage(`${input.outcome === 'done' ? a.button : 'No change'}: ${input.modelId}`, body, DECISION_CSP);
}
