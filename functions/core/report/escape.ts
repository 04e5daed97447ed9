/**
 * HTML escaping for every string that comes from data (column names, category values, ids, URLs).
 * One function for text and attribute values: it escapes the five characters that matter in both.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape a string for HTML text or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * Return the URL escaped for an href when it is http(s), file: (the CLI's local reports) or relative;
 * any other scheme (javascript:, data:, vbscript:) becomes "#".
 */
export function safeHref(url: string): string {
  const trimmed = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed);
  if (scheme !== null && !['http', 'https', 'file'].includes(scheme[1].toLowerCase())) return '#';
  return escapeHtml(trimmed);
}
