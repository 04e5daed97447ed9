/**
 * What the local verbs print (init, ingest, run, serve, watch). Every name and message that came from data
 * (a file name, a model id, an error about a batch) goes through the plain-text rule for the terminal.
 */
import { formatInterval, formatNumber } from '../core/format.js';
import type { CheckDueOutcome, DecideOutcome, IngestOutcome } from '../core/lifecycle/types.js';
import { plainText, showInvisible } from '../core/text/plain.js';

/** A line for one ingested file. */
export function ingestLine(file: string, outcome: IngestOutcome & { key: string }): string {
  const name = showInvisible(file);
  if (outcome.status === 'stored') return `ingested ${name}: model ${plainText(outcome.modelId, 64)}, ${outcome.rows} rows (${outcome.key})`;
  if (outcome.status === 'duplicate') return `already ingested ${name}: the same content is ${outcome.key}; stored once`;
  return `skipped ${name}: ${plainText(outcome.reason, 300)}`;
}

/** One line per problem: the file (or what failed) and the reason, no stack. */
export function problemLine(error: unknown, file?: string): string {
  const e = error as { file?: unknown; reason?: unknown; message?: unknown };
  if (typeof e.file === 'string' && typeof e.reason === 'string') return `driftgate: ${showInvisible(e.file)}: ${oneLine(e.reason)}`;
  const message = error instanceof Error ? error.message : String(error);
  return `driftgate: ${file !== undefined ? `${showInvisible(file)}: ` : ''}${oneLine(message)}`;
}

function oneLine(text: string): string {
  return showInvisible(text.replace(/\s*\n\s*/g, ' ').trim());
}

/** A notice as the console notifier prints it: a rule, the subject, the text (already plain text). */
export function noticeText(notice: { modelId: string; proposalId: string; subject: string; text: string }): string {
  const rule = '-'.repeat(72);
  return `${rule}\nnotice for model ${plainText(notice.modelId, 64)} (${plainText(notice.proposalId, 80)})\nSubject: ${notice.subject}\n\n${notice.text}\n${rule}\n`;
}

/** Lines for one scheduled run: each model's check, cadence change, proposal and tended proposal. */
export function checkDueLines(outcome: CheckDueOutcome): string[] {
  const lines: string[] = [];
  for (const m of outcome.models) {
    const id = plainText(m.modelId, 64);
    for (const p of m.proposals) {
      const what = p.action === 'notice' || p.action === 'incident-notice' ? `${p.action} sent` : p.action;
      lines.push(`${id}: proposal ${plainText(p.proposalId, 80)}: ${what}${'error' in p && p.error ? ` (${oneLine(String(p.error))})` : ''}`);
    }
    const c = m.check;
    if (c === undefined) {
      if (m.error === undefined && m.proposals.length === 0) lines.push(`${id}: not due`);
      continue;
    }
    if (c.status === 'no-reference') lines.push(`${id}: no reference yet (driftgate init)`);
    else if (c.status === 'no-data') lines.push(`${id}: no new batches since the last check; next check ${c.nextCheckAt}`);
    else {
      lines.push(
        `${id}: check ${c.verdict} (action ${c.action}), drift index ${formatNumber(c.driftIndex, 3)} over ${c.signatures} batch(es); report ${c.reportKeys.html}`,
      );
      if (c.cadenceChange) {
        lines.push(`${id}: cadence ${formatInterval(c.cadenceChange.previousIntervalSeconds)} -> ${formatInterval(c.cadenceChange.checkIntervalSeconds)}: ${plainText(c.cadenceChange.reason, 300)}`);
      }
      if (c.proposal) {
        const notice = c.proposal.noticeMessageId !== null ? 'notice sent' : c.proposal.noticeError ? `notice NOT delivered (${oneLine(c.proposal.noticeError)}); retried on the next run` : 'notice pending';
        lines.push(`${id}: retrain proposal ${c.proposal.proposalId}, expires ${c.proposal.expiresAt}; ${notice}`);
      } else if (c.suppressed) {
        lines.push(`${id}: no proposal: ${plainText(c.suppressed, 300)}`);
      }
      lines.push(`${id}: next check ${c.nextCheckAt}`);
    }
  }
  return lines;
}

/** A line for a decision taken through the server (only the request that decided prints one). */
export function decisionLine(outcome: DecideOutcome): string | undefined {
  if (outcome.status !== 'decided') return undefined;
  const id = `${plainText(outcome.modelId, 64)}: proposal ${plainText(outcome.proposalId, 80)}`;
  if (outcome.action === 'approve') {
    return outcome.retrainPending
      ? `${id}: approved; the RetrainRequested publish failed (${oneLine(outcome.retrainPending.error)}) and the next run completes it`
      : `${id}: approved; RetrainRequested ${outcome.eventId ?? ''} published`;
  }
  return outcome.action === 'snooze' ? `${id}: snoozed until ${outcome.snoozedUntil ?? '?'}` : `${id}: rejected; no retrain for this evidence`;
}
