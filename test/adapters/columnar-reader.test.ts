import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Table, Utf8, makeVector, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { openBatchFile } from '../../functions/adapters/columnar-reader.js';
import { bufferByteSource, fileByteSource } from '../../functions/adapters/file-byte-source.js';
import type { ColumnBatch } from '../../functions/core/columns.js';
import { AdapterError, InvalidInputError } from '../../functions/core/errors.js';
import type { ByteSource } from '../../functions/core/ports.js';
import {
  batchExpectations,
  batchFixture,
  countingSource,
  tempDir,
  writeWideParquet,
  type ExpectedBatchFile,
} from '../support/fixtures.js';
import { venvPython } from '../support/moto.js';

const expectations = batchExpectations();

interface Found {
  nulls: number;
  sum: number;
  min: number;
  max: number;
  counts: Map<string, number>;
}

/** Fold every batch of a file into per-column totals comparable with expected.json. */
function fold(batches: readonly ColumnBatch[]): Map<string, Found> {
  const found = new Map<string, Found>();
  for (const batch of batches) {
    for (const [name, chunk] of batch.columns) {
      expect(chunk.length).toBe(batch.rowCount);
      let f = found.get(name);
      if (!f) {
        f = { nulls: 0, sum: 0, min: Infinity, max: -Infinity, counts: new Map() };
        found.set(name, f);
      }
      if (chunk.kind === 'numeric') {
        for (let i = 0; i < chunk.length; i++) {
          if (chunk.nulls?.[i] === 1) {
            f.nulls++;
            continue;
          }
          const v = chunk.values[i];
          f.sum += v;
          f.min = Math.min(f.min, v);
          f.max = Math.max(f.max, v);
        }
      } else {
        for (let i = 0; i < chunk.length; i++) {
          const index = chunk.indices[i];
          if (index < 0) {
            f.nulls++;
            continue;
          }
          const value = chunk.dictionary[index];
          f.counts.set(value, (f.counts.get(value) ?? 0) + 1);
        }
      }
    }
  }
  return found;
}

async function readAll(source: ByteSource, columns?: readonly string[]): Promise<ColumnBatch[]> {
  const file = await openBatchFile(source);
  const out: ColumnBatch[] = [];
  for await (const batch of file.batches(columns)) out.push(batch);
  return out;
}

/**
 * Write an Arrow IPC file or stream with apache-arrow's writer: 8 float64 columns and a utf8 column with
 * nulls, `batches` record batches of `rows` rows.
 */
async function writeWideArrow(path: string, format: 'file' | 'stream', batches: number, rows: number): Promise<void> {
  const tables = Array.from({ length: batches }, (_, b) => {
    const columns: Record<string, Vector> = {};
    for (let c = 0; c < 8; c++) columns[`f${c}`] = makeVector(Float64Array.from({ length: rows }, (_, i) => b * rows + i + c / 8));
    columns.label = vectorFromArray(
      Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : `v${(b + i) % 5}`)),
      new Utf8(),
    );
    return new Table(columns);
  });
  const table = tables.slice(1).reduce((all, t) => all.concat(t), tables[0]);
  await writeFile(path, tableToIPC(table, format));
}

function closeTo(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

describe('Function: openBatchFile', () => {
  it('finds the fixtures the generator wrote (every codec x encoding, three writers)', () => {
    // Prepare
    const names = expectations.files.map((f) => f.file);

    // Act
    const parquet = names.filter((n) => n.endsWith('.parquet'));

    // Assess
    expect(parquet).toHaveLength(6 * 3 + 1);
    expect(names).toEqual(expect.arrayContaining(['pyarrow.arrow', 'pyarrow.arrows', 'apache-arrow-js.arrows', 'duckdb-zstd.parquet']));
  });

  it.each(expectations.files.map((f) => [f.file, f] as const))(
    'reads %s with the values pyarrow found',
    async (_name: string, expected: ExpectedBatchFile) => {
      // Prepare
      const source = await fileByteSource(batchFixture(expected.file));

      // Act
      const file = await openBatchFile(source);
      const batches: ColumnBatch[] = [];
      for await (const batch of file.batches()) batches.push(batch);
      const found = fold(batches);

      // Assess
      expect(file.format).toBe(expected.format);
      expect(file.name).toBe(source.name);
      expect(file.rowCount).toBe(expected.format === 'arrow-stream' ? undefined : expected.rowCount);
      expect(file.schema.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable }))).toEqual(expected.schema);
      // One batch per row group / record batch: memory is bounded by a row group, not the file.
      expect(batches.map((b) => b.rowCount)).toEqual(expected.batchRows);
      for (const [name, column] of Object.entries(expected.columns)) {
        const f = found.get(name);
        if (column.kind === 'other') {
          expect(f, `column ${name} has type other and is skipped`).toBeUndefined();
          continue;
        }
        expect(f, `column ${name}`).toBeDefined();
        expect(f!.nulls, `nulls of ${name}`).toBe(column.nulls);
        if (column.kind === 'numeric') {
          closeTo(f!.sum, column.sum);
          expect(f!.min, `min of ${name}`).toBe(column.min);
          expect(f!.max, `max of ${name}`).toBe(column.max);
        } else {
          expect(Object.fromEntries([...f!.counts].sort(([a], [b]) => (a < b ? -1 : 1))), `values of ${name}`).toEqual(
            column.counts,
          );
          expect(f!.counts.size).toBe(column.distinct);
        }
      }
    },
  );

  it.each(Object.entries(expectations.errors))(
    'rejects %s with InvalidInputError naming the file and the reason',
    async (name: string, reason: string) => {
      // Prepare
      const path = batchFixture(name);
      const source = await fileByteSource(path);

      // Act
      const attempt = readAll(source);

      // Assess
      const error: unknown = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).file).toBe(path);
      expect((error as InvalidInputError).reason).toContain(reason);
      expect((error as InvalidInputError).message.startsWith(`${path}: `)).toBe(true);
    },
  );

  it('keeps working after a corrupt page made the wasm decoder panic', async () => {
    // Prepare
    const bad = await fileByteSource(batchFixture('bad-page-data.parquet'));
    const good = await fileByteSource(batchFixture('zstd-plain.parquet'));
    const goodFile = await openBatchFile(good);
    await expect(readAll(bad)).rejects.toBeInstanceOf(InvalidInputError);

    // Act: a file opened before the panic and one opened after both still read.
    const before: ColumnBatch[] = [];
    for await (const batch of goodFile.batches(['f64'])) before.push(batch);
    const after = await readAll(await fileByteSource(batchFixture('snappy-dict.parquet')), ['i32']);

    // Assess
    expect(before.reduce((n, b) => n + b.rowCount, 0)).toBe(1200);
    expect(after.reduce((n, b) => n + b.rowCount, 0)).toBe(1200);
    expect(after[0].columns.get('i32')?.kind).toBe('numeric');
  });

  it('reads only the requested columns of a Parquet file, one row group at a time', async () => {
    // Prepare: a 12-column, ~8 MiB file from DuckDB with 4 row groups.
    const { dir, cleanup } = await tempDir('reader-columns-');
    try {
      const path = join(dir, 'wide.parquet');
      await writeWideParquet(path, 200_000, 50_000);
      const all = countingSource(await fileByteSource(path));
      const one = countingSource(await fileByteSource(path));

      // Act
      const allBatches = await readAll(all);
      const oneBatches = await readAll(one, ['f1']);

      // Assess
      expect(oneBatches.every((b) => [...b.columns.keys()].join() === 'f1')).toBe(true);
      expect(allBatches[0].columns.size).toBe(12);
      expect(one.stats.bytes).toBeLessThan(one.byteLength / 4);
      expect(all.stats.bytes).toBeGreaterThan(all.byteLength * 0.95);
      expect(oneBatches.length).toBe(4);
      expect(oneBatches.reduce((n, b) => n + b.rowCount, 0)).toBe(200_000);
      expect(Math.max(...oneBatches.map((b) => b.rowCount))).toBeLessThan(200_000 / 3);
    } finally {
      await cleanup();
    }
  });

  it('decodes a row group a few columns at a time without reading any column chunk twice', async () => {
    // Prepare: the 12-column DuckDB file, 4 row groups.
    const { dir, cleanup } = await tempDir('reader-subsets-');
    try {
      const path = join(dir, 'wide.parquet');
      await writeWideParquet(path, 200_000, 50_000);
      const source = countingSource(await fileByteSource(path));

      // Act
      const batches = await readAll(source);

      // Assess: every column of every row group arrives in its one batch; the bytes read are the file's once.
      expect(batches).toHaveLength(4);
      expect(batches.every((b) => b.columns.size === 12 && [...b.columns.values()].every((c) => c.length === b.rowCount))).toBe(true);
      expect(source.stats.bytes).toBeLessThanOrEqual(source.byteLength * 1.02);
    } finally {
      await cleanup();
    }
  });

  it('with reuseBuffers, hands out the same values batch by batch as fresh arrays do', async () => {
    // Prepare
    const { dir, cleanup } = await tempDir('reader-reuse-');
    try {
      const path = join(dir, 'wide.parquet');
      await writeWideParquet(path, 200_000, 50_000);
      const expected = await readAll(await fileByteSource(path));

      // Act: fold each batch before asking for the next (the contract of reuseBuffers).
      const file = await openBatchFile(await fileByteSource(path));
      const found: Map<string, Found>[] = [];
      const arrays = new Set<ArrayBufferLike>();
      for await (const batch of file.batches(undefined, { reuseBuffers: true })) {
        found.push(fold([batch]));
        const f1 = batch.columns.get('f1');
        if (f1?.kind === 'numeric') arrays.add(f1.values.buffer);
      }

      // Assess: the same per-batch totals, and two buffers alternating for f1 over the 4 row groups.
      expect(found).toEqual(expected.map((batch) => fold([batch])));
      expect(found).toHaveLength(4);
      expect(arrays.size).toBe(2);
    } finally {
      await cleanup();
    }
  });

  it('opens a file with one read of its end (the footer comes from it)', async () => {
    // Prepare
    const source = countingSource(await fileByteSource(batchFixture('gzip-delta.parquet')));

    // Act
    const file = await openBatchFile(source);

    // Assess
    expect(file.rowCount).toBe(1200);
    expect(source.stats.reads).toBe(1);
  });

  it('rejects an unknown column name with the columns the file has', async () => {
    // Prepare
    const source = await fileByteSource(batchFixture('snappy-dict.parquet'));

    // Act
    const attempt = readAll(source, ['f64', 'nope']);

    // Assess
    await expect(attempt).rejects.toThrow(/no column 'nope' \(the file has 'b', 'i32'/);
  });

  it.each(expectations.files.filter((f) => f.format !== 'parquet').map((f) => [f.file, f] as const))(
    'reads each column of %s alone with the values of a full read',
    async (_name: string, expected: ExpectedBatchFile) => {
      // Prepare
      const source = await fileByteSource(batchFixture(expected.file));
      const all = fold(await readAll(source));

      // Act
      const alone = new Map<string, Found | undefined>();
      for (const name of all.keys()) alone.set(name, fold(await readAll(source, [name])).get(name));

      // Assess
      expect(all.size).toBeGreaterThan(0);
      expect(alone).toEqual(all);
    },
  );

  it.each(['file', 'stream'] as const)(
    'reads only the requested column of an Arrow %s, far fewer bytes than the file',
    async (format: 'file' | 'stream') => {
      // Prepare
      const { dir, cleanup } = await tempDir();
      try {
        const path = join(dir, `wide.${format === 'file' ? 'arrow' : 'arrows'}`);
        await writeWideArrow(path, format, 3, 40_000);
        const source = countingSource(await fileByteSource(path));

        // Act
        const batches = await readAll(source, ['f3']);

        // Assess: 1 of 9 columns (8 float64 + a short utf8 column) is under 1/8 of the bytes.
        expect(batches.map((b) => [b.rowCount, [...b.columns.keys()]])).toEqual([
          [40_000, ['f3']],
          [40_000, ['f3']],
          [40_000, ['f3']],
        ]);
        const f3 = fold(batches).get('f3');
        expect(f3?.nulls).toBe(0);
        expect(f3?.min).toBe(0.375);
        expect(f3?.max).toBe(119_999.375);
        closeTo(f3?.sum ?? 0, (119_999 * 120_000) / 2 + 120_000 * 0.375);
        expect(source.stats.bytes).toBeLessThan(source.byteLength / 6);
      } finally {
        await cleanup();
      }
    },
  );

  it('with reuseBuffers, hands out Arrow batches with the same values as fresh arrays, in reused arrays', async () => {
    // Prepare
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'wide.arrow');
      await writeWideArrow(path, 'file', 3, 10_000);
      const file = await openBatchFile(await fileByteSource(path));
      const expected: Map<string, Found>[] = [];
      for await (const batch of file.batches()) expected.push(fold([batch]));

      // Act
      const found: Map<string, Found>[] = [];
      const arrays = new Set<ArrayBufferLike>();
      for await (const batch of file.batches(undefined, { reuseBuffers: true })) {
        found.push(fold([batch]));
        const f1 = batch.columns.get('f1');
        if (f1?.kind === 'numeric') arrays.add(f1.values.buffer);
      }

      // Assess: the same per-batch totals (label included), and one buffer reused for f1 over 3 batches.
      expect(found).toEqual(expected);
      expect(found).toHaveLength(3);
      expect(found[0].get('label')?.nulls).toBe(Math.ceil(10_000 / 7));
      expect(arrays.size).toBe(1);
    } finally {
      await cleanup();
    }
  });

  it('reads a dictionary column of an Arrow stream whose dictionary grows by delta batches (pyarrow)', async () => {
    // Prepare: pyarrow writes batch 2's new dictionary value ('c') as a delta dictionary batch.
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'delta.arrows');
      const script = [
        'import sys, pyarrow as pa, pyarrow.ipc as ipc',
        "t = pa.dictionary(pa.int32(), pa.utf8())",
        "b1 = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 1, 1, None], pa.int32()), pa.array(['a', 'b'])), pa.array([1.0, 2.0, 3.0, 4.0])], names=['d', 'x'])",
        "b2 = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([2, 0, 2], pa.int32()), pa.array(['a', 'b', 'c'])), pa.array([5.0, 6.0, 7.0])], names=['d', 'x'])",
        "opts = ipc.IpcWriteOptions(emit_dictionary_deltas=True)",
        "with ipc.new_stream(sys.argv[1], b1.schema, options=opts) as w:",
        '    w.write_batch(b1)',
        '    w.write_batch(b2)',
      ].join('\n');
      execFileSync(venvPython, ['-c', script, path]);
      const bytes = new Uint8Array(await readFile(path));
      const source = bufferByteSource('delta.arrows', bytes);

      // Act
      const batches = await readAll(source, ['d']);

      // Assess: values through the merged dictionary, nulls kept.
      const values = batches.map((b) => {
        const chunk = b.columns.get('d');
        if (chunk?.kind !== 'categorical') throw new Error('d is not categorical');
        return Array.from(chunk.indices, (i) => (i < 0 ? null : chunk.dictionary[i]));
      });
      expect(values).toEqual([
        ['a', 'b', 'b', null],
        ['c', 'a', 'c'],
      ]);
    } finally {
      await cleanup();
    }
  });

  it('reads an Arrow file from memory with the same values as from disk', async () => {
    // Prepare
    const path = batchFixture('pyarrow.arrow');
    const memory = bufferByteSource('memory.arrow', new Uint8Array(await readFile(path)));

    // Act
    const fromMemory = fold(await readAll(memory, ['i64', 's']));
    const fromDisk = fold(await readAll(await fileByteSource(path), ['i64', 's']));

    // Assess
    expect(fromMemory).toEqual(fromDisk);
    expect(fromMemory.get('i64')?.nulls).toBeGreaterThan(0);
  });

  it('reads a file twice (a second pass reopens an Arrow stream)', async () => {
    // Prepare
    const file = await openBatchFile(await fileByteSource(batchFixture('pyarrow.arrows')));

    // Act
    const counts: number[] = [];
    for (let pass = 0; pass < 2; pass++) {
      let rows = 0;
      for await (const batch of file.batches(['f64'])) rows += batch.rowCount;
      counts.push(rows);
    }

    // Assess
    expect(counts).toEqual([1200, 1200]);
  });

  it('passes on the byte source error itself, not a copy stringified by wasm', async () => {
    // Prepare
    const inner = await fileByteSource(batchFixture('gzip-dict.parquet'));
    let reads = 0;
    const failing: ByteSource = {
      name: 's3://bucket/batch.parquet',
      byteLength: inner.byteLength,
      read: async (start, end) => {
        reads++;
        // Simulated outage after the first (tail) read, so the failure happens inside the wasm decoder
        // (no emulator produces a failure after N successful ranged reads).
        if (reads > 1) throw new AdapterError('s3', 'GetObject s3://bucket/batch.parquet', { cause: new Error('SlowDown') });
        return inner.read(start, end);
      },
    };

    // Act
    const attempt = readAll(failing);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AdapterError);
    await expect(readAll(failing)).rejects.toThrow(/SlowDown/);
  });
});

describe('Rule: each reader imports only what sits below it', () => {
  const adapters = join(import.meta.dirname, '..', '..', 'functions', 'adapters');
  // [file, modules it must not import]: the dispatcher imports the readers, never the reverse, and neither
  // reader imports the other (what they share lives in batch-file, byte-views, chunk-buffers, arrow-*).
  const rules: [string, RegExp][] = [
    ['parquet-reader.ts', /from '\.\/(columnar-reader|arrow-ipc-[a-z]+)\.js'/],
    ['arrow-ipc-reader.ts', /from '\.\/(columnar-reader|parquet-[a-z-]+)\.js'/],
    ['arrow-ipc-body.ts', /from '\.\/(columnar-reader|arrow-ipc-reader|parquet-[a-z-]+)\.js'/],
    ['arrow-ipc-messages.ts', /from '\.\/(columnar-reader|arrow-ipc-reader|arrow-ipc-body|parquet-[a-z-]+)\.js'/],
    ['batch-file.ts', /from '\.\/[a-z-]+\.js'/],
    ['byte-views.ts', /from '\.\/[a-z-]+\.js'/],
  ];

  it.each(rules)('%s', async (file, forbidden) => {
    // Prepare
    const text = await readFile(join(adapters, file), 'utf8');

    // Act
    const imports = text.match(/from '\.\/[a-z0-9-]+\.js'/g) ?? [];

    // Assess
    expect(imports.filter((i) => forbidden.test(i))).toEqual([]);
  });
});
