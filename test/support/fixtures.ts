/**
 * Test helpers for batch files: locate the committed fixtures (test/fixtures/batches, made by its
 * generate.py), load their expectations, wrap a ByteSource to count reads, write temp files.
 *
 * @example
 * const source = countingSource(await fileByteSource(batchFixture('snappy-dict.parquet')));
 * for await (const batch of (await openBatchFile(source)).batches(['f64'])) ...;
 * expect(source.stats.bytes).toBeLessThan(source.byteLength / 4);
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LogicalType } from '../../functions/core/columns.js';
import type { ByteSource } from '../../functions/core/ports.js';

/** The folder of the batch fixtures. */
export const batchFixturesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'batches');

/** Absolute path of one batch fixture, e.g. `batchFixture('zstd-delta.parquet')`. */
export function batchFixture(name: string): string {
  return join(batchFixturesDir, name);
}

/** What pyarrow found in one column (see generate.py for the conversion rules). */
export type ExpectedColumn =
  | { kind: 'numeric'; nulls: number; sum: number; min: number; max: number }
  | { kind: 'categorical'; nulls: number; distinct: number; counts: Record<string, number> }
  | { kind: 'other' };

/** What pyarrow found in one fixture file. */
export interface ExpectedBatchFile {
  file: string;
  format: 'parquet' | 'arrow-file' | 'arrow-stream';
  rowCount: number;
  /** Rows per row group / record batch, in order. */
  batchRows: number[];
  schema: { name: string; type: LogicalType; nullable: boolean }[];
  columns: Record<string, ExpectedColumn>;
}

/** The expectations of every good fixture and the expected reason (a substring) of every bad one. */
export interface BatchExpectations {
  files: ExpectedBatchFile[];
  errors: Record<string, string>;
}

/** Load test/fixtures/batches/expected.json. */
export function batchExpectations(): BatchExpectations {
  return JSON.parse(readFileSync(batchFixture('expected.json'), 'utf8')) as BatchExpectations;
}

/** A ByteSource wrapper that counts reads and bytes (for "reads only the needed columns" tests). */
export interface CountingSource extends ByteSource {
  readonly stats: { reads: number; bytes: number };
}

/** Wrap a ByteSource so every read is counted. */
export function countingSource(inner: ByteSource): CountingSource {
  const stats = { reads: 0, bytes: 0 };
  return {
    name: inner.name,
    byteLength: inner.byteLength,
    stats,
    read: async (start, end) => {
      const bytes = await inner.read(start, end);
      stats.reads += 1;
      stats.bytes += bytes.byteLength;
      return bytes;
    },
  };
}

/** A temp folder removed by the returned `cleanup`. */
export async function tempDir(prefix = 'driftgate-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Write `bytes` to a new file in `dir` and return its path. */
export async function writeTempFile(dir: string, name: string, bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/**
 * Write a 12-column Parquet file with DuckDB (a real writer; zstd): 4 float columns, 4 integer columns, 2
 * string columns, a boolean and a timestamp, some nulls. Large enough that reading one column is a small
 * fraction of the file (the reader fetches the last 64 KiB up front).
 */
export async function writeWideParquet(path: string, rows: number, rowGroupSize: number): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`
      COPY (
        SELECT
          CASE WHEN i % 17 = 0 THEN NULL ELSE sin(i) * 100 END AS f0,
          cos(i * 0.7) AS f1, (i * 7919 % 10007) / 3.0 AS f2, sqrt(i) AS f3,
          i::BIGINT AS i0, (i * 31 % 1000)::INTEGER AS i1,
          CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 97)::BIGINT END AS i2, (i * 2654435761 % 4294967296)::BIGINT AS i3,
          'k' || (i % 13)::VARCHAR AS s0, CASE WHEN i % 3 = 0 THEN NULL ELSE md5(i::VARCHAR) END AS s1,
          (i % 4 = 0) AS b, TIMESTAMP '2025-01-01' + to_seconds(i) AS t
        FROM range(${rows}) r(i)
      ) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupSize})
    `);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
