/**
 * `driftgate adopt`'s retrain-outcome flags → the manifest's outcome fields, each checked by the manifest's
 * own zod field (core/lifecycle/adoption.ts), so the CLI and an uploaded manifest accept the same values.
 * A bad value is a UsageError naming the flag; a bad learning-curve file an InvalidInputError naming the file.
 */
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { type RetrainOutcomeFields, adoptionManifestSchema } from '../core/lifecycle/adoption.js';
import { UsageError } from './args.js';

/** The outcome flags as typed (strings), before validation. */
export interface AdoptOutcomeFlags {
  readonly validationScore?: string;
  readonly previousScore?: string;
  readonly metric?: string;
  readonly metricDirection?: string;
  /** A .json file (an array of { rows, score }, or { "learningCurve": [...] }) or a .csv file (rows,score per line). */
  readonly learningCurve?: string;
  readonly status?: string;
}

const shape = adoptionManifestSchema.shape;
const metricShape = shape.metric.unwrap().shape;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function checked<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${flag}: ${parsed.error.issues.map((i) => i.message).join('; ')}, got '${String(value)}'`, 'adopt');
  return parsed.data;
}

function numberFlag(text: string, flag: string): number {
  // Number('') is 0 and Number('0x10') is 16: only a plain decimal number counts.
  if (!NUMBER.test(text.trim())) throw new UsageError(`${flag}: expected a number such as 0.91, got '${text}'`, 'adopt');
  return Number(text);
}

/** The points of a learning-curve file, by its extension; problems name the file and line. */
export function parseLearningCurveText(file: string, text: string): unknown {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError(file, `--learning-curve: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    return json !== null && typeof json === 'object' && !Array.isArray(json) && 'learningCurve' in json ? (json as { learningCurve: unknown }).learningCurve : json;
  }
  if (lower.endsWith('.csv')) {
    const points: { rows: number; score: number }[] = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || (i === 0 && /^rows\s*,\s*score$/i.test(line))) return;
      const cells = line.split(',').map((c) => c.trim());
      if (cells.length !== 2 || !NUMBER.test(cells[0]) || !NUMBER.test(cells[1])) {
        throw new InvalidInputError(file, `--learning-curve: line ${i + 1}: expected "rows,score" (two numbers), got '${line}'`);
      }
      points.push({ rows: Number(cells[0]), score: Number(cells[1]) });
    });
    return points;
  }
  throw new InvalidInputError(file, '--learning-curve: expected a .json or .csv file');
}

/**
 * The manifest's outcome fields from the flags (only those given), validated by the manifest's schema.
 * @example
 * const outcome = await outcomeFieldsFromFlags({ validationScore: '0.91', status: 'adopted' }, (f) => readFile(f, 'utf8'));
 */
export async function outcomeFieldsFromFlags(flags: AdoptOutcomeFlags, readText: (file: string) => Promise<string>): Promise<RetrainOutcomeFields> {
  const out: { -readonly [K in keyof RetrainOutcomeFields]: RetrainOutcomeFields[K] } = {};
  if (flags.validationScore !== undefined) out.validationScore = checked(shape.validationScore.unwrap(), numberFlag(flags.validationScore, '--validation-score'), '--validation-score');
  if (flags.previousScore !== undefined) out.previousScore = checked(shape.previousScore.unwrap(), numberFlag(flags.previousScore, '--previous-score'), '--previous-score');
  if ((flags.metric === undefined) !== (flags.metricDirection === undefined)) {
    throw new UsageError(flags.metric === undefined ? '--metric-direction needs --metric NAME' : '--metric needs --metric-direction higher-is-better|lower-is-better', 'adopt');
  }
  if (flags.metric !== undefined && flags.metricDirection !== undefined) {
    out.metric = { name: checked(metricShape.name, flags.metric, '--metric'), direction: checked(metricShape.direction, flags.metricDirection, '--metric-direction') };
  }
  if (flags.status !== undefined) out.status = checked(shape.status.unwrap(), flags.status, '--status');
  if (flags.learningCurve !== undefined) {
    const file = flags.learningCurve;
    const text = await readText(file);
    const parsed = shape.learningCurve.unwrap().safeParse(parseLearningCurveText(file, text));
    if (!parsed.success) throw new InvalidInputError(file, `--learning-curve: invalid learning curve: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
    out.learningCurve = parsed.data;
  }
  return out;
}
