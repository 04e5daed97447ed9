/**
 * The notice of a retraining proposal (SNS email / chat): the action and why in one plain sentence first (a
 * data-quality result says to fix the pipeline, never to retrain), then the evidence, then the links. An
 * incident without a proposal has its own notice (incident-notice.ts).
 *
 * Layout guarantee (what no data can change): every string from data goes through the plain-text rule
 * (core/text/plain.ts), so it is one line, shows invisible and bidi characters as escapes, contains no
 * link-looking text and sits after a fixed prefix ("- ", "Schema: ", the headline's counts), never at the
 * start of a line. The links come last, in one block opened by the fixed LINKS_MARKER line; after it come
 * only the link lines, each a fixed label and a link we made. So the only lines with a URL are the real links,
 * and all data comes before them.
 */
import { ConfigError } from '../errors.js';
import { rankFeatures } from '../drift/rank.js';
import type { DriftResult } from '../drift/types.js';
import { driftTests } from '../drift/registry.js';
import { formatDelta, formatNumber, formatUtcDateTime, formatUtcDay, formatVersus } from '../format.js';
import { DEFAULT_SUBJECT_PREFIX, NOTICE_SUBJECT_MAX_BYTES, noticeSubject } from './notice-subject.js';
import { invisibleChars, plainQuote, plainText } from '../text/plain.js';
import { describeMove, headline, incidentFeatures, overview } from './summary.js';
import type { NoticeInput, RenderedNotice } from './types.js';
import type { ExemptWindow } from '../drift/options.js';
import { windowText } from '../lifecycle/autonomy.js';

/** Most bytes (UTF-8) of notice text: fits an SNS SMS-less message, a chat post and an email preview. */
export const NOTICE_MAX_BYTES = 2048;


/** Longest column or category name quoted in a notice (the report shows the full names). */
const NAME_MAX = 48;

/** Longest label (a test name, a type, an id) shown in a notice. */
const LABEL_MAX = 64;

/** The fixed line that opens the links block: nothing from data can come after it or imitate it. */
export const LINKS_MARKER = 'Decide (each link opens a confirmation page first; the links below this line are the only ones from driftgate):';

/** Longest stored sentence (an incident's detail) on one line of a notice. */
const SENTENCE_MAX = 300;

const encoder = new TextEncoder();

/** A stored time as a UTC day or day and minute; an unparsable one is shown by the plain-text rule. */
const day = (iso: string): string => plainText(formatUtcDay(iso), LABEL_MAX);
const dayTime = (iso: string): string => plainText(formatUtcDateTime(iso), LABEL_MAX);

/** Count the UTF-8 bytes of a string. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** The subject's verdict part: the action, e.g. "drift in 4 of 12 features" or "data quality (2 findings)". */
function subjectVerdict(r: DriftResult): string {
  const drifted = r.features.filter((f) => f.drift).length;
  switch (r.action) {
    case 'data-quality':
      return `data quality (${r.incidents.length} finding${r.incidents.length === 1 ? '' : 's'})`;
    case 'drift':
      return `drift in ${drifted} of ${r.features.length} features`;
    case 'watch':
      return `watch: ${drifted} of ${r.features.length} features drifted`;
    case 'none':
      return r.verdict === 'insufficient-data' ? 'too little data to judge' : 'no drift';
  }
}

function subjectOf(input: NoticeInput): string {
  const deadline =
    input.autoRetrained === true ? 'retrained automatically' : input.vetoAt === undefined ? `decide by ${formatUtcDay(input.expiresAt)}` : `retrain ${formatUtcDay(input.vetoAt)} unless rejected`;
  return noticeSubject({ prefix: input.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX, modelId: input.modelId, verdict: input.lead ? input.lead.verdict : subjectVerdict(input.result), deadline });
}

/** The data-quality findings, most serious first, at most `limit` of them. */
function incidentLines(result: DriftResult, limit: number): string[] {
  if (result.incidents.length === 0) return [];
  // The kind (a fixed word) comes first, so a detail stored by another producer never starts the line's data.
  const lines = result.incidents.slice(0, limit).map((i) => `- ${plainText(i.kind, LABEL_MAX)}: ${plainText(i.detail, SENTENCE_MAX)}`);
  if (result.incidents.length > limit) lines.push(`  (+${result.incidents.length - limit} more in the report)`);
  return ['Data-quality findings (fix the pipeline before retraining):', ...lines];
}

function featureLines(result: DriftResult, limit: number): string[] {
  const drifted = rankFeatures(result.features).filter((f) => f.drift);
  const quality = incidentFeatures(result);
  const lines = drifted.slice(0, limit).map((f) => {
    const cmp = f.scoreKind === 'distance' ? '≥' : '<';
    const test = driftTests[f.test];
    const unit = f.scoreKind === 'distance' ? (test?.unit ?? '') : '';
    const pair = formatVersus(f.score, f.threshold);
    const nulls =
      Math.abs(f.nullShare.current - f.nullShare.reference) >= 0.05
        ? `; nulls ${formatDelta((f.nullShare.current - f.nullShare.reference) * 100, 2)} pts`
        : '';
    const mark = quality.has(f.name) ? ' (data-quality finding above)' : '';
    return `- ${plainQuote(f.name, NAME_MAX)}: ${describeMove(f, NAME_MAX)}${nulls} [${plainText(test?.label ?? f.test, LABEL_MAX)} ${pair.score}${unit} ${cmp} ${pair.threshold}${unit}]${mark}`;
  });
  if (drifted.length > limit && limit > 0) lines.push(`  (+${drifted.length - limit} more drifted in the report)`);
  return lines.length === 0 ? [] : ['Top drifted features (before → after):', ...lines];
}

function schemaLine(result: DriftResult): string[] {
  const s = result.schema;
  const parts = [
    ...s.missing.map((n) => `${plainQuote(n, NAME_MAX)} missing`),
    ...s.added.map((n) => `${plainQuote(n, NAME_MAX)} added`),
    ...s.retyped.map((t) => `${plainQuote(t.name, NAME_MAX)} ${plainText(t.reference, LABEL_MAX)} → ${plainText(t.current, LABEL_MAX)}`),
  ];
  return parts.length === 0 ? [] : [`Schema: ${parts.join('; ')}.`];
}

/** What the drift index is, said once where the notice shows it. */
const DRIFT_INDEX = "the drift index (the most drifted feature's severity; 1 = at its threshold)";

function forecastLine(input: NoticeInput): string[] {
  const f = input.forecast;
  if (f === null) return [];
  if (f.crossingAt !== null) {
    return [`Forecast: ${DRIFT_INDEX} crosses 1 around ${day(f.crossingAt)} (trend ${formatDelta(f.slopePerDay, 2)}/day over ${formatNumber(f.points)} checks).`];
  }
  if (input.result.driftIndex >= 1) {
    return [`Forecast: ${DRIFT_INDEX} is already past 1 (${formatNumber(input.result.driftIndex, 3)}).`];
  }
  return [`Forecast: ${DRIFT_INDEX} is not expected to reach 1 (trend ${formatDelta(f.slopePerDay, 2)}/day over ${formatNumber(f.points)} checks).`];
}

function linkLines(input: NoticeInput): string[] {
  // The links are ours (signed URLs), not data; anything that could split or hide one is dropped all the same.
  const clean = (url: string): string => url.replace(/\s+/g, '').replace(invisibleChars(), '');
  const l = input.links;
  return [
    LINKS_MARKER,
    ...(l.report === undefined ? [] : [`Report: ${clean(l.report)}`]),
    ...(l.approve === undefined ? [] : [`Approve retraining: ${clean(l.approve)}`]),
    ...(l.reject === undefined ? [] : [`Reject: ${clean(l.reject)}`]),
    ...(l.snooze === undefined ? [] : [`Snooze: ${clean(l.snooze)}`]),
    ...(l.lower === undefined ? [] : [`Lower the autonomy level: ${clean(l.lower)}`]),
  ];
}

/** The model's level, track record and next step (our words and counts; still put through the plain-text rule). */
function autonomyLines(input: Pick<NoticeInput, 'autonomy' | 'autoRetrained'>): string[] {
  const a = input.autonomy;
  const auto = input.autoRetrained === true ? ['Retrained automatically: this model earned the auto level, so the retrain was requested before this notice.'] : [];
  if (a === undefined) return auto;
  return [...auto, `Autonomy: level ${plainText(a.level, LABEL_MAX)}; record ${plainText(a.record, SENTENCE_MAX)}.`, `Next step: ${plainText(a.nextStep, SENTENCE_MAX)}`];
}

function closingLines(input: NoticeInput): string[] {
  const lines: string[] = [...autonomyLines(input)];
  if (input.autoRetrained === true) {
    lines.push(`Model ${plainText(input.modelId, LABEL_MAX)}, proposal ${plainText(input.proposalId, LABEL_MAX)}.`);
    return lines;
  }
  if (input.vetoAt !== undefined) lines.push(`Retraining starts at ${dayTime(input.vetoAt)} unless you reject.`);
  lines.push(
    `This proposal expires ${dayTime(input.expiresAt)} (model ${plainText(input.modelId, LABEL_MAX)}, proposal ${plainText(input.proposalId, LABEL_MAX)}).`,
  );
  return lines;
}

function compose(blocks: readonly (readonly string[])[]): string {
  return `${blocks
    .filter((b) => b.length > 0)
    .map((b) => b.join('\n'))
    .join('\n\n')}\n`;
}

/**
 * Render the notice: its final subject (`noticeSubject`: the prefix, the model, the verdict and the deadline
 * in printable ASCII within 99 bytes) and a text of at most 2048 UTF-8 bytes that starts
 * with one plain sentence and ends with the links block; when too long it drops features beyond the top
 * few, then the forecast and schema lines, never the links.
 * @example
 * const { subject, text } = renderNotice({ modelId, proposalId, result, forecast, links, expiresAt, retrainBy });
 */
export function renderNotice(input: NoticeInput): RenderedNotice {
  const r = input.result;
  // One deadline per notice (the subject's "decide by"): the forecast's retrain-by day is in the report.
  const first = [...(input.lead ? [plainText(input.lead.sentence, SENTENCE_MAX)] : []), headline(r), overview(r, NAME_MAX)];
  const links = linkLines(input);
  const closing = closingLines(input);
  const drifted = r.features.filter((f) => f.drift).length;
  const incidents = r.incidents.length;
  const candidates: string[] = [];
  // Shortest last: fewer features, then fewer findings, then no schema or forecast line; never the links.
  for (let k = Math.min(5, drifted); k >= Math.min(3, drifted); k--) {
    candidates.push(compose([first, incidentLines(r, 5), featureLines(r, k), schemaLine(r), forecastLine(input), closing, links]));
  }
  for (let k = Math.min(3, drifted); k >= 0; k--) {
    for (const i of [Math.min(5, incidents), Math.min(1, incidents)]) candidates.push(compose([first, incidentLines(r, i), featureLines(r, k), closing, links]));
  }
  const text = candidates.find((t) => utf8Bytes(t) <= NOTICE_MAX_BYTES);
  if (text === undefined) {
    const minimal = candidates[candidates.length - 1];
    throw new ConfigError(
      `notice for ${input.modelId}`,
      `the links and the first sentence alone take ${utf8Bytes(minimal)} bytes, more than the ${NOTICE_MAX_BYTES}-byte limit; use shorter links`,
    );
  }
  return { subject: subjectOf(input), text };
}

/** The fixed line that opens an owner notice's link block: nothing from data comes after it. */
export const OWNER_LINKS_MARKER = 'Owner links (each opens a confirmation page first; the links below this line are the only ones from driftgate):';

/** What an owner notice (a level change, an offer, a suggested config change) is made of. */
export interface OwnerNoticeInput {
  readonly modelId: string;
  readonly subjectPrefix?: string;
  readonly kind: 'level' | 'offer' | 'suggestion';
  readonly from?: string;
  readonly to?: string;
  /** Our sentence of why (it may quote a feature name). */
  readonly why: string;
  readonly view: { readonly level: string; readonly record: string; readonly nextStep: string };
  readonly offer?: { readonly level: string; readonly expiresAt: string } | null;
  readonly suggestion?: {
    readonly feature: string;
    readonly test: string;
    readonly from: number;
    readonly to: number;
    readonly verdicts: readonly string[];
    readonly reasons: readonly string[];
    readonly expiresAt: string;
    /** Set for an exemption: the recurring UTC window (the thresholds stay as they are). */
    readonly window?: ExemptWindow;
  } | null;
  /** The signed link that accepts the offer or the suggestion. */
  readonly acceptLink?: string;
  /** A signed link to lower the level. */
  readonly lowerLink?: string;
}

const LEVEL_MEANING: Readonly<Record<string, string>> = {
  manual: 'only an approval retrains',
  veto: 'a retrain starts after a delivered notice unless someone rejects it',
  auto: 'driftgate retrains, then notifies',
};

/**
 * Render an owner notice: what changed or is offered, why, the level and track record, then the links
 * block (accept, lower) after a fixed marker line.
 * @example
 * const { subject, text } = renderOwnerNotice({ modelId: 'fraud', kind: 'offer', from: 'manual', to: 'veto', why, view, acceptLink });
 */
export function renderOwnerNotice(input: OwnerNoticeInput): RenderedNotice {
  const model = plainText(input.modelId, LABEL_MAX);
  const from = plainText(input.from ?? '', LABEL_MAX);
  const to = plainText(input.to ?? '', LABEL_MAX);
  const meaning = (level: string): string => LEVEL_MEANING[level] ?? '';
  const s = input.suggestion;
  const first =
    input.kind === 'level'
      ? [`Autonomy of model ${model} changed: ${from} -> ${to} (${meaning(input.to ?? '')}).`, `Why: ${plainText(input.why, SENTENCE_MAX)}`]
      : input.kind === 'offer'
        ? [
            `Model ${model} earned an offer to move up from ${from} to ${to} (${meaning(input.to ?? '')}).`,
            `Why: ${plainText(input.why, SENTENCE_MAX)}`,
            `Nothing changes unless the owner accepts${input.offer ? `, by ${dayTime(input.offer.expiresAt)}` : ''}.`,
          ]
        : s
          ? [
              `driftgate suggests a config change for model ${model}; nothing changes unless the owner accepts${` (by ${dayTime(s.expiresAt)})`}.`,
              s.window !== undefined
                ? `Change: exempt ${plainQuote(s.feature, NAME_MAX)} ${windowText(s.window)}: its drift there is still reported but drives no retrain proposal.`
                : `Change: the ${plainText(s.test, LABEL_MAX)} threshold of ${plainQuote(s.feature, NAME_MAX)} from ${formatNumber(s.from, 4)} to ${formatNumber(s.to, 4)}.`,
              `Why: ${plainText(input.why, SENTENCE_MAX)}`,
              `Evidence: rejected proposals ${s.verdicts.map((v) => plainText(v, LABEL_MAX)).join(', ')} (${s.reasons.map((r) => plainText(r, LABEL_MAX)).join(', ')}).`,
              'Accepting writes a new config version; the current one stays readable.',
            ]
          : [`A suggested config change for model ${model} is no longer open.`];
  const view = [`Autonomy: level ${plainText(input.view.level, LABEL_MAX)}; record ${plainText(input.view.record, SENTENCE_MAX)}.`, `Next step: ${plainText(input.view.nextStep, SENTENCE_MAX)}`];
  const clean = (url: string): string => url.replace(/\s+/g, '').replace(invisibleChars(), '');
  const links = [
    ...(input.acceptLink ? [`${input.kind === 'suggestion' ? 'Accept the config change' : 'Accept the offer'}: ${clean(input.acceptLink)}`] : []),
    ...(input.lowerLink ? [`Lower the autonomy level: ${clean(input.lowerLink)}`] : []),
  ];
  const text = compose([first, view, links.length > 0 ? [OWNER_LINKS_MARKER, ...links] : []]);
  const verdict = input.kind === 'level' ? `autonomy now ${input.to ?? ''}` : input.kind === 'offer' ? `offer: move up to ${input.to ?? ''}` : 'suggested config change';
  const deadline = input.kind === 'offer' && input.offer ? `accept by ${formatUtcDay(input.offer.expiresAt)}` : input.kind === 'suggestion' && s ? `accept by ${formatUtcDay(s.expiresAt)}` : 'no action needed';
  return { subject: noticeSubject({ prefix: input.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX, modelId: input.modelId, verdict, deadline }), text };
}
