import type { ColumnBatch, ColumnChunk, ColumnField, ColumnRole } from '../columns.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import { CategoricalAccumulator, DEFAULT_TOP_K } from './categorical.js';
import { type CentreFrame, DEFAULT_HISTOGRAM_BINS, NumericAccumulator } from './numeric.js';
import { DEFAULT_RELATIVE_ACCURACY, sketchMapping } from './sketch.js';
import { SliceAccumulator, type SliceOptions } from './slices.js';
import { TimeAccumulator } from './time.js';
import type { ColumnSignature, DatasetSignature } from './types.js';

/** How a signature is built. */
export interface SignatureOptions {
  /** Per-column role overrides (e.g. integer codes as `categorical`); columns not in the schema are ignored. @default {} */
  readonly roles?: Readonly<Record<string, ColumnRole>>;
  /** The model's reference: its numeric histogram edges (and sketch accuracy) are reused so counts compare exactly. */
  readonly reference?: DatasetSignature;
  /** Entries kept in each categorical top list. @default 256 */
  readonly topK?: number;
  /** Histogram bins chosen when building a reference (no reference given). @default 20 */
  readonly histogramBins?: number;
  /** Relative accuracy α of the quantile sketch (a reference's own α wins for its columns). @default 0.005 */
  readonly relativeAccuracy?: number;
  /** Also keep one signature per top-K value of these columns (signature/slices.ts). @default none */
  readonly slices?: SliceOptions;
  /**
   * Centred frames of numeric columns the reference does not cover (null: keep no centred sketch), so that
   * partial signatures of one job share a frame and merge with their centred sketch (core/signature/plan.ts).
   * @default none: each signature chooses from its own first chunk
   */
  readonly frames?: Readonly<Record<string, CentreFrame | null>>;
}

/** The role a column gets unless `options.roles` overrides it. */
export function defaultRole(field: ColumnField): ColumnRole {
  switch (field.type) {
    case 'boolean':
    case 'string':
      return 'categorical';
    case 'int':
    case 'float':
    case 'decimal':
      return 'numeric';
    case 'date':
    case 'timestamp':
      return 'time';
    default:
      return 'ignored';
  }
}

type Accumulator =
  | { readonly role: 'numeric'; readonly acc: NumericAccumulator }
  | { readonly role: 'categorical'; readonly acc: CategoricalAccumulator }
  | { readonly role: 'time'; readonly acc: TimeAccumulator };

const OPTIONS_SOURCE = 'signature options';

function checkOptions(options: SignatureOptions): void {
  const problems: string[] = [];
  if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK >= 1)) {
    problems.push(`topK must be an integer >= 1, got ${options.topK}`);
  }
  if (options.histogramBins !== undefined && !(Number.isInteger(options.histogramBins) && options.histogramBins >= 2)) {
    problems.push(`histogramBins must be an integer >= 2, got ${options.histogramBins}`);
  }
  if (options.relativeAccuracy !== undefined && !(options.relativeAccuracy > 0 && options.relativeAccuracy < 1)) {
    problems.push(`relativeAccuracy must be in (0, 1), got ${options.relativeAccuracy}`);
  }
  if (problems.length > 0) throw new ConfigError(OPTIONS_SOURCE, problems.join('; '));
}

/** Whether a role can summarise a column of this type (strings and booleans are never numbers or times). */
/** One column's chunk of `rows` rows into its accumulator (whole batches and column parts alike). */
function accumulate(name: string, entry: Accumulator, chunk: ColumnChunk, rows: number): void {
  if (chunk.length !== rows) throw new InvalidInputError('<batch>', `column "${name}" has ${chunk.length} rows, expected ${rows}`);
  if (entry.role === 'categorical') entry.acc.add(chunk);
  else if (chunk.kind !== 'numeric') {
    throw new InvalidInputError('<batch>', `column "${name}" (${entry.role}) expected numeric values, got a ${chunk.kind} chunk`);
  } else entry.acc.add(chunk);
}

function roleFits(field: ColumnField, role: ColumnRole): boolean {
  if (field.type === 'other') return role === 'ignored';
  const categoricalSource = field.type === 'string' || field.type === 'boolean';
  return !(categoricalSource && (role === 'numeric' || role === 'time'));
}

function misfit(field: ColumnField, role: ColumnRole): ConfigError {
  return field.type === 'other'
    ? new ConfigError(OPTIONS_SOURCE, `roles.${field.name}: column type ${field.sourceType} is not supported, only ignored`)
    : new ConfigError(OPTIONS_SOURCE, `roles.${field.name}: a ${field.type} column can only be categorical or ignored, got ${role}`);
}

/**
 * The one signing rule, for the CLI and the Lambdas alike: a column's role is the configured role, else
 * the kind the reference summarised it as (when the column kept its type), else the default for its type. Building a reference, a role
 * that cannot fit the column is a configuration error. Signing a batch against a reference, a role that no
 * longer fits (a column retyped from int to string) is not applied: the column is signed by its type, and
 * compare reports it under `schema.retyped` instead of the batch failing.
 */
export function roleOf(field: ColumnField, options: Pick<SignatureOptions, 'roles' | 'reference'>): ColumnRole {
  const configured = options.roles !== undefined && Object.hasOwn(options.roles, field.name) ? options.roles[field.name] : undefined;
  // The reference's kind carries over only to a column of the same type; a retyped column is signed by its type.
  const refField = options.reference?.schema.find((f) => f.name === field.name);
  const sameType = refField !== undefined && refField.type === field.type;
  const refColumn = sameType && Object.hasOwn(options.reference?.columns ?? {}, field.name) ? options.reference?.columns[field.name] : undefined;
  const fromReference: ColumnRole | undefined = sameType ? (refColumn?.kind ?? 'ignored') : undefined;
  const candidates: (ColumnRole | undefined)[] = [configured, fromReference];
  for (const role of candidates) {
    if (role === undefined) continue;
    if (roleFits(field, role)) return role;
    if (options.reference === undefined) throw misfit(field, role);
  }
  return defaultRole(field);
}

/**
 * Streams batches of one file into a DatasetSignature, one pass, one accumulator per non-ignored column.
 * @example
 * const builder = new SignatureBuilder(schema, { reference });
 * for await (const batch of reader.batches(builder.columns)) builder.add(batch);
 * const sig = builder.finish([source.name]);
 */
export class SignatureBuilder {
  /** Column names to read: the non-ignored ones, in schema order. */
  readonly columns: readonly string[];
  private readonly schema: readonly ColumnField[];
  private readonly accumulators = new Map<string, Accumulator>();
  private rowCount = 0;
  private readonly slices: SliceAccumulator | undefined;
  /** Numeric columns taken from the slices' merge (signing a batch with slices). */
  private readonly derived = new Set<string>();
  /** Rows per column of the unit whose column parts are arriving (see addPart). */
  private readonly partRows = new Map<string, number>();

  constructor(schema: readonly ColumnField[], options: SignatureOptions = {}) {
    checkOptions(options);
    this.schema = schema;
    const names: string[] = [];
    for (const field of schema) {
      const role = roleOf(field, options);
      if (role === 'ignored') continue;
      if (this.accumulators.has(field.name)) {
        throw new InvalidInputError('<schema>', `column "${field.name}" appears twice in the schema`);
      }
      names.push(field.name);
      this.accumulators.set(field.name, this.accumulatorFor(field, role, options));
    }
    if (options.slices !== undefined && options.slices.columns.length > 0) {
      // A slice column is read even when it is not a feature; it is not a feature of its own slices.
      for (const c of options.slices.columns) if (!names.includes(c) && schema.some((f) => f.name === c)) names.push(c);
      const roles = { ...options.roles, ...Object.fromEntries(options.slices.columns.map((c) => [c, 'ignored' as const])) };
      const { slices, ...rest } = options;
      this.slices = new SliceAccumulator(schema, slices, { ...rest, roles });
      // Signing a batch, the slices add up to the whole batch exactly: its numeric columns come from their
      // merge instead of a second pass over every value (the per-slice cost is then mostly the row gather).
      if (this.slices.derivesWhole) {
        for (const [name, entry] of this.accumulators) if (entry.role === 'numeric') this.derived.add(name);
        for (const name of this.derived) this.accumulators.delete(name);
      }
    }
    this.columns = names;
  }

  private accumulatorFor(field: ColumnField, role: Exclude<ColumnRole, 'ignored'>, options: SignatureOptions): Accumulator {
    if (role === 'categorical') return { role, acc: new CategoricalAccumulator(field.type, options.topK ?? DEFAULT_TOP_K) };
    if (role === 'time') return { role, acc: new TimeAccumulator(field.type) };
    const ref = options.reference?.columns[field.name];
    const refNumeric = ref?.kind === 'numeric' ? ref : undefined;
    const relativeAccuracy = refNumeric?.sketch.relativeAccuracy ?? options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
    sketchMapping(relativeAccuracy);
    return {
      role,
      acc: new NumericAccumulator(field.type, {
        relativeAccuracy,
        edges: refNumeric?.histogram?.edges,
        bins: options.histogramBins ?? DEFAULT_HISTOGRAM_BINS,
        // Signing against a reference: its centred frame (or none); building one: chosen from the data.
        ...(refNumeric !== undefined ? { frame: refNumeric.centred === undefined ? null : { offset: refNumeric.centred.offset, scale: refNumeric.centred.scale } } : {}),
        // Building one in parts: the plan's shared frame.
        ...(refNumeric === undefined && options.frames !== undefined && Object.hasOwn(options.frames, field.name) ? { frame: options.frames[field.name] } : {}),
      }),
    };
  }

  /**
   * Whether `add` takes column parts (ColumnBatch.part): each column is accumulated on its own, so a unit
   * may arrive a column at a time; slices need whole rows, so a builder with slices does not.
   */
  get acceptsParts(): boolean {
    return this.slices === undefined;
  }

  /** The columns whose parts may come as counted chunks (ColumnBatch.counted): those summarised as numeric or categorical. */
  get countedColumns(): ReadonlySet<string> {
    return new Set([...this.accumulators].filter(([, entry]) => entry.role !== 'time').map(([name]) => name));
  }

  /** Accumulate one batch; throws InvalidInputError when a needed column is missing or has the wrong shape. */
  add(batch: ColumnBatch): void {
    if (batch.part !== undefined) {
      this.addPart(batch, batch.part.unitRows);
      return;
    }
    for (const [name, entry] of this.accumulators) {
      const chunk = batch.columns.get(name);
      if (chunk === undefined) throw new InvalidInputError('<batch>', `column "${name}" is missing from the batch`);
      accumulate(name, entry, chunk, batch.rowCount);
    }
    this.rowCount += batch.rowCount;
    this.slices?.add(batch);
  }

  /**
   * One column part of a unit: its columns are accumulated now (in the same order per column as whole
   * batches, so the signature is bit-identical); the part with `unitRows` closes the unit.
   */
  private addPart(batch: ColumnBatch, unitRows: number | undefined): void {
    if (!this.acceptsParts) throw new Error('SignatureBuilder: a builder with slices needs whole batches, not column parts');
    for (const [name, chunk] of batch.columns) {
      const entry = this.accumulators.get(name);
      if (entry === undefined) continue;
      accumulate(name, entry, chunk, batch.rowCount);
      this.partRows.set(name, (this.partRows.get(name) ?? 0) + batch.rowCount);
    }
    for (const [name, chunk] of batch.counted ?? []) {
      const entry = this.accumulators.get(name);
      if (entry === undefined) continue;
      if (chunk.length !== batch.rowCount) throw new InvalidInputError('<batch>', `column "${name}" has ${chunk.length} rows, expected ${batch.rowCount}`);
      if (entry.role === 'categorical') entry.acc.addCounted(chunk);
      else if (entry.role === 'numeric' && chunk.kind === 'counted') entry.acc.addCounted(chunk);
      else throw new InvalidInputError('<batch>', `column "${name}" (${entry.role}) came as a ${chunk.kind} chunk, which it does not take`);
      this.partRows.set(name, (this.partRows.get(name) ?? 0) + batch.rowCount);
    }
    if (unitRows === undefined) return;
    for (const name of this.accumulators.keys()) {
      const rows = this.partRows.get(name);
      if (rows === undefined) throw new InvalidInputError('<batch>', `column "${name}" is missing from the batch`);
      if (rows !== unitRows) throw new InvalidInputError('<batch>', `column "${name}" has ${rows} rows, expected ${unitRows}`);
    }
    this.partRows.clear();
    this.rowCount += unitRows;
  }

  /** The signature of everything added; `sources` are sorted and deduplicated. */
  finish(sources: readonly string[]): DatasetSignature {
    const sliced = this.slices?.finishWithWhole(sources);
    const columns: Record<string, ColumnSignature> = {};
    for (const name of [...this.accumulators.keys(), ...this.derived].sort(byCodeUnit)) {
      const own = this.accumulators.get(name);
      const column = own !== undefined ? own.acc.finish() : sliced?.whole?.columns[name];
      if (column !== undefined) putKey(columns, name, column);
    }
    return {
      schemaVersion: 1,
      rowCount: this.rowCount,
      schema: [...this.schema].sort((a, b) => byCodeUnit(a.name, b.name)).map(copyField),
      columns,
      sources: [...new Set(sources)].sort(byCodeUnit),
      ...(sliced !== undefined ? { slices: sliced.slices } : {}),
    };
  }
}

/** Set an own enumerable key, even "__proto__" (column names are data). */
export function putKey<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Locale-free string order. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A field with its keys in canonical order. */
export function copyField(field: ColumnField): ColumnField {
  return { name: field.name, type: field.type, sourceType: field.sourceType, nullable: field.nullable };
}

/** Convenience for tests: the signature of `batches` read with `schema`. */
export function signatureOf(
  schema: readonly ColumnField[],
  batches: Iterable<ColumnBatch>,
  options?: SignatureOptions,
  sources: readonly string[] = [],
): DatasetSignature {
  const builder = new SignatureBuilder(schema, options);
  for (const batch of batches) builder.add(batch);
  return builder.finish(sources);
}
