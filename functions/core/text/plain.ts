/**
 * THE plain-text rule: how a string that comes from data (a column name, a category value, a type label, a
 * stored sentence) is written into text a person reads as plain text — the notice body, the CLI's table and
 * lines on a terminal. The HTML rule (report/escape.ts) and the SNS subject rule (report/notice-subject.ts
 * `toSubjectAscii`) are the other two media; each has one file.
 *
 * What the rule guarantees for its output:
 * - one line: no character that breaks, hides or reorders text survives. C0/C1 controls, DEL, ESC and BEL
 *   (`\p{Cc}`), format characters (`\p{Cf}`: the bidi embeddings, overrides and isolates U+202A–202E and
 *   U+2066–2069, the marks U+200E/F and U+061C, zero-width space/joiners, word joiner, BOM, soft hyphen, tag
 *   characters), the line and paragraph separators U+2028/2029, lone surrogates and the other
 *   default-ignorable code points (Hangul fillers) are each shown as a visible escape such as `\u{202e}`;
 * - no link: a URL-looking token (one with `://` or `http(s):`, starting `www.`, a dotted host followed by `/`, or a path
 *   with a query) is defanged the way security notices do (`hxxps[:]//evil[.]example/decide[?]token=x`),
 *   so no mail client turns data into something to click and no data reads like a driftgate link;
 * - bounded: at most `max` characters, cut with "…" (never inside an escape);
 * - a quoted value (`plainQuote`) is unambiguous: `\` and `'` inside it are escaped, so data cannot close
 *   the quote and continue the sentence.
 * Neither entry point can make text start a line: both only ever return one line, and callers put a fixed
 * prefix before it.
 */

/**
 * Characters that break, hide or reorder text: controls, format characters, line/paragraph separators, lone
 * surrogates and the other default-ignorable code points (Hangul fillers, U+034F…), except the variation
 * selectors, which only pick an emoji's presentation (❤️).
 */
const INVISIBLE = /(?![\u{fe00}-\u{fe0f}\u{e0100}-\u{e01ef}])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;

/** A fresh global regex matching one character the text rules never let through raw (for callers that escape it their own way, e.g. JSON). */
export function invisibleChars(): RegExp {
  return new RegExp(INVISIBLE.source, 'gu');
}

/** The visible stand-in of one invisible character, e.g. `\u{202e}`. */
function escapeOf(c: string): string {
  return `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;
}

/**
 * Show every character that breaks, hides or reorders text as a visible escape (`\u{1b}`, `\u{202e}`, `\u{2028}`).
 * The first step of the plain and HTML rules; used alone only for the CLI's own messages, which keep their
 * URLs (an endpoint) and line breaks.
 * @example
 * showInvisible('a\u202eb'); // 'a\\u{202e}b'
 */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, escapeOf);
}

/** A whitespace-separated token that a mail client or a reader could take for a link. */
const LINK_LIKE = /:\/\/|https?:|www\d*\.|[a-z0-9-]\.[a-z][a-z0-9-]*(?::\d+)?\/|\/\S*\?/i;

/** Defang one link-like token; idempotent (an already defanged token is left as it is). */
function defangToken(token: string): string {
  // An already bracketed "[.]" is one unit, kept as it is; a bare ":" before "//", "." or "?" gets its brackets.
  return token.replace(/\[[:.?]\]|:(?=\/\/)|[.?]/g, (m) => (m.length === 3 ? m : `[${m}]`)).replace(/(h)tt(ps?)(?=:|\[:\])/gi, '$1xx$2');
}

function defang(text: string): string {
  return text.replace(/\S+/g, (token) => (LINK_LIKE.test(token) ? defangToken(token) : token));
}

/** The units a cut may not split: an escape `\u{…}` or `\x`, a defang bracket `[.]`, or one code point. */
const UNITS = /\\u\{[0-9a-f]+\}|\\.|\[[:.?]\]|[\s\S]/gu;

function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const unit of text.match(UNITS) ?? []) {
    // Count UTF-16 units as width: an astral emoji counts 2, an escape its length.
    if (out.length + unit.length > max - 1) break;
    out += unit;
  }
  return `${out}…`;
}

/** Longest text the rule writes when the caller gives no limit: a terminal line or two. */
export const PLAIN_DEFAULT_MAX = 200;

/**
 * A data string as bare plain text (no quotes): one line, invisible characters shown as escapes, links
 * defanged, at most `max` characters. Use it for labels (a type, a test name, an id) and for stored
 * sentences that already quote their data (an explanation, a summary); it is idempotent.
 * @example
 * `Rule: ${plainText(result.rule.description, 400)}`
 */
export function plainText(text: string, max = PLAIN_DEFAULT_MAX): string {
  return cap(defang(showInvisible(text)), Math.max(1, max));
}

/**
 * A data value quoted for prose, e.g. `'delay'`: as `plainText`, with `\` and `'` escaped so the value cannot
 * close its quote; at most `max` characters between the quotes.
 * @example
 * `- ${plainQuote(feature.name, 48)}: ${move}`
 */
export function plainQuote(value: string, max = PLAIN_DEFAULT_MAX): string {
  const escaped = defang(showInvisible(value.replace(/\\/g, '\\\\')).replace(/'/g, "\\'"));
  return `'${cap(escaped, Math.max(1, max))}'`;
}
