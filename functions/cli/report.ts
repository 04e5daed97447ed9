import { z } from 'zod';
import type { DriftResult } from '../core/drift/types.js';
import { InvalidInputError } from '../core/errors.js';
import type { ReportInput } from '../core/report/types.js';

/** The CLI's report inputs: a check result wrapped for the HTML report, or a stored JSON read back. */

/** The ReportInput of a CLI check: model "cli", no history, cadence or forecast. */
export function cliReportInput(result: DriftResult, now: Date): ReportInput {
  const generatedAt = now.toISOString();
  return { modelId: 'cli', checkId: `cli-${generatedAt.replace(/[-:.]/g, '')}`, generatedAt, result, history: [], cadence: [], forecast: null };
}

// A structural check, enough to tell a drift result from any other JSON before rendering it; the shapes are
// the contracts in functions/core/drift/types.ts and functions/core/report/types.ts.
const driftResultShape = z.looseObject({
  schemaVersion: z.literal(1),
  drift: z.boolean(),
  verdict: z.enum(['drift', 'no-drift', 'insufficient-data']),
  rule: z.looseObject({ kind: z.string(), description: z.string() }),
  features: z.array(
    z.looseObject({
      name: z.string(),
      kind: z.enum(['numeric', 'categorical']),
      drift: z.boolean(),
      test: z.string(),
      score: z.number(),
      threshold: z.number(),
      metrics: z.record(z.string(), z.number()),
      nullShare: z.looseObject({ reference: z.number(), current: z.number() }),
    }),
  ),
  schema: z.looseObject({ missing: z.array(z.string()), added: z.array(z.string()), retyped: z.array(z.unknown()) }),
  time: z.array(z.unknown()),
  rowCount: z.looseObject({ reference: z.number(), current: z.number() }),
  summary: z.string(),
  score: z.number(),
  driftIndex: z.number(),
});

const reportInputShape = z.looseObject({
  modelId: z.string(),
  checkId: z.string(),
  generatedAt: z.string(),
  result: driftResultShape,
  history: z.array(z.unknown()),
  cadence: z.array(z.unknown()),
  forecast: z.unknown(),
});

/** A stored report (ReportInput) as is, or a plain DriftResult (`check --json`) wrapped as model "cli". */
export function reportInputOf(input: unknown, file: string, now: Date): ReportInput {
  const isObject = typeof input === 'object' && input !== null;
  const wrapped = isObject && 'result' in input;
  const parsed = (wrapped ? reportInputShape : driftResultShape).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new InvalidInputError(
      file,
      `expected a stored report (reports/<model>/<id>.json) or a 'driftgate check --json' result: ${issue.message}${where}`,
    );
  }
  // The shapes above were checked; the deeper fields are the renderer's to read.
  return wrapped ? (input as ReportInput) : cliReportInput(input as DriftResult, now);
}
