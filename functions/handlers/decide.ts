/**
 * Decision handler behind a Lambda function URL. GET `/decide?token=...` shows the evidence and a
 * confirmation form and never changes anything (mail scanners prefetch links); only a POST of that form
 * (token + action, optional reason and snooze) decides. The signed, single-use token is the only
 * credential, so a refused token gets a page that says what to do, never why the signature failed.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { vetoAt } from '../core/lifecycle/proposal.js';
import { AUTONOMY_LEVELS, REJECTION_REASONS } from '../core/lifecycle/autonomy.js';
import { DecisionTokenError, LINK_ACTIONS, REVIEW_ACTION, type TokenProblem, isOwnerAction, peekToken } from '../core/lifecycle/token.js';
import { REVIEW_COMMENT_MAX, REVIEW_VERDICTS, type RowVerdict } from '../core/lifecycle/review.js';
import { renderReviewPage, renderReviewResult } from '../core/report/review-page.js';
import type { ReviewActions } from '../service/review.js';
import { renderOwnerPage, renderOwnerResult } from '../core/report/decision-page.js';
import type { OwnerActions } from '../service/autonomy.js';
import {
  DECISION_ACTIONS,
  type DecideOutcome,
  type DecisionAction,
  type Proposal,
  type TokenDescription,
} from '../core/lifecycle/types.js';
import { DECISION_CSP, REPORT_CSP, renderDecisionPage, renderDecisionResult, type DecisionEvidence } from '../core/report/index.js';
import { escapeHtml } from '../core/report/escape.js';
import { formatNumber, formatUtcDay } from '../core/format.js';
import { plainText } from '../core/text/plain.js';
import { renderPage } from '../core/report/page.js';
import type { DecideOptions } from '../service/decide.js';
import { METRIC, createTelemetry, recordDecision, recordFailure, type Telemetry } from '../service/logger.js';
import { DECISION_ERRORS_METRIC, SERVICE_NAME } from './env.js';
import { REPORT_PATH } from './report-link.js';
import { type Handler, type PortOrFactory, lambdaEntry, portOf, withTelemetry } from './lambda-entry.js';
import { awsDecide, awsReportReader, clientsFromEnv, readFunctionEnv, type ReportReader } from './runtime.js';

/** The use case this handler needs (the decision path of service/decide.ts). */
export interface DecidePort {
  describeToken(token: string, now: Date): Promise<TokenDescription>;
  decide(
    token: string,
    action: DecisionAction,
    now: Date,
    opts?: DecideOptions,
  ): Promise<DecideOutcome>;
  /** Owner links (accept an offered level or a suggested config change; lower the level). @default none: such links answer 400 */
  readonly owner?: OwnerActions;
  /** Review links (service/review.ts): show a round's rows, take the verdicts. @default none: such links answer 400 */
  readonly review?: ReviewActions;
}

/** What the decision handler is built from. */
export interface DecideDeps {
  /** The decision path, built per invocation (the secret comes from its cache) or once. */
  readonly decisions: PortOrFactory<DecidePort>;
  readonly telemetry: Telemetry;
  /**
   * Serves `GET /report?key&exp&sig` (signed links from notices).
   * @default undefined — the route answers 404
   */
  readonly reports?: ReportReader;
  /**
   * The clock.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

/** A Lambda function URL response (payload format 2.0). */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded?: boolean;
}

/** The decision route. */
export const DECIDE_PATH = '/decide';

/** Longest reason kept in the decision log. */
const REASON_MAX = 500;

/** Largest decision form accepted (a token, an action, a reason and a snooze fit in well under 8 KiB). */
export const MAX_BODY_BYTES = 8192;

/**
 * Largest review form accepted: a verdict and a comment of REVIEW_COMMENT_MAX characters for each of up to
 * 100 rows, as a browser encodes them (`&v99=unsure&c99=`, then up to 9 bytes a character: a 3-byte UTF-8
 * character percent-encoded), plus a decision form's room for the token and action (about 280 KiB).
 */
export const MAX_REVIEW_BODY_BYTES = 100 * (16 + REVIEW_COMMENT_MAX * 9) + MAX_BODY_BYTES;

/** Longest user agent kept in the decision log. */
const USER_AGENT_MAX = 256;

/** Headers of every page: the CSP allows inline styles and a same-origin form, nothing else. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `${DECISION_CSP}; frame-ancestors 'none'; base-uri 'none'`,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
};

const functionUrlEventSchema = z.looseObject({
  rawPath: z.string(),
  rawQueryString: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.looseObject({
    domainName: z.string().optional(),
    http: z.looseObject({
      method: z.string(),
      sourceIp: z.string().optional(),
      userAgent: z.string().optional(),
    }),
  }),
});

const decisionFormSchema = z.object({
  token: z.string().min(1).max(4096),
  action: z.enum(LINK_ACTIONS),
  reason: z.string().max(REASON_MAX).optional(),
  /** Why a rejection is made; required to reject. */
  reasonKind: z.enum(REJECTION_REASONS).optional(),
  /** The level to lower to (action `lower`). */
  lowerTo: z.enum(AUTONOMY_LEVELS).optional(),
  snoozeSeconds: z.coerce.number().int().positive().max(90 * 86_400).optional(),
});

/** What a refused link says, per problem, and its HTTP status. Never the verification details. */
const REFUSAL: Readonly<Record<TokenProblem | 'missing', { status: number; text: string }>> = {
  missing: { status: 400, text: 'This address needs the link from your driftgate notice. Open the link from the email again.' },
  malformed: { status: 400, text: 'This link is incomplete or damaged. Open the link from the email again, or ask for a new notice.' },
  forged: { status: 403, text: 'This link is not valid. Open the link from the email again, or ask for a new notice.' },
  expired: { status: 410, text: 'This link has expired. A new notice is sent when the next check still sees drift.' },
  'wrong-action': { status: 400, text: 'This link cannot do that. Use the link for the action you want from the email.' },
  replayed: { status: 409, text: 'This link was already used. Each link works once.' },
};

/**
 * Build the function-URL handler over injected dependencies.
 * @example
 * const handler = makeDecideHandler({ decisions: decider({ repo, events, secret }), telemetry: createTelemetry('driftgate-decide') });
 * const response = await handler(functionUrlEvent);
 */
export function makeDecideHandler(deps: DecideDeps): Handler<HttpResponse> {
  const clock = deps.clock ?? (() => new Date());
  const { logger, metrics } = deps.telemetry;

  return withTelemetry(deps.telemetry, async (event) => {
    const parsed = functionUrlEventSchema.safeParse(event);
    if (!parsed.success) {
      logger.error('not a function URL event', { error: z.prettifyError(parsed.error) });
      return page(400, 'Bad request', 'The request could not be read.');
    }
    const request = parsed.data;
    const method = request.requestContext.http.method.toUpperCase();
    if (request.rawPath === REPORT_PATH && deps.reports !== undefined) {
      if (method !== 'GET') {
        return { ...page(405, 'Method not allowed', 'Open the report link from the notice.'), headers: { ...SECURITY_HEADERS, allow: 'GET' } };
      }
      return report(deps.reports, request);
    }
    if (request.rawPath !== DECIDE_PATH) {
      return page(404, 'Not found', 'There is nothing here. Decision links look like /decide?token=...');
    }
    if (method !== 'GET' && method !== 'POST') {
      return { ...page(405, 'Method not allowed', 'Open the link from the notice, then confirm.'), headers: { ...SECURITY_HEADERS, allow: 'GET, POST' } };
    }
    if (bodyBytes(request) > (isReviewForm(request) ? MAX_REVIEW_BODY_BYTES : MAX_BODY_BYTES)) {
      // Refused before the secret is read or anything is stored.
      logger.warn('decision request too large', { method, bytes: bodyBytes(request) });
      return page(413, 'Request too large', 'Open the link from the email again and confirm.');
    }
    try {
      const decisions = await portOf(deps.decisions);
      return method === 'GET' ? await confirm(decisions, request) : await act(decisions, request);
    } catch (error) {
      if (error instanceof DecisionTokenError) return refused(error.problem, method);
      logger.error('decision request failed', { method, error: error instanceof Error ? error.message : String(error) });
      recordDecisionError(metrics);
      return page(500, 'Something went wrong', 'Nothing was decided. Try the link again in a minute.');
    }
  });

  async function confirm(decisions: DecidePort, request: z.infer<typeof functionUrlEventSchema>): Promise<HttpResponse> {
    const token = request.queryStringParameters?.token ?? new URLSearchParams(request.rawQueryString ?? '').get('token');
    if (token === null || token === undefined || token === '') return refused('missing', 'GET');
    const peeked = peekToken(token);
    if (peeked?.action === REVIEW_ACTION) {
      if (decisions.review === undefined) return refused('wrong-action', 'GET');
      const d = await decisions.review.describe(token, clock());
      logger.info('review shown', { modelId: d.modelId, reviewId: d.reviewId, closed: d.closed !== undefined });
      const body = renderReviewPage({ modelId: d.modelId, reviewId: d.reviewId, token, expiresAt: d.expiresAt, rows: d.rows, columns: d.columns, ...(d.closed !== undefined ? { error: d.closed } : {}) });
      return { statusCode: d.closed === undefined ? 200 : 409, headers: { ...SECURITY_HEADERS }, body };
    }
    if (peeked !== undefined && isOwnerAction(peeked.action)) {
      if (decisions.owner === undefined) return refused('wrong-action', 'GET');
      const d = await decisions.owner.describe(token, clock());
      const closed = d.consumed ? 'This link was already used. Each link works once.' : d.closed;
      logger.info('owner link shown', { modelId: d.modelId, action: d.action, closed: closed !== undefined });
      const body = renderOwnerPage({
        modelId: d.modelId,
        action: d.action,
        token,
        expiresAt: d.expiresAt,
        autonomy: d.view,
        offer: d.offer,
        suggestion: d.suggestion,
        ...(closed !== undefined ? { error: closed } : {}),
      });
      return { statusCode: closed === undefined ? 200 : 409, headers: { ...SECURITY_HEADERS }, body };
    }
    const description = await decisions.describeToken(token, clock());
    const { proposal } = description;
    const closed =
      description.consumed
        ? 'This link was already used. Each link works once.'
        : proposal.status !== 'open'
          ? `This proposal is already ${proposal.status}; nothing is left to decide.`
          : undefined;
    logger.info('confirmation shown', { modelId: description.modelId, proposalId: description.proposalId, action: description.action, closed: closed !== undefined });
    const body = renderDecisionPage({
      modelId: description.modelId,
      proposalId: description.proposalId,
      action: description.action,
      token,
      expiresAt: description.expiresAt,
      evidence: evidenceOf(proposal),
      vetoAt: vetoAt(proposal) ?? undefined,
      ...(description.autonomy ? { autonomy: description.autonomy } : {}),
      ...(closed !== undefined ? { error: closed } : {}),
    });
    return { statusCode: closed === undefined ? 200 : 409, headers: { ...SECURITY_HEADERS }, body };
  }

  async function act(decisions: DecidePort, request: z.infer<typeof functionUrlEventSchema>): Promise<HttpResponse> {
    const raw = request.body === undefined ? '' : request.isBase64Encoded === true ? Buffer.from(request.body, 'base64').toString('utf8') : request.body;
    const fields = Object.fromEntries(new URLSearchParams(raw));
    if (fields.reason === '') delete fields.reason;
    if (fields.snoozeSeconds === '') delete fields.snoozeSeconds;
    const form = decisionFormSchema.safeParse(fields);
    if (!form.success) {
      if (fields.token === undefined || fields.token === '') return refused('missing', 'POST');
      logger.warn('bad decision form', { error: z.prettifyError(form.error) });
      return page(400, 'Bad request', 'The form was incomplete. Open the link from the email again and confirm.');
    }
    const { token, action, reason, reasonKind, snoozeSeconds, lowerTo } = form.data;
    const http = request.requestContext.http;
    const actor = `link (${http.sourceIp ?? 'unknown address'})`;
    if (action === REVIEW_ACTION) {
      if (decisions.review === undefined) return refused('wrong-action', 'POST');
      const verdicts = reviewVerdictsOf(fields);
      if (verdicts === null) return page(400, 'Bad request', 'Each row needs one of: looks right, looks wrong, not sure. Open the link from the email again.');
      const outcome = await decisions.review.submit(token, verdicts, clock(), { actor });
      logger.info('review', { ...outcome, actor });
      const message =
        outcome.status === 'refused'
          ? outcome.message
          : `Recorded: ${outcome.tally.right} looks right, ${outcome.tally.wrong} looks wrong, ${outcome.tally.unsure} not sure.` +
            (outcome.proposalId !== null ? ' That is a high share of "looks wrong": the owner is asked whether to retrain.' : outcome.blocked !== undefined ? ` A retrain proposal was not opened: ${outcome.blocked}.` : '');
      const body = renderReviewResult({ modelId: outcome.modelId, done: outcome.status === 'recorded', message });
      return { statusCode: outcome.status === 'recorded' ? 200 : outcome.refusal === 'bad-rows' ? 400 : 409, headers: { ...SECURITY_HEADERS }, body };
    }
    const client = { sourceIp: http.sourceIp ?? 'unknown', userAgent: (http.userAgent ?? '').slice(0, USER_AGENT_MAX) };
    if (action === 'lower' || isOwnerAction(action)) {
      if (decisions.owner === undefined) return refused('wrong-action', 'POST');
      const owned =
        action === 'lower' ? await decisions.owner.lower(token, lowerTo ?? 'manual', clock(), actor) : await decisions.owner.act(token, clock(), { actor });
      logger.info('owner action', { ...owned, actor });
      const body = renderOwnerResult({ modelId: owned.modelId, done: owned.status === 'done', message: owned.message });
      return { statusCode: owned.status === 'done' ? 200 : 409, headers: { ...SECURITY_HEADERS }, body };
    }
    if (action === 'reject' && reasonKind === undefined) {
      return page(400, 'Say why you reject', 'Rejecting asks why: not material, expected or seasonal, data bug, or other. Open the link from the email again and choose one.');
    }
    const outcome = await decisions.decide(token, action, clock(), { actor, reason, reasonKind, snoozeSeconds, client });
    recordDecision(metrics, outcome);
    logger.info('decision', { ...outcome, actor, userAgent: http.userAgent });
    if (outcome.status === 'decided') {
      const message =
        outcome.action === 'approve'
          ? outcome.retrainPending
            ? 'Approved. The retrain request could not be sent yet; the next scheduled run sends it (once).'
            : `The retrain request was sent${outcome.retrainMessageId ? ` (message ${outcome.retrainMessageId})` : ''}.`
          : outcome.action === 'snooze' && outcome.snoozedUntil
            ? `No new notice for this model before ${outcome.snoozedUntil}.`
            : 'No retrain will be requested for this evidence.';
      const body = renderDecisionResult({ modelId: outcome.modelId, proposalId: outcome.proposalId, action, outcome: 'done', message });
      return { statusCode: 200, headers: { ...SECURITY_HEADERS }, body };
    }
    const body = renderDecisionResult({
      modelId: outcome.modelId,
      proposalId: outcome.proposalId,
      action,
      outcome: 'already-decided',
      message: `The proposal is ${outcome.proposalStatus}.`,
    });
    return { statusCode: 409, headers: { ...SECURITY_HEADERS }, body };
  }

  async function report(reports: ReportReader, request: z.infer<typeof functionUrlEventSchema>): Promise<HttpResponse> {
    const query = request.queryStringParameters ?? Object.fromEntries(new URLSearchParams(request.rawQueryString ?? ''));
    try {
      const html = await reports(query, clock());
      if (html === undefined) return page(404, 'Report not found', 'This report is no longer stored.');
      logger.info('report shown', { key: query.key });
      return { statusCode: 200, headers: { ...SECURITY_HEADERS, 'content-security-policy': `${REPORT_CSP}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'` }, body: html };
    } catch (error) {
      if (error instanceof DecisionTokenError) return refused(error.problem, 'GET');
      logger.error('report request failed', { error: error instanceof Error ? error.message : String(error) });
      recordDecisionError(metrics);
      return page(500, 'Something went wrong', 'Try the link again in a minute.');
    }
  }

  function refused(problem: TokenProblem | 'missing', method: string): HttpResponse {
    // Logged for the operator; the page itself stays generic.
    logger.warn('decision link refused', { problem, method });
    recordFailure(metrics, METRIC.refusedDecisions);
    const { status, text } = REFUSAL[problem];
    return page(status, 'This link cannot be used', text);
  }
}

/** Whether a POST body is a review form (it may be larger: one verdict and comment a row). */
function isReviewForm(request: { body?: string; isBase64Encoded?: boolean }): boolean {
  if (request.body === undefined || bodyBytes(request) > MAX_REVIEW_BODY_BYTES) return false;
  const raw = request.isBase64Encoded === true ? Buffer.from(request.body, 'base64').toString('utf8') : request.body;
  return new URLSearchParams(raw).get('action') === REVIEW_ACTION;
}

const reviewFieldSchema = z.object({ verdict: z.enum(REVIEW_VERDICTS), comment: z.string().max(REVIEW_COMMENT_MAX).optional() });

/** The verdicts of a review form (`v<index>` = right | wrong | unsure, optional `c<index>` comment), or null when one is bad. */
export function reviewVerdictsOf(fields: Readonly<Record<string, string>>): RowVerdict[] | null {
  const out: RowVerdict[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const m = /^v(\d{1,3})$/.exec(name);
    if (m === null) continue;
    const comment = (fields[`c${m[1]}`] ?? '').trim();
    const parsed = reviewFieldSchema.safeParse({ verdict: value, ...(comment !== '' ? { comment } : {}) });
    if (!parsed.success) return null;
    out.push({ index: Number(m[1]), ...parsed.data });
  }
  return out.length === 0 ? null : out;
}

/** The decoded size of a request body, in bytes. */
function bodyBytes(request: { body?: string; isBase64Encoded?: boolean }): number {
  if (request.body === undefined) return 0;
  return request.isBase64Encoded === true ? Buffer.byteLength(request.body, 'base64') : Buffer.byteLength(request.body, 'utf8');
}

/** Count one request answered with a 500 page (the function did not fail, so only this metric sees it). */
export function recordDecisionError(metrics: Metrics): void {
  metrics.singleMetric().addMetric(DECISION_ERRORS_METRIC, MetricUnit.Count, 1);
}

/** A plain page for requests that name no trustworthy proposal. */
function page(statusCode: number, title: string, text: string): HttpResponse {
  const body = renderPage(
    `${title} - driftgate`,
    `<header><h1>${escapeHtml(title)}</h1></header><section class="card error" role="alert"><p>${escapeHtml(text)}</p><p>Nothing was changed.</p></section>`,
    DECISION_CSP,
  );
  return { statusCode, headers: { ...SECURITY_HEADERS }, body };
}

/** The evidence a proposal carries, in the words of the decision page. */
export function evidenceOf(proposal: Proposal): DecisionEvidence {
  const r = proposal.reasons;
  const drifted = r.driftedFeatures;
  const headline =
    r.verdict === 'drift'
      ? `Drift in ${drifted.length} feature${drifted.length === 1 ? '' : 's'} (drift index ${formatNumber(r.driftIndex, 3)}).`
      : r.verdict === 'no-drift'
        ? `No drift, but a retrain is due${r.retrainBy ? ` by ${formatUtcDay(r.retrainBy)}` : ''}.`
        : 'Too little data to judge drift.';
  const why = r.triggers.length > 0 ? ` Why now: ${r.triggers.join('; ')}.` : '';
  return {
    verdict: r.verdict,
    headline: headline + why,
    features: drifted.slice(0, 8).map((f) => ({
      // Data: one line, invisible characters shown, capped (the page then escapes it for HTML).
      name: plainText(f.name, 120),
      move: `score ${formatNumber(f.score, 3)} against threshold ${formatNumber(f.threshold, 3)}${f.test ? ` (${f.test})` : ''}`,
    })),
  };
}


/** The Lambda entry point, wired from the environment on first use. */
export const handler: Handler<HttpResponse> = lambdaEntry(() => {
  const env = readFunctionEnv('decide', process.env);
  const clients = clientsFromEnv(process.env);
  const telemetry = createTelemetry(SERVICE_NAME.decide);
  return makeDecideHandler({
    decisions: () => awsDecide({ env, clients, log: (entry) => telemetry.logger.debug('use case', entry) }),
    reports: awsReportReader({ env, clients }),
    telemetry,
  });
});
