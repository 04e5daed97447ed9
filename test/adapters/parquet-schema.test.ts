/**
 * The schema from the footer (functions/adapters/parquet-schema.ts) against parquet-wasm's, on every Parquet
 * fixture of the repo (pyarrow, DuckDB, hostile mutations) and on test/fixtures/parquet-schema (generate.py:
 * DuckDB's integer, date and timestamp types; pyarrow with and without its ARROW:schema). Where it derives a
 * schema it must be parquet-wasm's, field for field; where it cannot, the reader asks parquet-wasm.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { columnFieldOf } from '../../functions/adapters/arrow-types.js';
import { openBatchFile } from '../../functions/adapters/columnar-reader.js';
import { bufferByteSource } from '../../functions/adapters/file-byte-source.js';
import { checkParquetFooter } from '../../functions/adapters/parquet-footer.js';
import { footerSchema } from '../../functions/adapters/parquet-schema.js';
import type { ColumnField } from '../../functions/core/columns.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const SCHEMA_FIXTURES = join(FIXTURES, 'parquet-schema');

function parquetFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return parquetFiles(path);
    return name.endsWith('.parquet') ? [path] : [];
  });
}

/** The footer-derived fields of `path` (from its checked footer, as the reader derives them), undefined when not derived. */
async function derived(path: string): Promise<readonly ColumnField[] | undefined> {
  const bytes = new Uint8Array(readFileSync(path));
  const length = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8).getUint32(0, true);
  const start = bytes.length - 8 - length;
  const layout = checkParquetFooter(path, bytes.subarray(start, bytes.length - 8), bytes.length, start, 2 ** 31);
  return footerSchema(layout)?.map((f) => columnFieldOf(f.name, f.type, f.nullable));
}

/** parquet-wasm's schema of `path`, or undefined when it does not open. */
async function wasmSchema(path: string): Promise<readonly ColumnField[] | undefined> {
  try {
    return (await openBatchFile(bufferByteSource(path, new Uint8Array(readFileSync(path))), { parquetDecoder: 'wasm' })).schema;
  } catch {
    return undefined;
  }
}

describe('Function: footerSchema', () => {
  it('derives parquet-wasm\'s schema, field for field, on every Parquet fixture it derives one for (most of them)', async () => {
    // Prepare
    const files = parquetFiles(FIXTURES);
    let compared = 0;

    // Act + Assess
    for (const path of files) {
      const wasm = await wasmSchema(path);
      if (wasm === undefined) continue;
      const mine = await derived(path).catch(() => undefined);
      if (mine === undefined) continue;
      expect(mine, relative(ROOT, path)).toEqual(wasm);
      compared++;
    }
    expect(files.length).toBeGreaterThan(80);
    expect(compared).toBeGreaterThanOrEqual(50);
  });

  it.each(['duckdb-types.parquet', 'pyarrow-schema.parquet', 'pyarrow-no-schema.parquet'])('derives every column of %s: integers, dates, timestamps with and without zones, strings, dictionaries', async (name) => {
    // Prepare
    const path = join(SCHEMA_FIXTURES, name);

    // Act
    const mine = await derived(path);

    // Assess
    expect(mine).toBeDefined();
    expect(mine).toEqual(await wasmSchema(path));
    expect(mine!.length).toBeGreaterThanOrEqual(14);
  });

  it.each([
    ['batches/snappy-dict.parquet', 'a decimal and a list'],
    ['parquet-native/types-v1-dict-snappy.parquet', 'seconds stored as milliseconds'],
    ['parquet-native/int96.parquet', 'INT96 timestamps'],
  ])('leaves %s to parquet-wasm (%s)', async (name) => {
    // Act + Assess
    expect(await derived(join(FIXTURES, name))).toBeUndefined();
  });

  it('signs a file whose schema came from the footer without loading parquet-wasm; a file that needs it loads it once', async () => {
    // Prepare: a fresh process (nothing loaded parquet-wasm before).
    const script = join(SCHEMA_FIXTURES, 'loads.ts');
    const files = [join(SCHEMA_FIXTURES, 'pyarrow-schema.parquet'), join(SCHEMA_FIXTURES, 'duckdb-types.parquet'), join(FIXTURES, 'batches', 'snappy-dict.parquet')];

    // Act
    const out = await new Promise<string>((done, fail) =>
      execFile(process.execPath, ['--import', 'tsx', script, ...files], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) =>
        error ? fail(new Error(`loads.ts: ${error.message} ${stderr.slice(-2000)}`)) : done(stdout),
      ),
    );

    // Assess
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { rows: number; loads: number });
    expect(lines.map((l) => l.loads)).toEqual([0, 0, 1]);
    expect(lines.map((l) => l.rows)).toEqual([300, 300, expect.any(Number)]);
  });
});
