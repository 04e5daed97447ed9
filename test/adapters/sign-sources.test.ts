import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { ConfigError, InvalidInputError } from '../../functions/core/errors.js';
import { signSources, type SignProgress } from '../../functions/adapters/sign-sources.js';
import { batchExpectations, batchFixture, countingSource, tempDir, writeWideParquet } from '../support/fixtures.js';

const expected = new Map(batchExpectations().files.map((f) => [f.file, f]));

describe('Function: signSources', () => {
  it('keeps date and timestamp columns as the time axis in ms since epoch, as pyarrow reads them', async () => {
    // Prepare: a regression guard — the reader delivers dates in ms, so the signature must not rescale them.
    const file = expected.get('zstd-plain.parquet')!;
    const d = file.columns.d;
    if (d.kind !== 'numeric') throw new Error('fixture kinds changed');

    // Act
    const signature = await signSources([await fileByteSource(batchFixture('zstd-plain.parquet'))]);

    // Assess
    expect(signature.columns.d).toMatchObject({ kind: 'time', type: 'date', min: d.min, max: d.max, nulls: d.nulls });
    expect(new Date(signature.columns.d.kind === 'time' ? signature.columns.d.max! : NaN).getUTCFullYear()).toBeLessThan(2100);
  });

  it('signs two files of different formats into one merged signature matching pyarrow', async () => {
    // Prepare: the same table written as Parquet (zstd, delta) and as an Arrow stream.
    const parquet = await fileByteSource(batchFixture('zstd-delta.parquet'));
    const stream = await fileByteSource(batchFixture('pyarrow.arrows'));
    const progress: SignProgress[] = [];
    const f64 = expected.get('pyarrow.arrows')!.columns.f64;
    const b = expected.get('pyarrow.arrows')!.columns.b;
    if (f64.kind !== 'numeric' || b.kind !== 'categorical') throw new Error('fixture kinds changed');

    // Act
    const signature = await signSources([stream, parquet], { onProgress: (p) => progress.push(p) });

    // Assess
    expect(signature.rowCount).toBe(2400);
    expect(signature.sources).toEqual([parquet.name, stream.name].sort());
    const numeric = signature.columns.f64;
    expect(numeric.kind).toBe('numeric');
    if (numeric.kind !== 'numeric') return;
    expect(numeric.count).toBe(2400);
    expect(numeric.nulls).toBe(2 * f64.nulls);
    expect(numeric.min).toBe(f64.min);
    expect(numeric.max).toBe(f64.max);
    expect(numeric.mean).toBeCloseTo(f64.sum / (1200 - f64.nulls), 9);
    const flag = signature.columns.b;
    expect(flag.kind).toBe('categorical');
    if (flag.kind !== 'categorical') return;
    expect(Object.fromEntries(flag.top)).toEqual({ false: 2 * b.counts.false, true: 2 * b.counts.true });
    expect(flag.nulls).toBe(2 * b.nulls);
    // The dictionary-less delta file has no 'cat' column; the stream has it: the merge keeps it, and counts the
    // delta file's 1200 rows as nulls (they have no value), so its null share is true for the merged window.
    const cat = expected.get('pyarrow.arrows')!.columns.cat;
    if (cat.kind !== 'categorical') throw new Error('fixture kinds changed');
    expect(signature.columns.cat?.count).toBe(2400);
    expect(signature.columns.cat?.nulls).toBe(cat.nulls + 1200);
    expect(signature.columns.lst).toBeUndefined();
    // Progress: a start event and one per batch for each file, ending at the file's row count.
    expect(progress.filter((p) => p.file === stream.name).map((p) => p.rowsDone)).toEqual([0, 300, 600, 900, 1200]);
    expect(progress.filter((p) => p.file === parquet.name).at(-1)).toEqual({ file: parquet.name, rowsDone: 1200, rowsTotal: 1200 });
    expect(progress.find((p) => p.file === stream.name)?.rowsTotal).toBeUndefined();
  });

  it('reads only the columns the signature needs', async () => {
    // Prepare: every column but one ignored, on a ~8 MiB DuckDB file.
    const { dir, cleanup } = await tempDir('sign-columns-');
    try {
      const path = join(dir, 'wide.parquet');
      await writeWideParquet(path, 200_000, 50_000);
      const all = countingSource(await fileByteSource(path));
      const one = countingSource(await fileByteSource(path));
      const names = ['f0', 'f1', 'f2', 'f3', 'i0', 'i1', 'i2', 'i3', 's0', 's1', 'b', 't'];
      const roles = Object.fromEntries(names.map((n) => [n, 'ignored' as const]));

      // Act
      const full = await signSources([all]);
      const signature = await signSources([one], { roles: { ...roles, i1: 'numeric' } });

      // Assess
      expect(Object.keys(full.columns).sort()).toEqual(names.sort());
      expect(Object.keys(signature.columns)).toEqual(['i1']);
      expect(signature.columns.i1).toMatchObject({ count: 200_000, nulls: 0, min: 0, max: 999 });
      expect(one.stats.bytes).toBeLessThan(all.stats.bytes / 8);
    } finally {
      await cleanup();
    }
  });

  it('names the bad file when one of several sources is not a batch file', async () => {
    // Prepare
    const good = await fileByteSource(batchFixture('gzip-plain.parquet'));
    const bad = await fileByteSource(batchFixture('bad-table.csv'));

    // Act
    const attempt = signSources([good, bad]);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(`${bad.name}: not a Parquet or Arrow IPC file`);
  });

  it('refuses an empty list of sources', async () => {
    // Act
    const attempt = signSources([]);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
  });
});
