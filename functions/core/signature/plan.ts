/**
 * The signing plan (pure): which work items (file × unit range, a unit being a Parquet row group or an Arrow
 * record batch) sign a set of files within a time and memory budget per item, and how the items' partial
 * signatures merge back into exactly the whole. Used by the scale-out state machine (lib/scale-out.ts,
 * service/scale-out.ts): one item per Distributed Map child.
 *
 * Exactness: a partial signature is what SignatureBuilder makes of a subset of a file's batches, so merging
 * the partials gives the whole's counts, sketches, HLL registers and top-K (when a column has at most K
 * distinct values; beyond that top-K is approximate, as for any merge) bit for bit, and moments within
 * rounding. Histograms on a reference's edges add exactly; histograms whose edges a partial chose from its
 * own sketch (building a reference, or a column the reference lacks) are chosen again from the merged
 * sketch, as the single pass chooses them from the whole sketch (`mergePartials`).
 */
import { ConfigError, InvalidInputError } from '../errors.js';
import type { SignatureOptions } from './builder.js';
import { mergeAll } from './merge.js';
import { type CentreFrame, DEFAULT_HISTOGRAM_BINS } from './numeric.js';
import { sketchEdges, sketchHistogram } from './sketch.js';
import type { ColumnSignature, DatasetSignature } from './types.js';

/** One unit of a file as its footer describes it. */
export interface PlanUnit {
  readonly rows: number;
  /** Bytes stored (what is fetched). */
  readonly bytes: number;
  /** Bytes once decoded (what one unit holds in memory). */
  readonly decodedBytes: number;
}

/** One file to sign: its key, its size, and its units (undefined: an Arrow stream, signed whole). */
export interface PlanFile {
  readonly key: string;
  readonly byteLength: number;
  readonly units: readonly PlanUnit[] | undefined;
}

/** What one work item may cost. */
export interface PlanBudget {
  /** Stored bytes one item may read: its time budget times the measured signing rate (see `planBudget`). */
  readonly maxItemBytes: number;
  /** Decoded bytes one unit may hold: the reader holds two units at once (the one signed, the one read ahead). */
  readonly maxUnitDecodedBytes: number;
}

/**
 * A budget from a time and a memory allowance per item and a measured signing rate.
 * @example
 * planBudget({ seconds: 600, bytesPerSecond: 40e6, memoryBytes: 1024 * 2 ** 20 }) // 24 GB per item, 512 MiB per unit
 */
export function planBudget(input: { readonly seconds: number; readonly bytesPerSecond: number; readonly memoryBytes: number }): PlanBudget {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(input)) if (!(Number.isFinite(value) && value > 0)) problems.push(`${name} must be a positive number, got ${value}`);
  if (problems.length > 0) throw new ConfigError('signing plan budget', problems.join('; '));
  return { maxItemBytes: Math.floor(input.seconds * input.bytesPerSecond), maxUnitDecodedBytes: Math.floor(input.memoryBytes / 2) };
}

/** One work item: units [start, end) of one file (`range` absent: the whole file). */
export interface WorkItem {
  /** Position in the plan (0-based): the item's partial signature is stored under it. */
  readonly index: number;
  readonly key: string;
  readonly range?: { readonly start: number; readonly end: number };
  /** Rows of the range (undefined for a whole Arrow stream). */
  readonly rows?: number;
  /** Stored bytes of the range (the whole file for a stream). */
  readonly bytes: number;
}

/**
 * Items one plan may have: a Distributed Map collects its children's outputs (`{}`, 3 bytes each) into at most
 * 256 KiB, and far fewer, larger items are cheaper anyway (see bench/README.md).
 */
export const MAX_PLAN_ITEMS = 80_000;

/**
 * Split files into work items, in file order then unit order: consecutive units are packed into one item
 * while its stored bytes stay within `maxItemBytes` (an item always holds at least one unit); a file that fits
 * whole is one item. A unit whose decoded size is over `maxUnitDecodedBytes` cannot be signed by any item:
 * InvalidInputError naming the file and the unit. A file with no units (no rows) is one empty item, so its
 * schema still reaches the merged signature.
 * @example
 * planSigning([{ key: 'training/a.parquet', byteLength: 3e9, units }], planBudget({ seconds: 600, bytesPerSecond: 4e6, memoryBytes: 2 ** 30 }));
 */
export function planSigning(files: readonly PlanFile[], budget: PlanBudget): WorkItem[] {
  const items: WorkItem[] = [];
  const push = (item: Omit<WorkItem, 'index'>): void => {
    items.push({ index: items.length, ...item });
  };
  for (const file of files) {
    const units = file.units;
    if (units === undefined) {
      push({ key: file.key, bytes: file.byteLength });
      continue;
    }
    units.forEach((unit, u) => {
      if (unit.decodedBytes > budget.maxUnitDecodedBytes) {
        throw new InvalidInputError(
          file.key,
          `unit ${u} (a row group or record batch of ${unit.rows} rows) decodes to ${unit.decodedBytes} bytes, over the ${budget.maxUnitDecodedBytes} bytes one work item may hold: rewrite the file with smaller row groups`,
        );
      }
    });
    const total = units.reduce((n, u) => n + u.bytes, 0);
    if (units.length === 0 || total <= budget.maxItemBytes) {
      push({ key: file.key, range: { start: 0, end: units.length }, rows: units.reduce((n, u) => n + u.rows, 0), bytes: total });
      continue;
    }
    let start = 0;
    while (start < units.length) {
      let end = start + 1;
      let bytes = units[start].bytes;
      let rows = units[start].rows;
      while (end < units.length && bytes + units[end].bytes <= budget.maxItemBytes) {
        bytes += units[end].bytes;
        rows += units[end].rows;
        end++;
      }
      push({ key: file.key, range: { start, end }, rows, bytes });
      start = end;
    }
  }
  if (items.length > MAX_PLAN_ITEMS) {
    throw new ConfigError('signing plan', `${items.length} work items, over the ${MAX_PLAN_ITEMS} one execution may have: raise the bytes per item`);
  }
  return items;
}

/**
 * Split each file into exactly `parts` items of consecutive units (as even in units as the file allows; a file
 * with fewer units gives one item per unit). For tests and benchmarks that compare a split with the single pass.
 */
export function splitEvenly(file: PlanFile, parts: number): WorkItem[] {
  const count = file.units?.length ?? 0;
  const n = Math.max(1, Math.min(parts, count));
  const items: WorkItem[] = [];
  for (let i = 0; i < n; i++) {
    const start = Math.floor((i * count) / n);
    const end = Math.floor(((i + 1) * count) / n);
    const units = file.units?.slice(start, end) ?? [];
    items.push({ index: i, key: file.key, range: { start, end }, rows: units.reduce((a, u) => a + u.rows, 0), bytes: units.reduce((a, u) => a + u.bytes, 0) });
  }
  return items;
}

/**
 * Merge the partial signatures of one plan into the signature the single pass gives: `mergeAll`, then every
 * numeric column whose histogram edges the builder would choose from the column's own sketch (no
 * reference edges for it, as in SignatureBuilder) gets them chosen again from the merged sketch.
 */
export function mergePartials(parts: readonly DatasetSignature[], options: Pick<SignatureOptions, 'reference' | 'histogramBins'> = {}): DatasetSignature {
  const merged = mergeAll(parts);
  const bins = options.histogramBins ?? DEFAULT_HISTOGRAM_BINS;
  const columns: Record<string, ColumnSignature> = {};
  for (const [name, column] of Object.entries(merged.columns)) {
    const ref = options.reference !== undefined && Object.hasOwn(options.reference.columns, name) ? options.reference.columns[name] : undefined;
    const referenceEdges = ref?.kind === 'numeric' && ref.histogram !== null;
    let value = column;
    if (column.kind === 'numeric' && !referenceEdges) {
      const edges = column.finite > 0 ? sketchEdges(column.sketch, bins) : undefined;
      value = { ...column, histogram: edges === undefined ? null : { edges, counts: sketchHistogram(column.sketch, edges) } };
    }
    Object.defineProperty(columns, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return { ...merged, columns };
}

/** Groups of at most `fanIn` consecutive indices of `count` partials: one level of a tree merge. */
export function mergeGroups(count: number, fanIn: number): { readonly start: number; readonly end: number }[] {
  if (!(Number.isInteger(fanIn) && fanIn >= 2)) throw new ConfigError('merge plan', `fanIn must be an integer >= 2, got ${fanIn}`);
  const groups: { start: number; end: number }[] = [];
  for (let start = 0; start < count; start += fanIn) groups.push({ start, end: Math.min(count, start + fanIn) });
  return groups;
}

/**
 * The centred frame of every numeric column of a first-pass signature (the plan signs the first unit of the
 * first file, which is the first chunk the single pass would choose its frames from): the frame it chose, or
 * null for none. A column without finite values there is left out (each partial chooses). Passed to every
 * item's signing (`SignatureOptions.frames`), so the partials share frames and the merge keeps the centred
 * sketch of a column far from zero, which partials choosing from their own spreads would drop.
 */
export function framesOf(firstPass: DatasetSignature): Record<string, CentreFrame | null> {
  const frames: Record<string, CentreFrame | null> = {};
  for (const [name, column] of Object.entries(firstPass.columns)) {
    if (column.kind !== 'numeric' || column.finite === 0) continue;
    const frame = column.centred === undefined ? null : { offset: column.centred.offset, scale: column.centred.scale };
    Object.defineProperty(frames, name, { value: frame, enumerable: true, writable: true, configurable: true });
  }
  return frames;
}
