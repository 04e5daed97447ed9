/**
 * The review page (GET shows the rows and a form; only the POST of that form records anything) and the
 * page after the POST. Every sampled value, column name and reason is data: it goes through escapeHtml.
 */
import { formatUtcDateTime } from '../format.js';
import { REVIEW_COMMENT_MAX, REVIEW_VERDICTS, REVIEW_VERDICT_TEXT, type ReviewRow } from '../lifecycle/review.js';
import { escapeHtml } from './escape.js';
import { DECISION_CSP, renderPage } from './page.js';

const e = escapeHtml;

/** What the review page shows. */
export interface ReviewPageInput {
  readonly modelId: string;
  readonly reviewId: string;
  readonly token: string;
  readonly expiresAt: string;
  readonly rows: readonly ReviewRow[];
  /** The columns, in the order shown. */
  readonly columns: readonly string[];
  /** Set when nothing can be recorded any more (answered, replaced, expired): the rows are not shown. */
  readonly error?: string;
}

function cell(v: string | number | null | undefined): string {
  return v === null || v === undefined ? '<span class="meta">(empty)</span>' : e(String(v));
}

function rowBlock(r: ReviewRow, columns: readonly string[]): string {
  const radios = REVIEW_VERDICTS.map(
    (v) => `<label><input type="radio" name="v${r.index}" value="${v}" required> ${e(REVIEW_VERDICT_TEXT[v])}</label>`,
  ).join(' ');
  return (
    `<fieldset class="card" data-row="${r.index}" data-pick="${e(r.pick)}"><legend>Row ${r.index + 1}</legend>` +
    `<p class="why"><strong>Why this row:</strong> ${e(r.why)}</p>` +
    `<table><thead><tr>${columns.map((c) => `<th scope="col">${e(c)}</th>`).join('')}</tr></thead>` +
    `<tbody><tr>${columns.map((c) => `<td>${cell(r.values[c])}</td>`).join('')}</tr></tbody></table>` +
    `<p class="meta">From ${e(r.source)}, row ${r.row + 1}</p>` +
    `<p>${radios}</p>` +
    `<p><label>Comment (optional): <input type="text" name="c${r.index}" maxlength="${REVIEW_COMMENT_MAX}"></label></p>` +
    `</fieldset>`
  );
}

/**
 * Render the review page for one round.
 * @example
 * return { statusCode: 200, headers, body: renderReviewPage({ modelId, reviewId, token, expiresAt, rows, columns }) };
 */
export function renderReviewPage(input: ReviewPageInput): string {
  const head = `<header><h1>Review sampled rows of ${e(input.modelId)}</h1><p class="meta">Review <code>${e(input.reviewId)}</code></p></header>`;
  if (input.error !== undefined) {
    return renderPage(`Review: ${input.modelId}`, `${head}<section class="card error" role="alert" id="error"><h2 style="margin-top:0">Nothing to do</h2><p>${e(input.error)}</p></section>`, DECISION_CSP);
  }
  const body =
    head +
    `<section class="card" id="intro"><p class="big">Do these rows look like the data this model should see?</p>` +
    `<p>Most rows come from where the current data differs most from the reference; a few are typical rows, for contrast. ` +
    `Mark each one; a high share of "looks wrong" asks the owner whether to retrain (nobody retrains without a decision).</p>` +
    `<p>This link is valid until ${e(formatUtcDateTime(input.expiresAt))} and works once.</p></section>` +
    `<form method="post" id="review"><input type="hidden" name="token" value="${e(input.token)}"><input type="hidden" name="action" value="review">` +
    input.rows.map((r) => rowBlock(r, input.columns)).join('') +
    `<p><button type="submit">Send the review</button></p></form>`;
  return renderPage(`Review: ${input.modelId}`, body, DECISION_CSP);
}

/** Render the page shown after verdicts were posted (recorded, or refused with the reason). */
export function renderReviewResult(input: { readonly modelId: string; readonly done: boolean; readonly message: string }): string {
  const body =
    `<header><h1>driftgate review: ${e(input.modelId)}</h1></header>` +
    `<section class="card${input.done ? '' : ' error'}" id="result" role="status"><h2 style="margin-top:0">${input.done ? 'Thank you.' : 'Nothing was recorded.'}</h2>` +
    `<p>${e(input.message)}</p><p>You can close this page.</p></section>`;
  return renderPage(`${input.done ? 'Review recorded' : 'Review refused'}: ${input.modelId}`, body, DECISION_CSP);
}
