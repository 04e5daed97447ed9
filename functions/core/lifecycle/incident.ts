/**
 * Data-quality incidents (pure): a broken pipeline (a missing or retyped column, a null surge, …) is not
 * drift, and retraining on it would teach the model the breakage. A check whose action is `data-quality`
 * opens the model's incident (or keeps it open); while it is open no retrain proposal opens; the first
 * clean check closes it. Each incident is notified once, by the gate, through a claim in the state.
 */
import { z } from 'zod';
import { isoTimeSchema } from '../report/types.js';

/** The model's open data-quality incident (`state.incident`). */
export const incidentSchema = z.object({
  /** `dq-<checkId of the check that opened it>`. */
  incidentId: z.string(),
  openedAt: isoTimeSchema,
  /** The check that opened it, and the last check that still saw it. */
  checkId: z.string(),
  lastCheckId: z.string(),
  lastSeenAt: isoTimeSchema,
  /** The last check's one-sentence reason (what to fix). */
  reason: z.string(),
  /** The kinds of finding (missing-column, null-surge, …) the last check saw. */
  kinds: z.array(z.string()),
  /** Proof of delivery of its one notice. */
  notice: z.object({ messageId: z.string(), sentAt: isoTimeSchema }).nullable(),
  /** A sender holds the right to send it (a lease, like a proposal's notice claim). */
  noticeClaim: z.object({ at: isoTimeSchema }).nullable(),
});
export type Incident = z.infer<typeof incidentSchema>;

/** What a check found, as far as incidents are concerned. */
export interface QualityFinding {
  readonly dataQuality: boolean;
  readonly reason: string;
  readonly kinds: readonly string[];
}

/** The incident after a check: kept or opened on a data-quality finding, closed on a clean one. */
export function nextIncident(
  current: Incident | null,
  finding: QualityFinding,
  check: { readonly checkId: string; readonly at: string },
): { readonly incident: Incident | null; readonly opened: Incident | null; readonly closed: Incident | null } {
  if (!finding.dataQuality) return { incident: null, opened: null, closed: current };
  const seen = { lastCheckId: check.checkId, lastSeenAt: check.at, reason: finding.reason, kinds: [...finding.kinds] };
  if (current !== null) return { incident: { ...current, ...seen }, opened: null, closed: null };
  const opened: Incident = { incidentId: `dq-${check.checkId}`, openedAt: check.at, checkId: check.checkId, ...seen, notice: null, noticeClaim: null };
  return { incident: opened, opened, closed: null };
}

/** The incident with this caller's notice claim, or null when it is delivered or another sender holds the lease. */
export function claimIncidentNotice(incident: Incident | null, at: string, leaseSeconds: number): Incident | null {
  if (incident === null || incident.notice !== null) return null;
  if (incident.noticeClaim !== null && Date.parse(at) - Date.parse(incident.noticeClaim.at) < leaseSeconds * 1000) return null;
  return { ...incident, noticeClaim: { at } };
}
