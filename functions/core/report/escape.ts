/**
 * THE HTML rule: every string that comes from data (column names, category values, type labels, ids, stored
 * sentences, URLs) goes into the report and the decision pages through `escapeHtml`, in text and in quoted
 * attribute values alike. It escapes the five characters that matter in both and, as the plain-text rule
 * does (core/text/plain.ts `showInvisible`), shows every control, bidi, zero-width and line-separator
 * character as a visible `\u{…}`: no data can reorder the page's own words (an RLO turning "reject" into
 * "tcejer"), hide text or forge a line. Inline data containers are bidi-isolated by the page's CSS (page.ts)
 * so right-to-left letters in a name do not move the words around it.
 */
import { invisibleChars, showInvisible } from '../text/plain.js';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape a string for HTML text or a quoted attribute value; invisible and bidi-control characters become visible `\u{…}`. */
export function escapeHtml(value: string): string {
  return showInvisible(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * Return the URL escaped for an href when it is http(s), file: (the CLI's local reports) or relative;
 * any other scheme (javascript:, data:, vbscript:) becomes "#", and so does a URL with whitespace or an
 * invisible character inside (browsers drop tabs and newlines, so `java\nscript:` would otherwise pass).
 */
export function safeHref(url: string): string {
  const trimmed = url.trim();
  if (/\s/.test(trimmed) || invisibleChars().test(trimmed)) return '#';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed);
  if (scheme !== null && !['http', 'https', 'file'].includes(scheme[1].toLowerCase())) return '#';
  return escapeHtml(trimmed);
}
