import type { DatasetSignature } from '../functions/core/signature/types.js';

/**
 * The peer's profile: the same statistics our signature keeps, computed by DuckDB in ONE query (one scan):
 * per numeric column count/nulls/min/max/mean/stddev, approx_quantile at p1..p99 and a histogram on the
 * reference's bin edges (what our check-mode signature counts exactly in its pass); per string column the
 * value counts (our top-K is exact below K distinct values) and approx_count_distinct (our HyperLogLog).
 */

export const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;

/** Placeholder for the scanned relation: `read_parquet('…')` in Node, a pyarrow table name in Python. */
export const SOURCE_PLACEHOLDER = '{{source}}';

/** Column plan for the profile, taken from the reference signature (its kinds and its histogram edges). */
export interface ProfilePlan {
  readonly numeric: readonly { readonly name: string; readonly edges: readonly number[] }[];
  readonly categorical: readonly string[];
}

/** The plan of every numeric and categorical column of a reference signature. */
export function profilePlan(reference: DatasetSignature): ProfilePlan {
  const numeric: { name: string; edges: readonly number[] }[] = [];
  const categorical: string[] = [];
  for (const [name, column] of Object.entries(reference.columns)) {
    if (column.kind === 'numeric') numeric.push({ name, edges: column.histogram?.edges ?? [] });
    else if (column.kind === 'categorical') categorical.push(name);
  }
  return { numeric, categorical };
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function literal(value: number): string {
  // Full precision: the edges must be the reference's, bit for bit.
  return Number.isFinite(value) ? value.toPrecision(17) : '0';
}

/** One SELECT computing the whole profile; output columns are named `<i>_<stat>` with i the plan index. */
export function profileSql(plan: ProfilePlan): string {
  const parts = ['count(*) AS "rows"'];
  plan.numeric.forEach(({ name, edges }, i) => {
    const c = ident(name);
    parts.push(
      `count(${c}) AS "n${i}_nonnull"`,
      `min(${c}) AS "n${i}_min"`,
      `max(${c}) AS "n${i}_max"`,
      `avg(${c}) AS "n${i}_mean"`,
      `stddev_pop(${c}) AS "n${i}_sd"`,
      `approx_quantile(${c}, [${QUANTILES.join(', ')}]) AS "n${i}_q"`,
    );
    if (edges.length > 0) parts.push(`histogram(${c}, [${edges.map(literal).join(', ')}]::DOUBLE[]) AS "n${i}_hist"`);
  });
  plan.categorical.forEach((name, i) => {
    const c = ident(name);
    parts.push(`count(${c}) AS "c${i}_nonnull"`, `histogram(${c}) AS "c${i}_top"`, `approx_count_distinct(${c}) AS "c${i}_distinct"`);
  });
  return `SELECT\n  ${parts.join(',\n  ')}\nFROM ${SOURCE_PLACEHOLDER}`;
}

/** What both sides report for the agreement check: rows, and per column non-null count and mean. */
export interface ProfileDigest {
  readonly rows: number;
  readonly columns: Readonly<Record<string, { readonly nonNull: number; readonly mean?: number }>>;
}

/** The digest of a DuckDB result row (JSON values from getRowObjectsJson or Python). */
export function digestOfPeerRow(plan: ProfilePlan, row: Readonly<Record<string, unknown>>): ProfileDigest {
  const columns: Record<string, { nonNull: number; mean?: number }> = {};
  plan.numeric.forEach(({ name }, i) => {
    columns[name] = { nonNull: Number(row[`n${i}_nonnull`]), mean: Number(row[`n${i}_mean`]) };
  });
  plan.categorical.forEach((name, i) => {
    columns[name] = { nonNull: Number(row[`c${i}_nonnull`]) };
  });
  return { rows: Number(row.rows), columns };
}

/** The digest of our signature. */
export function digestOfSignature(signature: DatasetSignature): ProfileDigest {
  const columns: Record<string, { nonNull: number; mean?: number }> = {};
  for (const [name, column] of Object.entries(signature.columns)) {
    if (column.kind === 'numeric') columns[name] = { nonNull: column.count - column.nulls, mean: column.mean };
    else if (column.kind === 'categorical') columns[name] = { nonNull: column.count - column.nulls };
  }
  return { rows: signature.rowCount, columns };
}

/** Differences between two digests (empty when they agree: same counts, means within 1e-9 relative). */
export function digestDifferences(ours: ProfileDigest, peer: ProfileDigest): string[] {
  const problems: string[] = [];
  if (ours.rows !== peer.rows) problems.push(`rows ${ours.rows} vs ${peer.rows}`);
  for (const [name, p] of Object.entries(peer.columns)) {
    const o = ours.columns[name];
    if (!o) {
      problems.push(`${name}: missing from our signature`);
      continue;
    }
    if (o.nonNull !== p.nonNull) problems.push(`${name}: non-null ${o.nonNull} vs ${p.nonNull}`);
    if (p.mean !== undefined && o.mean !== undefined) {
      const scale = Math.max(1, Math.abs(p.mean));
      if (Math.abs(o.mean - p.mean) > 1e-9 * scale) problems.push(`${name}: mean ${o.mean} vs ${p.mean}`);
    }
  }
  return problems;
}
