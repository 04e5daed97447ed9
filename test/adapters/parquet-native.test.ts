/**
 * The native Parquet page decoder (ReaderOptions.parquetDecoder 'native', parquet-native.ts) against parquet-wasm
 * ('wasm') on files written by pyarrow and DuckDB (test/fixtures/parquet-native/generate.py): the same batches,
 * values (Float64 bit patterns, NaN included), nulls, strings and signatures; then corrupt page bodies that the
 * page-header check (parquet-pages.ts) lets through, which the native decoder must refuse with an
 * InvalidInputError naming the file, the column and what was wrong, within the memory budget, costing only the
 * bad file.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBatchFile, type BatchOptions, type ReaderOptions } from '../../functions/adapters/columnar-reader.js';
import { bufferByteSource } from '../../functions/adapters/file-byte-source.js';
import { checkParquetFooter, type ParquetChunk, type ParquetLayout } from '../../functions/adapters/parquet-footer.js';
import { checkChunkPages } from '../../functions/adapters/parquet-pages.js';
import { readThriftStruct, type ThriftStruct } from '../../functions/adapters/parquet-thrift.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { serializeSignature, type DatasetSignature } from '../../functions/core/signature/index.js';
import { signInChild } from '../fixtures/hostile/harness.js';
import { tempDir } from '../support/fixtures.js';
import { node24Path } from '../support/node24.js';

const FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'parquet-native');
const REPO_ROOT = resolve(FIXTURES_DIR, '..', '..', '..');
const FIXTURES = [
  'types-v1-dict-snappy.parquet',
  'types-v1-plain-gzip.parquet',
  'types-v2-dict-zstd.parquet',
  'types-v2-plain-none.parquet',
  'codecs-v1.parquet',
  'codecs-v2.parquet',
  'fallback-v1.parquet',
  'fallback-v2.parquet',
  'mixed-unsupported.parquet',
  'int96.parquet',
  'duckdb-zstd.parquet',
] as const;
type Decoder = NonNullable<ReaderOptions['parquetDecoder']>;
const MiB = 1024 * 1024;
/** Rows per data page in pyarrow's files (generate.py: a page per write batch of PAGE_ROWS rows). */
const PAGE_ROWS = 20;

const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES_DIR, name)));

// ---------------------------------------------------------------------------------------------------------------
// What a read gives, in a form two reads can be compared by.

/** One column over every batch read: numeric values as Float64 bit patterns (0 where null), or strings per row. */
type ColumnRows =
  | { readonly kind: 'numeric'; readonly values: Float64Array; readonly nulls: Uint8Array }
  | { readonly kind: 'categorical'; readonly rows: readonly (string | null)[] };

interface Reading {
  /** Each batch: its rows, its columns, and the unit rows it closes (column parts). */
  readonly batches: readonly string[];
  readonly columns: ReadonlyMap<string, ColumnRows>;
}

/** Read every convertible column of `bytes` with `decoder`, copying each batch before the next is asked for. */
async function readAll(name: string, bytes: Uint8Array, decoder: Decoder, options: BatchOptions = {}, reader: ReaderOptions = {}): Promise<Reading> {
  const file = await openBatchFile(bufferByteSource(name, bytes), { ...reader, parquetDecoder: decoder });
  const batches: string[] = [];
  // Typed copies, never number[]: V8 may canonicalize a NaN stored in a JS array, and NaN payloads are compared too.
  const numeric = new Map<string, { values: Float64Array[]; nulls: Uint8Array[] }>();
  const strings = new Map<string, (string | null)[]>();
  for await (const batch of file.batches(undefined, options)) {
    batches.push(`${batch.rowCount} rows: ${[...batch.columns.keys()].sort().join(',')}${batch.part ? ` part(${batch.part.unitRows ?? ''})` : ''}`);
    for (const [column, chunk] of batch.columns) {
      expect(chunk.length, `${name} ${column}: chunk length`).toBe(batch.rowCount);
      if (chunk.kind === 'numeric') {
        const into = numeric.get(column) ?? { values: [], nulls: [] };
        numeric.set(column, into);
        const values = chunk.values.slice(0, chunk.length);
        const nulls = chunk.nulls ? chunk.nulls.slice(0, chunk.length) : new Uint8Array(chunk.length);
        // A null's value is meaningless (ColumnChunk): zero bits, so only values are compared.
        for (let i = 0; i < chunk.length; i++) if (nulls[i] === 1) values[i] = 0;
        into.values.push(values);
        into.nulls.push(nulls);
      } else {
        const into = strings.get(column) ?? [];
        strings.set(column, into);
        // Each chunk's own dictionary: two decoders may number the same strings differently.
        for (let i = 0; i < chunk.length; i++) into.push(chunk.indices[i] < 0 ? null : chunk.dictionary[chunk.indices[i]]);
      }
    }
  }
  const columns = new Map<string, ColumnRows>();
  for (const [column, { values, nulls }] of numeric) columns.set(column, { kind: 'numeric', values: concat(Float64Array, values), nulls: concat(Uint8Array, nulls) });
  for (const [column, rows] of strings) {
    if (columns.has(column)) throw new Error(`${name} ${column}: numeric in one batch, categorical in another`);
    columns.set(column, { kind: 'categorical', rows });
  }
  return { batches, columns };
}

function concat<T extends Float64Array | Uint8Array>(Type: { new (length: number): T }, parts: readonly T[]): T {
  const out = new Type(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part as never, at);
    at += part.length;
  }
  return out;
}

/** A value with its bit pattern (read from the array: a NaN's payload does not survive a JS number). */
const bits = (value: number, word: bigint): string => `${value} (0x${word.toString(16).padStart(16, '0')})`;

/** Where `ours` differs from `theirs` (rows [from, to) of theirs), or undefined. */
function difference(ours: ColumnRows | undefined, theirs: ColumnRows | undefined, from = 0, to?: number): string | undefined {
  if (ours === undefined || theirs === undefined) return `column ${ours ? 'missing from the reference' : 'missing'}`;
  if (ours.kind !== theirs.kind) return `kind ${ours.kind}, expected ${theirs.kind}`;
  if (ours.kind === 'numeric' && theirs.kind === 'numeric') {
    const end = to ?? theirs.values.length;
    if (ours.values.length !== end - from) return `${ours.values.length} rows, expected ${end - from}`;
    const a = new BigUint64Array(ours.values.buffer);
    const b = new BigUint64Array(theirs.values.buffer, from * 8, end - from);
    for (let i = 0; i < a.length; i++) {
      if (ours.nulls[i] !== theirs.nulls[from + i]) return `row ${from + i}: null ${ours.nulls[i]}, expected ${theirs.nulls[from + i]}`;
      if (a[i] !== b[i]) return `row ${from + i}: ${bits(ours.values[i], a[i])}, expected ${bits(theirs.values[from + i], b[i])}`;
    }
    return undefined;
  }
  if (ours.kind === 'categorical' && theirs.kind === 'categorical') {
    const expected = theirs.rows.slice(from, to);
    if (ours.rows.length !== expected.length) return `${ours.rows.length} rows, expected ${expected.length}`;
    const i = ours.rows.findIndex((v, k) => v !== expected[k]);
    return i < 0 ? undefined : `row ${from + i}: ${JSON.stringify(ours.rows[i])}, expected ${JSON.stringify(expected[i])}`;
  }
  return undefined;
}

/** Every column of `ours` equals `theirs` (rows [from, to) of it), column by column. */
function expectSameColumns(ours: Reading, theirs: Reading, label: string, from = 0, to?: number): void {
  expect([...ours.columns.keys()].sort(), `${label}: columns`).toEqual([...theirs.columns.keys()].sort());
  const problems = [...theirs.columns.keys()].flatMap((c) => {
    const d = difference(ours.columns.get(c), theirs.columns.get(c), from, to);
    return d === undefined ? [] : [`${c}: ${d}`];
  });
  expect(problems, label).toEqual([]);
}

/** Signatures equal: every count, sketch and histogram exactly; moments (mean, m2) within 1e-12 relative. */
function signatureProblems(ours: DatasetSignature, theirs: DatasetSignature): string[] {
  return documentProblems(JSON.parse(serializeSignature(ours)), JSON.parse(serializeSignature(theirs)));
}

/** signatureProblems on two serialized signatures, parsed. */
function documentProblems(ours: unknown, theirs: unknown): string[] {
  const problems: string[] = [];
  const walk = (a: unknown, b: unknown, path: string, moment: boolean): void => {
    if (typeof a === 'number' && typeof b === 'number') {
      const same = moment ? Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)) || Object.is(a, b) : Object.is(a, b);
      if (!same) problems.push(`${path}: ${a}, expected ${b}`);
      return;
    }
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
      if (a !== b) problems.push(`${path}: ${JSON.stringify(a)?.slice(0, 80)}, expected ${JSON.stringify(b)?.slice(0, 80)}`);
      return;
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`, moment || key === 'mean' || key === 'm2' || key === 'centred');
    }
  };
  walk(ours, theirs, '$', false);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// A third reader: what pyarrow read in each row group (expected.json, written by generate.py).

type Expected =
  | { kind: 'numeric'; nulls: number; nan: number; posInf: number; negInf: number; huge: number; sum: number; absSum: number; min: number | null; max: number | null; rows?: string }
  | { kind: 'categorical'; nulls: number; distinct: number; rows: string; counts?: Record<string, number> }
  | { kind: 'other' };
const EXPECTED = JSON.parse(readFileSync(join(FIXTURES_DIR, 'expected.json'), 'utf8')) as Record<string, { rows: number; columns: Record<string, Expected> }[]>;

/** What `column` holds in rows [from, to), in expected.json's terms (generate.py: expected_column, rows_digest). */
function describeRows(column: ColumnRows, from: number, to: number, digest: boolean): Record<string, unknown> {
  if (column.kind === 'categorical') {
    const counts = new Map<string, number>();
    const hash = createHash('sha256');
    const text = new TextEncoder();
    let nulls = 0;
    for (const value of column.rows.slice(from, to)) {
      if (value === null) {
        nulls++;
        hash.update(Uint8Array.of(0xff));
        continue;
      }
      counts.set(value, (counts.get(value) ?? 0) + 1);
      hash.update(text.encode(value));
      hash.update(Uint8Array.of(0xfe));
    }
    return { kind: 'categorical', nulls, distinct: counts.size, rows: hash.digest('hex').slice(0, 16), counts: Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
  }
  let [nulls, nan, posInf, negInf, huge, sum, absSum] = [0, 0, 0, 0, 0, 0, 0];
  let [min, max] = [Infinity, -Infinity];
  const values = column.values.slice(from, to);
  const words = new BigUint64Array(values.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (column.nulls[from + i] === 1) nulls++;
    else if (Number.isNaN(v)) nan++;
    else if (v === Infinity) posInf++;
    else if (v === -Infinity) negInf++;
    else {
      min = Math.min(min, v);
      max = Math.max(max, v);
      if (Math.abs(v) >= 1e300) huge++;
      else {
        sum += v;
        absSum += Math.abs(v);
      }
    }
    if (Number.isNaN(v)) words[i] = 0x7ff8000000000000n;
  }
  const rows = digest ? createHash('sha256').update(new Uint8Array(values.buffer)).update(column.nulls.subarray(from, to)).digest('hex').slice(0, 16) : undefined;
  return { kind: 'numeric', nulls, nan, posInf, negInf, huge, sum, absSum, min: min === Infinity ? null : min, max: max === -Infinity ? null : max, rows };
}

/** The differences between what a decoder read in one row group's rows and what pyarrow read. */
function againstPyarrow(column: ColumnRows | undefined, expected: Expected, from: number, to: number): string[] {
  if (expected.kind === 'other') return column === undefined ? [] : ['read, but pyarrow has a nested type'];
  if (column === undefined) return ['not read'];
  const ours = describeRows(column, from, to, expected.rows !== undefined);
  if (ours.kind !== expected.kind) return [`kind ${String(ours.kind)}, pyarrow ${expected.kind}`];
  const problems: string[] = [];
  const exact = (key: string, a: unknown, b: unknown): void => {
    if (!Object.is(a, b) && JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${key} ${JSON.stringify(a)?.slice(0, 120)}, pyarrow ${JSON.stringify(b)?.slice(0, 120)}`);
  };
  if (expected.kind === 'categorical') {
    for (const key of ['nulls', 'distinct', 'rows'] as const) exact(key, ours[key], expected[key]);
    if (expected.counts) exact('counts', ours.counts, expected.counts);
    return problems;
  }
  for (const key of ['nulls', 'nan', 'posInf', 'negInf', 'huge', 'rows'] as const) if (expected[key] !== undefined) exact(key, ours[key], expected[key]);
  const close = (key: string, a: number | null, b: number | null, scale: number): void => {
    if (a === null || b === null ? a !== b : Math.abs(a - b) > 1e-12 * scale) problems.push(`${key} ${a}, pyarrow ${b}`);
  };
  // Integers and floats convert exactly (their digest covers every row); dates, timestamps and decimals are scaled.
  const scale = (v: number | null): number => (expected.rows !== undefined ? 0 : Math.max(1, Math.abs(v ?? 0)));
  close('min', ours.min as number | null, expected.min, scale(expected.min));
  close('max', ours.max as number | null, expected.max, scale(expected.max));
  // Summing a row group (at most 2,048 values) in another order: within 2,048 x 2^-53 of the sum of magnitudes.
  close('sum', ours.sum as number, expected.sum, Math.max(1, expected.absSum));
  return problems;
}

describe('Function: openBatchFile with either decoder against pyarrow (expected.json)', () => {
  it.each(FIXTURES.flatMap((name) => (['native', 'wasm'] as const).map((decoder) => [name, decoder] as const)))(
    '%s, %s: every row group and column as pyarrow reads it',
    async (name, decoder) => {
      // Prepare
      const expected = EXPECTED[name];

      // Act
      const reading = await readAll(name, bytesOf(name), decoder);

      // Assess
      const problems: string[] = [];
      let from = 0;
      expected.forEach((group, g) => {
        for (const [column, e] of Object.entries(group.columns)) {
          for (const p of againstPyarrow(reading.columns.get(column), e, from, from + group.rows)) problems.push(`row group ${g}, ${column}: ${p}`);
        }
        from += group.rows;
      });
      expect(reading.batches.map((b) => Number.parseInt(b, 10))).toEqual(expected.map((g) => g.rows));
      expect(problems).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Conformance: native = wasm, on every fixture, read whole, in column parts, and by row-group range.

const MODES: readonly { readonly label: string; readonly options: BatchOptions }[] = [
  { label: 'whole row groups', options: {} },
  { label: 'column parts (reused buffers)', options: { columnParts: true, reuseBuffers: true } },
  { label: 'row groups [1, 3)', options: { range: { start: 1, end: 3 } } },
  { label: 'column parts of row group [2, 3)', options: { columnParts: true, range: { start: 2, end: 3 } } },
];

describe('Function: openBatchFile with parquetDecoder native against wasm (pyarrow and DuckDB files)', () => {
  it.each(FIXTURES)('%s: the fixture holds what generate.py says (3 row groups, several pages per chunk of row group 0)', (name) => {
    // Prepare
    const { layout, bytes } = layoutOf(name);

    // Act
    // Row group 0 has no nulls (pyarrow's files): its chunks have a page per PAGE_ROWS rows; row group 2 only nulls.
    const pages = layout.rowGroups[0].chunks.map((c) => pagesOf(bytes, c).filter((p) => p.kind !== 'dictionary').length);

    // Assess
    expect(layout.rowGroups.length).toBe(3);
    expect(Math.min(...pages)).toBeGreaterThanOrEqual(name.startsWith('duckdb') ? 1 : 4);
  });

  it('the fixtures cover both page versions, dictionary fallback, every codec and the unsupported encodings', () => {
    // Prepare
    const all = FIXTURES.map((name) => ({ name, ...layoutOf(name) }));

    // Act
    const seen = { codecs: new Set<number>(), encodings: new Set<number>(), kinds: new Set<string>(), fallback: new Set<string>() };
    for (const { name, layout, bytes } of all) {
      for (const chunk of layout.rowGroups.flatMap((g) => g.chunks)) {
        seen.codecs.add(chunk.codec);
        const pages = pagesOf(bytes, chunk);
        for (const page of pages) {
          seen.kinds.add(page.kind);
          if (page.kind !== 'dictionary') seen.encodings.add(page.encoding);
        }
        const data = pages.filter((p) => p.kind !== 'dictionary').map((p) => p.encoding);
        if (data.includes(8) && data.includes(0)) seen.fallback.add(`${name}:${chunk.leaf.column}`);
      }
    }

    // Assess: codecs UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4 or LZ4_RAW, ZSTD; encodings PLAIN, PLAIN_DICTIONARY,
    // RLE (v2 booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, RLE_DICTIONARY, BYTE_STREAM_SPLIT.
    expect([...seen.codecs].sort()).toEqual(expect.arrayContaining([0, 1, 2, 4, 6]));
    expect(seen.codecs.has(5) || seen.codecs.has(7)).toBe(true);
    expect([...seen.encodings].sort((a, b) => a - b)).toEqual(expect.arrayContaining([0, 2, 3, 5, 6, 8, 9]));
    expect([...seen.kinds].sort()).toEqual(['data', 'data-v2', 'dictionary']);
    expect([...seen.fallback].sort()).toEqual(expect.arrayContaining(['fallback-v1.parquet:str', 'fallback-v1.parquet:f64', 'fallback-v2.parquet:i64']));
  });

  describe.each(MODES)('read as $label', ({ label, options }) => {
    it.each(FIXTURES)('%s: the same batches, values, nulls and strings', async (name) => {
      // Prepare
      const bytes = bytesOf(name);

      // Act
      const [native, wasm] = [await readAll(name, bytes, 'native', options), await readAll(name, bytes, 'wasm', options)];

      // Assess
      expect(native.batches, `${name}, ${label}: batches`).toEqual(wasm.batches);
      expectSameColumns(native, wasm, `${name}, ${label}`);
      expect(native.columns.size).toBeGreaterThan(0);
    });
  });

  it.each(FIXTURES)('%s: column parts and row-group ranges read the same rows as whole row groups', async (name) => {
    // Prepare
    const bytes = bytesOf(name);
    const whole = await readAll(name, bytes, 'wasm');
    const { layout } = layoutOf(name);
    const firstRows = layout.rowGroups[0].numRows;

    // Act
    const parts = await readAll(name, bytes, 'native', { columnParts: true, reuseBuffers: true });
    const tail = await readAll(name, bytes, 'native', { range: { start: 1, end: 3 } });

    // Assess
    expectSameColumns(parts, whole, `${name}: native column parts against wasm whole row groups`);
    expectSameColumns(tail, whole, `${name}: native row groups [1, 3) against wasm rows ${firstRows}..`, firstRows, layout.numRows);
  });

  it.each(FIXTURES)('%s: signSources gives the same signature with either decoder, whole and by range', async (name) => {
    // Prepare
    const source = bufferByteSource(name, bytesOf(name));
    const sign = (decoder: Decoder, range?: { start: number; end: number }): Promise<DatasetSignature> =>
      signSources([source], { reader: { parquetDecoder: decoder }, ...(range ? { range } : {}) });

    // Act
    const [native, wasm] = [await sign('native'), await sign('wasm')];
    const [nativeRange, wasmRange] = [await sign('native', { start: 0, end: 2 }), await sign('wasm', { start: 0, end: 2 })];

    // Assess
    expect(wasm.rowCount).toBe(layoutOf(name).layout.numRows);
    expect(signatureProblems(native, wasm)).toEqual([]);
    expect(signatureProblems(nativeRange, wasmRange)).toEqual([]);
  });
});

describe('Function: signSources with either decoder on Node 24 (the Lambda runtime: node:zlib has zstd)', () => {
  it('every fixture signs the same with native and wasm, ZSTD chunks decoded by the native decoder; a garbled ZSTD page is named', async () => {
    // Prepare: the tests run on Node 20; the Lambdas on Node 24 (zstd in place there too, wasm-zstd.ts, with node:zlib's as the fallback).
    const script = join(FIXTURES_DIR, 'sign-both.ts');
    const paths = FIXTURES.map((name) => join(FIXTURES_DIR, name));
    const temp = await tempDir('parquet-native-zstd-');
    const bad = join(temp.dir, 'corrupt-zstd-garbled.parquet');
    const bytes = bytesOf('codecs-v1.parquet');
    const { page } = dataPage('codecs-v1.parquet', 'f64_zstd_plain', 0, 1);
    expect([...bytes.subarray(page.bodyStart, page.bodyStart + 4)], 'zstd frame magic').toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    // The frame header (magic, descriptor, window) kept; every block byte after it 0xff.
    bytes.fill(0xff, page.bodyStart + 6, page.bodyEnd);
    writeFileSync(bad, bytes);

    // Act
    const stdout = await new Promise<string>((done, fail) => {
      execFile(node24Path(), ['--import', 'tsx', script, ...paths, bad], { cwd: REPO_ROOT, maxBuffer: 64 * MiB, timeout: 60_000 }, (error, out, err) =>
        error ? fail(new Error(`sign-both.ts on Node 24: ${error.message} ${err.slice(-2000)}`)) : done(out),
      );
    }).finally(() => temp.cleanup());
    const [runtime, ...lines] = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    const byFile = new Map<string, Record<string, Record<string, string>>>();
    for (const line of lines) byFile.set(line.file, { ...byFile.get(line.file), [line.decoder]: line });

    // Assess
    expect(runtime).toMatchObject({ zstd: true });
    expect(Number.parseInt(String(runtime.node), 10)).toBe(24);
    const problems = paths.flatMap((path, i) => {
      const { native, wasm } = byFile.get(path) ?? {};
      if (native?.signature === undefined || wasm?.signature === undefined) return [`${FIXTURES[i]}: ${native?.error ?? wasm?.error ?? 'no answer'}`];
      const [a, b] = [JSON.parse(native.signature) as { rowCount: number }, JSON.parse(wasm.signature) as { rowCount: number }];
      const rows = EXPECTED[FIXTURES[i]].reduce((n, g) => n + g.rows, 0);
      return [...(b.rowCount === rows ? [] : [`${FIXTURES[i]}: ${b.rowCount} rows, pyarrow ${rows}`]), ...documentProblems(a, b).map((p) => `${FIXTURES[i]}: ${p}`)];
    });
    expect(problems).toEqual([]);
    const failed = byFile.get(bad)?.native?.error ?? 'signed';
    expect(failed).toContain(bad);
    expect(failed).toContain("column 'f64_zstd_plain'");
    expect(failed).toMatch(/zstd/i);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Locating page bodies: the checked footer, then each page header (thrift) of a chunk.

interface Page {
  readonly kind: 'data' | 'dictionary' | 'data-v2';
  readonly header: ThriftStruct;
  /** The data_page_header, data_page_header_v2 or dictionary_page_header. */
  readonly detail: ThriftStruct;
  readonly encoding: number;
  readonly numValues: number;
  /** [bodyStart, bodyEnd): the page's (compressed) body in the file. */
  readonly bodyStart: number;
  readonly bodyEnd: number;
}

function layoutOf(name: string): { layout: ParquetLayout; bytes: Uint8Array } {
  const bytes = bytesOf(name);
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
  const footerStart = bytes.length - 8 - footerLength;
  return { layout: checkParquetFooter(name, bytes.subarray(footerStart, bytes.length - 8), bytes.length, footerStart, 256 * MiB), bytes };
}

function pagesOf(bytes: Uint8Array, chunk: ParquetChunk): Page[] {
  const pages: Page[] = [];
  for (let p = chunk.start; p < chunk.end; ) {
    const header = readThriftStruct(bytes, p, chunk.end);
    const type = header.int(1);
    const size = header.int(3) ?? 0;
    const kind = type === 0 ? 'data' : type === 2 ? 'dictionary' : type === 3 ? 'data-v2' : undefined;
    if (kind === undefined) throw new Error(`page type ${type} at byte ${p}`);
    const detail = header.struct(kind === 'data' ? 5 : kind === 'dictionary' ? 7 : 8)!;
    pages.push({ kind, header, detail, encoding: detail.int(kind === 'data-v2' ? 4 : 2)!, numValues: detail.int(1)!, bodyStart: header.end, bodyEnd: header.end + size });
    p = header.end + size;
  }
  return pages;
}

/** Data page `index` (dictionary pages not counted) of `column` in row group `group`. */
function dataPage(name: string, column: string, group: number, index: number): { chunk: ParquetChunk; page: Page; pages: Page[] } {
  const { layout, bytes } = layoutOf(name);
  const chunk = layout.rowGroups[group].chunks.find((c) => c.leaf.path.join('.') === column);
  if (chunk === undefined) throw new Error(`${name} has no column ${column}`);
  const pages = pagesOf(bytes, chunk).filter((p) => p.kind !== 'dictionary');
  return { chunk, page: pages[index], pages };
}

/** Rewrite an integer field of a thrift struct in place, keeping its varint's length (so nothing moves). */
function setInt(bytes: Uint8Array, struct: ThriftStruct, id: number, value: number): void {
  const field = struct.field(id)!;
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  const out: number[] = [];
  do {
    out.push((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  if (out.length !== field.end - field.start) throw new Error(`varint of ${value} is ${out.length} bytes, the field's ${field.end - field.start}`);
  bytes.set(out, field.start);
}

/** Bytes of an unsigned LEB128 varint. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    out.push((v % 128) | (v >= 128 ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  return out;
}

/** Where a v1 page's values start: after its 4-byte-prefixed definition levels (a flat nullable column). */
function afterLevelsV1(bytes: Uint8Array, page: Page): number {
  return page.bodyStart + 4 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(page.bodyStart, true);
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile page bodies: each passes the page-header check, and the native decoder must refuse it.

interface Corruption {
  readonly name: string;
  readonly fixture: string;
  /** The column whose chunk is corrupted (its name in the error message). */
  readonly column: string;
  /** What the message must say, beside the file and the column. */
  readonly reason: RegExp;
  readonly corrupt: (bytes: Uint8Array) => void;
}

const CORRUPTIONS: readonly Corruption[] = [
  {
    name: 'snappy-garbled',
    fixture: 'codecs-v1.parquet',
    column: 'f64_snappy_plain',
    reason: /snappy/i,
    // After its length varint, every tag 0xff: a copy whose 4-byte offset (0xffffffff) reaches before the output.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'f64_snappy_plain', 0, 1);
      let p = page.bodyStart;
      while (bytes[p] & 0x80) p++;
      bytes.fill(0xff, p + 1, page.bodyEnd);
    },
  },
  {
    name: 'snappy-truncated',
    fixture: 'codecs-v1.parquet',
    column: 'f64_snappy_plain',
    reason: /snappy/i,
    // The stream declares 16383 bytes (same varint length): it ends long before, and the page holds fewer.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'f64_snappy_plain', 0, 2);
      expect(bytes[page.bodyStart] & 0x80, 'a 2-byte length varint').toBe(0x80);
      expect(bytes[page.bodyStart + 1] & 0x80).toBe(0);
      bytes.set([0xff, 0x7f], page.bodyStart);
    },
  },
  {
    name: 'snappy-huge-length',
    fixture: 'codecs-v1.parquet',
    column: 'str_snappy_plain',
    reason: /snappy|budget|uncompressed/i,
    // The stream declares 2^31 - 1 bytes: refused before anything that size is allocated.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'str_snappy_plain', 0, 0);
      bytes.set([0xff, 0xff, 0xff, 0xff, 0x07], page.bodyStart);
    },
  },
  {
    name: 'gzip-bad-block',
    fixture: 'codecs-v1.parquet',
    column: 'f64_gzip_plain',
    reason: /gzip/i,
    // The first deflate block header (after gzip's 10-byte header) set to BTYPE 11, which deflate reserves.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'f64_gzip_plain', 0, 1);
      expect([bytes[page.bodyStart], bytes[page.bodyStart + 1], bytes[page.bodyStart + 3]], 'gzip magic, no optional fields').toEqual([0x1f, 0x8b, 0]);
      bytes[page.bodyStart + 10] = 0xff;
    },
  },
  {
    name: 'gzip-bad-trailer',
    fixture: 'codecs-v1.parquet',
    column: 'str_gzip_plain',
    reason: /gzip/i,
    // CRC-32 and length zeroed: the stream inflates, but not to what it says.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'str_gzip_plain', 0, 0);
      bytes.fill(0, page.bodyEnd - 8, page.bodyEnd);
    },
  },
  {
    name: 'gzip-bomb',
    fixture: 'codecs-v1.parquet',
    column: 'str_gzip_plain',
    reason: /gzip|uncompressed|bytes/i,
    // A valid gzip member of the page's exact size that inflates to hundreds of times the page's declared
    // uncompressed_page_size (zeros; the gzip header's FEXTRA field pads it to the page's compressed size).
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'str_gzip_plain', 0, 1);
      const size = page.bodyEnd - page.bodyStart;
      let zeros = size * 900;
      let deflated = deflateRawSync(new Uint8Array(zeros), { level: 9 });
      while (20 + deflated.length > size) deflated = deflateRawSync(new Uint8Array((zeros = Math.floor(zeros * 0.9))), { level: 9 });
      const pad = size - 20 - deflated.length;
      const trailer = new DataView(new ArrayBuffer(8));
      trailer.setUint32(0, crc32(new Uint8Array(zeros)), true);
      trailer.setUint32(4, zeros, true);
      const member = [0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, pad & 0xff, pad >> 8, ...new Array<number>(pad).fill(0), ...deflated, ...new Uint8Array(trailer.buffer)];
      expect(member.length).toBe(size);
      expect(zeros).toBeGreaterThan(100 * (page.header.int(2) ?? 0));
      bytes.set(member, page.bodyStart);
    },
  },
  {
    name: 'dictionary-entry-past-page',
    fixture: 'codecs-v1.parquet',
    column: 'str_none_dict',
    reason: /dictionary/i,
    // The dictionary page's first PLAIN byte array claims 2^31 - 1 bytes (its count still fits the page).
    corrupt: (bytes) => {
      const { layout } = layoutOf('codecs-v1.parquet');
      const chunk = layout.rowGroups[0].chunks.find((c) => c.leaf.column === 'str_none_dict')!;
      const dictionary = pagesOf(bytes, chunk).find((p) => p.kind === 'dictionary')!;
      bytes.set([0xff, 0xff, 0xff, 0x7f], dictionary.bodyStart);
    },
  },
  {
    name: 'bit-packed-run-past-page',
    fixture: 'codecs-v1.parquet',
    column: 'str_none_dict',
    reason: /run|bit-packed|rle/i,
    // The dictionary indices open with a bit-packed run of 63 groups (504 values, 63 x width bytes) in a page of 20.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'str_none_dict', 0, 0);
      const indices = afterLevelsV1(bytes, page);
      bytes[indices + 1] = (63 << 1) | 1;
    },
  },
  {
    name: 'rle-run-past-page',
    fixture: 'codecs-v1.parquet',
    column: 'str_none_dict',
    reason: /run|rle|values/i,
    // The dictionary indices open with an RLE run of 2^20 values of index 0, in a page of 20 values. (pyarrow and
    // DuckDB read it, taking 20 values of the run; the rule here is the stricter one: a run is never longer than its page.)
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'str_none_dict', 0, 1);
      const indices = afterLevelsV1(bytes, page);
      bytes.set([...varint(2 ** 20 * 2), 0], indices + 1);
    },
  },
  {
    name: 'dictionary-index-past-end',
    fixture: 'codecs-v1.parquet',
    column: 'str_none_dict',
    reason: /dictionary/i,
    // Bit width 20, one RLE run of the page's values, each index 1048575 (the dictionary has 15 entries).
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'str_none_dict', 0, 2);
      const indices = afterLevelsV1(bytes, page);
      bytes.set([20, ...varint(PAGE_ROWS * 2), 0xff, 0xff, 0x0f], indices);
    },
  },
  {
    name: 'dictionary-index-past-end-numeric',
    fixture: 'codecs-v1.parquet',
    column: 'f64_none_dict',
    reason: /dictionary/i,
    // One RLE run of the page's values, each the index one past the dictionary's last entry.
    corrupt: (bytes) => {
      const { layout } = layoutOf('codecs-v1.parquet');
      const chunk = layout.rowGroups[0].chunks.find((c) => c.leaf.column === 'f64_none_dict')!;
      const entries = pagesOf(bytes, chunk).find((p) => p.kind === 'dictionary')!.numValues;
      const width = 32 - Math.clz32(entries);
      expect(width, 'the index fits one byte').toBeLessThanOrEqual(8);
      const { page } = dataPage('codecs-v1.parquet', 'f64_none_dict', 0, 0);
      bytes.set([width, ...varint(PAGE_ROWS * 2), entries], afterLevelsV1(bytes, page));
    },
  },
  {
    name: 'plain-page-short',
    fixture: 'types-v2-plain-none.parquet',
    column: 'req_f64',
    reason: /values|bytes/i,
    // Page 0 claims 36 values (and rows) in its 160 bytes of 20 float64s; page 1 claims 4: the chunk's count holds.
    corrupt: (bytes) => {
      const { pages } = dataPage('types-v2-plain-none.parquet', 'req_f64', 0, 0);
      expect(pages[0].bodyEnd - pages[0].bodyStart).toBe(PAGE_ROWS * 8);
      for (const [page, count] of [[pages[0], PAGE_ROWS + 16], [pages[1], PAGE_ROWS - 16]] as const) {
        setInt(bytes, page.detail, 1, count);
        setInt(bytes, page.detail, 3, count);
      }
    },
  },
  {
    name: 'plain-strings-short',
    fixture: 'types-v2-plain-none.parquet',
    column: 'req_str',
    reason: /values|bytes|string|byte array/i,
    // As above on PLAIN byte arrays: the 21st length prefix lies past the page.
    corrupt: (bytes) => {
      const { pages } = dataPage('types-v2-plain-none.parquet', 'req_str', 0, 0);
      for (const [page, count] of [[pages[0], PAGE_ROWS + 16], [pages[1], PAGE_ROWS - 16]] as const) {
        setInt(bytes, page.detail, 1, count);
        setInt(bytes, page.detail, 3, count);
      }
    },
  },
  {
    name: 'definition-levels-zero-runs-v1',
    fixture: 'codecs-v1.parquet',
    column: 'f64_none_plain',
    reason: /definition level|levels/i,
    // Every definition-level run is an RLE run of 0 values: the levels never reach the page's 20.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v1.parquet', 'f64_none_plain', 0, 0);
      bytes.fill(0, page.bodyStart + 4, afterLevelsV1(bytes, page));
    },
  },
  {
    name: 'definition-levels-zero-runs-v2',
    fixture: 'codecs-v2.parquet',
    column: 'f64_snappy_plain',
    reason: /definition level|levels/i,
    // The same in a v2 page of a snappy chunk, whose levels are stored uncompressed before the values.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v2.parquet', 'f64_snappy_plain', 0, 0);
      const repetition = page.detail.int(6) ?? 0;
      const definition = page.detail.int(5) ?? 0;
      expect(definition).toBeGreaterThan(0);
      bytes.fill(0, page.bodyStart + repetition, page.bodyStart + repetition + definition);
    },
  },
  {
    name: 'v2-boolean-rle-length',
    fixture: 'codecs-v2.parquet',
    column: 'bool_none_plain',
    reason: /bool|rle|bytes|run/i,
    // A v2 RLE boolean page whose 4-byte length prefix claims 2^24 bytes.
    corrupt: (bytes) => {
      const { page } = dataPage('codecs-v2.parquet', 'bool_none_plain', 0, 0);
      expect(page.encoding).toBe(3);
      const values = page.bodyStart + (page.detail.int(6) ?? 0) + (page.detail.int(5) ?? 0);
      bytes.set([0, 0, 0, 1], values);
    },
  },
];

/** The corrupt copy of a case's fixture, named after the case. */
function corrupted(c: Corruption): { name: string; bytes: Uint8Array } {
  const bytes = bytesOf(c.fixture);
  c.corrupt(bytes);
  return { name: `corrupt-${c.name}.parquet`, bytes };
}

/** The error reading every column of `bytes` throws (undefined when it reads). */
async function readError(name: string, bytes: Uint8Array, reader: ReaderOptions, options: BatchOptions = {}): Promise<unknown> {
  try {
    const file = await openBatchFile(bufferByteSource(name, bytes), reader);
    for await (const batch of file.batches(undefined, options)) void batch;
    return undefined;
  } catch (error) {
    return error;
  }
}

function expectNamedFailure(error: unknown, c: Corruption, name: string): void {
  expect(error, `${c.name}: read without an error`).toBeInstanceOf(InvalidInputError);
  const e = error as InvalidInputError;
  expect(e.file).toBe(name);
  expect(e.message).toContain(name);
  expect(e.message).toContain(`column '${c.column}'`);
  expect(e.reason).toMatch(c.reason);
}

describe('Function: the native Parquet decoder on corrupt page bodies', () => {
  const budget: ReaderOptions = { parquetDecoder: 'native', memoryBudget: 4 * MiB };

  it('every corruption passes the page-header check and changes only its own chunk', () => {
    for (const c of CORRUPTIONS) {
      // Prepare
      const { bytes } = corrupted(c);
      const original = bytesOf(c.fixture);
      const { layout } = layoutOf(c.fixture);
      const chunk = layout.rowGroups[0].chunks.find((k) => k.leaf.column === c.column)!;

      // Act
      const changed = original.findIndex((b, i) => b !== bytes[i]);
      const lastChanged = original.length - 1 - [...original].reverse().findIndex((b, i) => b !== bytes[original.length - 1 - i]);

      // Assess
      expect(changed, c.name).toBeGreaterThanOrEqual(chunk.start);
      expect(lastChanged, c.name).toBeLessThan(chunk.end);
      expect(changed, `${c.name}: changes something`).toBeGreaterThanOrEqual(0);
      expect(() => checkChunkPages(c.name, chunk, bytes.subarray(chunk.start, chunk.end), 4 * MiB), c.name).not.toThrow();
    }
  });

  it.each(CORRUPTIONS.map((c) => [c.name, c] as const))('%s: InvalidInputError naming the file, the column and the cause', async (_label, c) => {
    // Prepare
    const { name, bytes } = corrupted(c);

    // Act
    const whole = await readError(name, bytes, budget);
    const parts = await readError(name, bytes, budget, { columnParts: true, reuseBuffers: true });

    // Assess
    expectNamedFailure(whole, c, name);
    expectNamedFailure(parts, c, name);
  });

  it('a bad file among good ones: signSources names it, and the good files sign as before', async () => {
    // Prepare
    const good = ['types-v1-dict-snappy.parquet', 'codecs-v1.parquet'].map((n) => bufferByteSource(n, bytesOf(n)));
    const reader: ReaderOptions = { parquetDecoder: 'native' };
    const before = await signSources(good, { reader });
    const failures: string[] = [];

    // Act
    for (const c of CORRUPTIONS) {
      const { name, bytes } = corrupted(c);
      try {
        await signSources([good[0], bufferByteSource(name, bytes), good[1]], { reader });
        failures.push(`${c.name}: signed`);
      } catch (error) {
        if (!(error instanceof InvalidInputError) || error.file !== name || !error.message.includes(`column '${c.column}'`)) {
          failures.push(`${c.name}: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`);
        }
      }
    }
    const after = await signSources(good, { reader });

    // Assess
    expect(failures).toEqual([]);
    expect(signatureProblems(after, before)).toEqual([]);
  });
});

describe('Function: signSources on corrupt pages in a child process (not killed, memory bounded)', () => {
  let cleanup: (() => Promise<void>) | undefined;
  let dir: string;

  beforeAll(async () => {
    const temp = await tempDir('parquet-native-');
    cleanup = temp.cleanup;
    dir = temp.dir;
  });

  afterAll(async () => {
    await cleanup?.();
  });

  it('every corrupt file fails alone, the good file after them signs, and peak RSS stays under 512 MiB', async () => {
    // Prepare
    const paths = CORRUPTIONS.map((c) => {
      const { name, bytes } = corrupted(c);
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    });
    const goodPath = join(dir, 'good-codecs-v1.parquet');
    writeFileSync(goodPath, bytesOf('codecs-v1.parquet'));

    // Act: the child signs with the default reader options (parquetDecoder 'native', the 256 MiB budget).
    const { readings, maxRssBytes } = await signInChild([...paths, goodPath], 60_000);

    // Assess
    const wrong = CORRUPTIONS.flatMap((c, i) => {
      const reading = readings.get(paths[i]);
      const ok = reading?.ok === false && reading.error?.name === 'InvalidInputError' && reading.error.file === paths[i] && reading.error.message.includes(`column '${c.column}'`);
      return ok ? [] : [`${c.name}: ${reading?.ok ? `signed ${reading.rows} rows` : JSON.stringify(reading?.error)}`];
    });
    expect(wrong).toEqual([]);
    expect(readings.get(goodPath)).toMatchObject({ ok: true, rows: 600 });
    expect(maxRssBytes).toBeLessThan(512 * MiB);
  });
});
