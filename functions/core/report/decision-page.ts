/**
 * The pages of the decision Lambda: a confirmation page on GET (a link click must never act by itself,
 * since mail scanners prefetch links) and a result page after the POST.
 */
import { escapeHtml, safeHref } from './escape.js';
import { formatInterval, formatUtcDateTime } from '../format.js';
import { DECISION_CSP, renderPage } from './page.js';
import { ACTION_BADGE } from './summary.js';
import { windowText } from '../lifecycle/autonomy.js';
import type { AutonomyPanel, DecisionAction, DecisionPageInput, DecisionResultInput, OwnerPageInput } from './types.js';

/** Why a proposal is rejected: the value posted, and the words shown (core/lifecycle/autonomy.ts REJECTION_REASONS). */
export const REJECTION_CHOICES: readonly { readonly value: string; readonly label: string }[] = [
  { value: 'not-material', label: 'Not material: the change is real but does not matter for this model' },
  { value: 'expected', label: 'Expected or seasonal: we knew this would happen' },
  { value: 'data-bug', label: 'Data bug: the pipeline is broken (opens a data-quality incident instead)' },
  { value: 'other', label: 'Other (say why below)' },
];

/** Longest free-text reason the form accepts (the handler refuses longer ones). */
export const REASON_FORM_MAX = 500;

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
        (input.action === 'reject' ? reasonFields() : '') +
        `<button type="submit" class="${e(input.action)}">${e(a.button)}</button></form></section>`;
  const body =
    `<header><h1>Retraining proposal for ${e(input.modelId)}</h1>` +
    `<p class="meta">Proposal <code>${e(input.proposalId)}</code></p></header>` +
    evidenceBlock(input) +
    action +
    (input.autonomy === undefined ? '' : autonomyBlock(input.autonomy, input.error === undefined ? input.token : undefined));
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

/** The "why do you reject" fields: one required choice and an optional sentence. */
function reasonFields(): string {
  const choices = REJECTION_CHOICES.map(
    (c, i) => `<p><label><input type="radio" name="reasonKind" value="${e(c.value)}"${i === 0 ? ' required' : ''}> ${e(c.label)}</label></p>`,
  ).join('');
  return (
    `<fieldset id="reject-reason"><legend>Why do you reject it? (this teaches driftgate)</legend>${choices}` +
    `<p><label>In your words (optional): <input type="text" name="reason" maxlength="${REASON_FORM_MAX}" size="60"></label></p></fieldset>`
  );
}

/** The model's level, track record and next step; with a token, a form to lower the level. */
function autonomyBlock(panel: AutonomyPanel, token: string | undefined): string {
  const lower =
    token === undefined || panel.lowerTo.length === 0
      ? ''
      : `<form method="post" id="lower">` +
        `<input type="hidden" name="token" value="${e(token)}">` +
        `<input type="hidden" name="action" value="lower">` +
        `<label>Lower the level to <select name="lowerTo">${panel.lowerTo.map((l) => `<option value="${e(l)}">${e(l)}</option>`).join('')}</select></label> ` +
        `<button type="submit" class="reject">Lower the level</button></form>`;
  return (
    `<section class="card" id="autonomy"><h2 style="margin-top:0">Autonomy</h2>` +
    `<p>Level: <strong>${e(panel.level)}</strong></p>` +
    `<p>Track record: ${e(panel.record)}</p>` +
    `<p>Next step: ${e(panel.nextStep)}</p>${lower}</section>`
  );
}

const OWNER_TEXT: Readonly<Record<OwnerPageInput['action'], { readonly title: string; readonly button: string }>> = {
  'accept-level': { title: 'Autonomy offer', button: 'Accept the offer' },
  'accept-config': { title: 'Suggested config change', button: 'Accept the config change' },
  lower: { title: 'Lower the autonomy level', button: 'Lower the level' },
};

/**
 * Render the confirmation page of an owner link (GET shows; only the POST of its form acts).
 * @example
 * return { statusCode: 200, headers, body: renderOwnerPage({ modelId, action: 'accept-level', token, expiresAt, autonomy, offer }) };
 */
export function renderOwnerPage(input: OwnerPageInput): string {
  const t = OWNER_TEXT[input.action];
  const s = input.suggestion;
  const what =
    input.action === 'accept-level' && input.offer
      ? `<p class="big">Move model <code>${e(input.modelId)}</code> up to <strong>${e(input.offer.level)}</strong>.</p><p>The offer is open until ${e(formatUtcDateTime(input.offer.expiresAt))}.</p>`
      : input.action === 'accept-config' && s
        ? (s.window !== undefined
            ? `<p class="big">Exempt <strong>${e(s.feature)}</strong> ${e(windowText(s.window))}: its drift there is still reported but drives no retrain proposal.</p>`
            : `<p class="big">Set the <code>${e(s.test)}</code> threshold of <strong>${e(s.feature)}</strong> from ${e(String(s.from))} to ${e(String(s.to))}.</p>`) +
          `<p>Evidence: rejected proposals ${s.verdicts.map((v) => `<code>${e(v)}</code>`).join(', ')} (${e(s.reasons.join(', '))}).</p>` +
          `<p>Accepting writes a new config version; the current one stays readable.</p>`
        : '';
  const form =
    input.error !== undefined
      ? `<section class="card error" role="alert" id="error"><h2 style="margin-top:0">Nothing to do</h2><p>${e(input.error)}</p></section>`
      : input.action === 'lower'
        ? ''
        : `<section class="card" id="confirm"><h2 style="margin-top:0">Confirm</h2>${what}<p>This link is valid until ${e(formatUtcDateTime(input.expiresAt))}.</p>` +
          `<form method="post"><input type="hidden" name="token" value="${e(input.token)}"><input type="hidden" name="action" value="${e(input.action)}">` +
          `<button type="submit">${e(t.button)}</button></form></section>`;
  const body =
    `<header><h1>${e(t.title)} for ${e(input.modelId)}</h1></header>` +
    form +
    autonomyBlock(input.autonomy, input.error === undefined || input.action === 'lower' ? input.token : undefined);
  return renderPage(`${t.title}: ${input.modelId}`, body, DECISION_CSP);
}

/** Render the page shown after an owner action was posted. */
export function renderOwnerResult(input: { readonly modelId: string; readonly done: boolean; readonly message: string }): string {
  const body =
    `<header><h1>driftgate: ${e(input.modelId)}</h1></header>` +
    `<section class="card${input.done ? '' : ' error'}" id="result" role="status"><h2 style="margin-top:0">${input.done ? 'Done.' : 'Nothing changed.'}</h2>` +
    `<p>${e(input.message)}</p><p>You can close this page.</p></section>`;
  return renderPage(`${input.done ? 'Done' : 'No change'}: ${input.modelId}`, body, DECISION_CSP);
}
