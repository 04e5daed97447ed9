import { z } from 'zod';
import { type DriftResult, driftResultSchema } from '../core/drift/types.js';
import { InvalidInputError } from '../core/errors.js';
import { reportJsonSchema, upgradeDriftResult } from '../core/report/report-json.js';
import { CLI_MODEL } from '../core/report/html-report.js';
import type { ReportInput } from '../core/report/types.js';

/** The CLI's report inputs: a check result wrapped for the HTML report, or a stored JSON read back. */

/** The ReportInput of a CLI check: model CLI_MODEL ("cli"), no history, cadence or forecast. */
export function cliReportInput(result: DriftResult, now: Date): ReportInput {
  const generatedAt = now.toISOString();
  return { modelId: CLI_MODEL, checkId: `cli-${generatedAt.replace(/[-:.]/g, '')}`, generatedAt, result, history: [], cadence: [], forecast: null };
}

/** A stored report (ReportInput) as is, or a plain DriftResult (`check --json`) wrapped as model "cli". */
export function reportInputOf(input: unknown, file: string, now: Date): ReportInput {
  // The one contract: a stored report parses with the report schema (older versions upgraded), a bare
  // result with the drift-result schema; no loose copy of either.
  const refuse = (error: z.ZodError): never => {
    throw new InvalidInputError(file, `expected a stored report (reports/<model>/<id>.json) or a 'driftgate check --json' result:\n${z.prettifyError(error)}`, { cause: error });
  };
  if (typeof input === 'object' && input !== null && 'result' in input) {
    const stored = reportJsonSchema.safeParse(input);
    if (!stored.success) return refuse(stored.error);
    const { schemaVersion: _version, ...report } = stored.data;
    return report;
  }
  const bare = driftResultSchema.safeParse(upgradeDriftResult(input));
  if (!bare.success) return refuse(bare.error);
  return cliReportInput(bare.data, now);
}
