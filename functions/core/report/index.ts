/** The report module's public API: the HTML report, its stored JSON, the notice and the decision pages. */
export { renderHtmlReport } from './html-report.js';
export { renderReportJson, parseReportJson, reportJsonSchema, stableJson, upgradeDriftResult, REPORT_JSON_SCHEMA_VERSION } from './report-json.js';
export { renderNotice, utf8Bytes, LINKS_MARKER, NOTICE_MAX_BYTES } from './notice.js';
export { noticeSubject, toSubjectAscii, NOTICE_SUBJECT_MAX_BYTES, DEFAULT_SUBJECT_PREFIX } from './notice-subject.js';
export type { SubjectParts } from './notice-subject.js';
export { renderDecisionPage, renderDecisionResult } from './decision-page.js';
export { ACTION_BADGE, actionBody, headline, overview, describeMove, incidentFeatures } from './summary.js';
export { rankFeatures } from '../drift/rank.js';
export { REPORT_CSP, DECISION_CSP } from './page.js';
export * from './types.js';
