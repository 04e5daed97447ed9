/**
 * The notice subject, owned here alone: SNS accepts only printable ASCII shorter than 100 characters, and
 * whatever has to give way, the verdict and the deadline must be read in full in an inbox list.
 */

/** SNS requires a subject shorter than 100 characters, all printable ASCII (so 99 bytes). */
export const NOTICE_SUBJECT_MAX_BYTES = 99;

/** The subject prefix when the model configures none. */
export const DEFAULT_SUBJECT_PREFIX = '[driftgate]';

const ELLIPSIS = '...';

/** Letters NFKD does not decompose into ASCII. */
const LETTERS: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ð: 'd', Ð: 'D', þ: 'th', Þ: 'Th', ı: 'i',
};

/** Symbols the core's sentences use, in ASCII. */
const SYMBOLS: Readonly<Record<string, string>> = {
  '—': '-', '–': '-', '−': '-', '‘': "'", '’': "'", '“': '"', '”': '"', '→': '->', '←': '<-', '≥': '>=', '≤': '<=', '×': 'x', '÷': '/',
};

/**
 * Printable ASCII for an SNS subject: accents stripped ("modèle" -> "modele"), a few letters and symbols
 * spelled out, whitespace and control characters as one space, anything else as "?".
 */
export function toSubjectAscii(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]/gu, (c) => LETTERS[c] ?? SYMBOLS[c] ?? (/\s|\p{Cc}/u.test(c) ? ' ' : '?'))
      .replace(/ {2,}/g, ' ')
      .trim()
  );
}

/** Shorten ASCII text to at most `max` characters with a trailing "...", keeping a closing bracket (a "[tag]" prefix stays a tag). */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const close = text.endsWith(']') ? ']' : '';
  const keep = max - ELLIPSIS.length - close.length;
  return keep >= 1 ? `${text.slice(0, keep).trimEnd()}${ELLIPSIS}${close}` : '';
}

/** What a subject says. */
export interface SubjectParts {
  /** The configured prefix, e.g. "[driftgate production]". */
  readonly prefix: string;
  readonly modelId: string;
  /** The verdict, e.g. "drift in 4 of 12 features": never shortened. */
  readonly verdict: string;
  /** The deadline, e.g. "decide by Sun 29 Nov 2026": never shortened. */
  readonly deadline: string;
}

/** Shortest model id kept before the prefix is shortened (enough to tell models apart in a list). */
const MODEL_MIN = 16;

/**
 * The notice subject "<prefix> <model>: <verdict> - <deadline>" in printable ASCII within `budget` bytes:
 * the model id is shortened first (to MODEL_MIN characters, with "..."), then the prefix, then the rest of
 * the model id; the verdict and the deadline always survive whole (only a budget too small even for them
 * cuts their end).
 * @example
 * noticeSubject({ prefix: '[driftgate production]', modelId, verdict: 'drift in 4 of 12 features', deadline: 'decide by Mon 30 Nov 2026' });
 */
export function noticeSubject(parts: SubjectParts, budget = NOTICE_SUBJECT_MAX_BYTES): string {
  const prefix = toSubjectAscii(parts.prefix);
  const model = toSubjectAscii(parts.modelId);
  const tail = `${toSubjectAscii(parts.verdict)} - ${toSubjectAscii(parts.deadline)}`;
  const compose = (p: string, m: string): string => `${p === '' ? '' : `${p} `}${m === '' ? '' : `${m}: `}${tail}`;
  // Every character is ASCII by now, so its length is its byte count.
  const over = (p: string, m: string): number => compose(p, m).length - budget;
  let m = model;
  let p = prefix;
  if (over(p, m) > 0) m = shorten(model, Math.max(MODEL_MIN, m.length - over(p, m)));
  if (over(p, m) > 0) p = shorten(prefix, p.length - over(p, m));
  if (over(p, m) > 0) m = shorten(model, m.length - over(p, m));
  const subject = compose(p, m);
  return subject.length <= budget ? subject : shorten(subject, budget);
}
