/**
 * The shared HTML shell: doctype, strict CSP, inline styles (no external fonts, styles or images).
 */
import { escapeHtml } from './escape.js';

/** CSP for the report: nothing loads, only inline styles and data: images are allowed. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** CSP for the decision pages: as the report, plus a form that may post only to its own origin. */
export const DECISION_CSP = `${REPORT_CSP}; form-action 'self'`;

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1f24; margin: 0; background: #f6f7f9; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #d5d9df; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
p { margin: 6px 0; }
.meta { color: #555; font-size: 13px; }
.card { background: #fff; border: 1px solid #d5d9df; border-radius: 6px; padding: 14px 16px; margin: 12px 0; }
.verdict { border-left: 6px solid #1f3b63; }
.verdict.drift { border-left-color: #b3411f; }
.verdict.data-quality { border-left-color: #7c2d92; }
.verdict.watch { border-left-color: #a16207; }
.badge { display: inline-block; font-weight: 700; font-size: 13px; letter-spacing: .04em; padding: 2px 8px; border-radius: 3px; border: 1.5px solid currentColor; }
.badge.drift { color: #9a3412; }
.badge.no-drift { color: #1f3b63; }
.badge.insufficient-data { color: #555; border-style: dashed; }
.badge.data-quality { color: #7c2d92; }
.badge.watch { color: #854d0e; }
.badge.none { color: #1f3b63; }
.feature.quality { border-left: 6px solid #7c2d92; }
.big { font-size: 20px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0; background: #fff; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #d5d9df; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.drifted td:first-child { font-weight: 700; }
.feature { background: #fff; border: 1px solid #d5d9df; border-radius: 6px; padding: 14px 16px; margin: 16px 0; }
.feature.drifted { border-left: 6px solid #b3411f; }
.explanation { font-style: italic; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; align-items: start; }
@media (max-width: 760px) { .grid2 { grid-template-columns: 1fr; } }
svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; font-family: inherit; }
svg.chart text { font-size: 11px; fill: #333; }
svg.chart .legend { font-size: 11.5px; fill: #1b1f24; }
svg.chart .empty { font-size: 14px; fill: #555; }
svg.chart .grid { stroke: #e4e7eb; stroke-width: 1; }
svg.chart .baseline, svg.chart .tick { stroke: #555; stroke-width: 1; }
svg.chart .cat-label.new { font-weight: 700; fill: #9a3412; }
svg.chart .tail { font-style: italic; fill: #555; }
.new-tag { font-weight: 700; color: #9a3412; }
ul.links { padding-left: 20px; }
form { margin-top: 14px; }
button { font: inherit; font-weight: 600; padding: 8px 18px; border-radius: 4px; border: 1.5px solid #1f3b63; background: #1f3b63; color: #fff; cursor: pointer; }
button.reject { background: #9a3412; border-color: #9a3412; }
.error { border-left: 6px solid #9a3412; background: #fff5f2; }
/* Narrow screens: tables scroll inside their box, long names break, secondary columns go. */
.table-wrap { overflow-x: auto; max-width: 100%; }
td, th, h1, h3, p, li, summary { overflow-wrap: anywhere; }
td.dist { padding: 2px 6px; }
svg.mini { display: block; }
details#rule { margin-top: 8px; }
@media (max-width: 600px) { main { padding: 16px 10px 32px; } .opt { display: none; } h1 { font-size: 20px; } .big { font-size: 17px; } }
code { font-size: 13px; background: #eef1f5; padding: 0 3px; border-radius: 3px; }
/* Data shown inline (a name, an id) is its own bidi run: right-to-left letters in it cannot move the words around it. */
code, strong, bdi, .feature-name, svg.chart text { unicode-bidi: isolate; }
`;

/** Wrap a body in the self-contained page shell with the given CSP. */
export function renderPage(title: string, body: string, csp: string = REPORT_CSP): string {
  return (
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    // The policy is our constant; only '"' could break the attribute, and its quotes must stay readable.
    `<meta http-equiv="Content-Security-Policy" content="${csp.replace(/["<>&]/g, '')}">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="referrer" content="no-referrer">\n` +
    `<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`
  );
}
