/**
 * The notice of a data-quality incident: it tells the data owner to fix the pipeline, not to retrain.
 * It carries no decision link (there is nothing to approve); the report link, when there is one, comes
 * last, after a fixed line, as in the retrain notice.
 */
import type { Incident } from '../lifecycle/incident.js';
import { plainText } from '../text/plain.js';
import { formatUtcDateTime } from '../format.js';
import { noticeSubject } from './notice-subject.js';
import type { RenderedNotice } from './types.js';

/** The fixed line before the report link: nothing from the data comes after it. */
export const INCIDENT_LINK_MARKER = 'Report (the link below this line is the only one from driftgate):';

/**
 * Render the incident notice.
 * @example
 * const { subject, text } = renderIncidentNotice({ modelId: 'fraud', incident, subjectPrefix: '[driftgate]' });
 */
export function renderIncidentNotice(input: { readonly modelId: string; readonly incident: Incident; readonly subjectPrefix: string; readonly reportLink?: string }): RenderedNotice {
  const { incident } = input;
  const lines = [
    plainText(incident.reason, 600),
    '',
    'Fix the pipeline that feeds this model. No retrain is proposed while this incident is open; it closes by itself when a clean batch arrives.',
    `Findings: ${incident.kinds.map((k) => plainText(k, 40)).join(', ') || 'see the report'}.`,
    `Seen first ${formatUtcDateTime(incident.openedAt)}, last ${formatUtcDateTime(incident.lastSeenAt)} (model ${plainText(input.modelId, 64)}, incident ${plainText(incident.incidentId, 80)}).`,
    ...(input.reportLink ? ['', INCIDENT_LINK_MARKER, input.reportLink.replace(/\s+/g, '')] : []),
  ];
  const subject = noticeSubject({ prefix: input.subjectPrefix, modelId: input.modelId, verdict: 'data-quality incident', deadline: 'fix the pipeline' });
  return { subject, text: `${lines.join('\n')}\n` };
}
