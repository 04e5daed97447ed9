import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openBatchFile, type BatchOptions } from '../../functions/adapters/columnar-reader.js';
import { fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import type { ColumnBatch, NumericChunk } from '../../functions/core/columns.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { serializeSignature, SignatureBuilder } from '../../functions/core/signature/index.js';

// Parquet files written by pyarrow and DuckDB (test/fixtures/batches/generate.py, scaleout/make-ranges.py).
const dir = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}/`, import.meta.url));
const BATCHES = readdirSync(dir('batches')).filter((f) => f.endsWith('.parquet') && !f.startsWith('bad-'));
const FILES = [...BATCHES.map((f) => `${dir('batches')}${f}`), `${dir('scaleout')}ranges.parquet`, `${dir('scaleout')}small.parquet`];
const RANGES = `${dir('scaleout')}ranges.parquet`;

async function signWith(path: string, options: BatchOptions): Promise<string> {
  const file = await openBatchFile(await fileByteSource(path));
  const builder = new SignatureBuilder(file.schema, { histogramBins: 20 });
  for await (const batch of file.batches(builder.columns, options)) builder.add(batch);
  return serializeSignature(builder.finish([path]));
}

async function collect(path: string, options: BatchOptions): Promise<ColumnBatch[]> {
  const file = await openBatchFile(await fileByteSource(path));
  const out: ColumnBatch[] = [];
  for await (const batch of file.batches(undefined, options)) out.push(batch);
  return out;
}

describe('Function: ParquetBatchFile.batches with columnParts', () => {
  it.each(FILES.map((f) => [f.split('/fixtures/')[1], f]))('%s: column parts sign bit-identically to whole row groups', async (_, path) => {
    // Prepare
    const whole = await signWith(path, { reuseBuffers: true });

    // Act
    const parts = await signWith(path, { reuseBuffers: true, columnParts: true });

    // Assess
    expect(parts).toBe(whole);
  });

  it('reads the stored bytes of parts into a few reused buffers: the values equal fresh reads', async () => {
    // Prepare: a source that reads as the file does, noting the buffers the reader offers.
    const base = await fileByteSource(RANGES);
    const offered = new Set<ArrayBufferLike>();
    let reads = 0;
    const source = {
      name: base.name,
      byteLength: base.byteLength,
      read: (start: number, end: number, into?: Uint8Array): Promise<Uint8Array> => {
        if (into !== undefined) {
          offered.add(into.buffer);
          reads++;
        }
        return base.read(start, end, into);
      },
    };
    const file = await openBatchFile(source);
    const builder = new SignatureBuilder(file.schema, { histogramBins: 20 });

    // Act
    for await (const batch of file.batches(builder.columns, { reuseBuffers: true, columnParts: true })) builder.add(batch);

    // Assess: the reads outside the cached tail (64 KiB) of 16 row groups, through at most READ_AHEAD_PARTS + 1 buffers.
    expect(reads).toBeGreaterThan(30);
    expect(offered.size).toBeLessThanOrEqual(9);
    expect(serializeSignature(builder.finish([RANGES]))).toBe(await signWith(RANGES, { reuseBuffers: true }));
  });

  it.each([
    ['a local file (readAheadBytes 0)', 0, 1],
    ['an object store (the reader default, 16 MiB)', undefined, 2],
  ] as const)('reads ahead as the source asks: %s', async (_, readAheadBytes, minAhead) => {
    // Prepare: a source that reads as the file does, noting the reads in flight.
    const base = await fileByteSource(RANGES);
    let pending = 0;
    let mostPending = 0;
    const source = {
      name: base.name,
      byteLength: base.byteLength,
      ...(readAheadBytes !== undefined ? { readAheadBytes } : {}),
      read: async (start: number, end: number, into?: Uint8Array): Promise<Uint8Array> => {
        mostPending = Math.max(mostPending, ++pending);
        // Let the reader run on before this read completes, as a slow disk or a GET would.
        await new Promise((resolve) => setTimeout(resolve, 2));
        try {
          return await base.read(start, end, into);
        } finally {
          pending--;
        }
      },
    };
    const file = await openBatchFile(source);
    const builder = new SignatureBuilder(file.schema, { histogramBins: 20 });

    // Act
    for await (const batch of file.batches(builder.columns, { reuseBuffers: true, columnParts: true })) builder.add(batch);

    // Assess: the next part is in flight while the caller works; beyond it only what the source asks for.
    expect(mostPending).toBeGreaterThanOrEqual(minAhead);
    if (readAheadBytes === 0) expect(mostPending).toBe(1);
    expect(serializeSignature(builder.finish([RANGES]))).toBe(await signWith(RANGES, { reuseBuffers: true }));
  });

  it('a local file source asks for no read-ahead beyond the next read', async () => {
    expect((await fileByteSource(RANGES)).readAheadBytes).toBe(0);
  });

  it('hands out each row group one column at a time, the last part carrying its rows', async () => {
    // Prepare
    const file = await openBatchFile(await fileByteSource(RANGES));
    const names = file.schema.filter((f) => f.type !== 'other').map((f) => f.name);

    // Act
    const parts = await collect(RANGES, { columnParts: true });

    // Assess: 16 row groups of 400 rows, each column once per group, in schema order.
    expect(parts).toHaveLength(16 * names.length);
    parts.forEach((part, k) => {
      expect([...part.columns.keys()]).toEqual([names[k % names.length]]);
      expect(part.rowCount).toBe(400);
      expect(part.part).toEqual(k % names.length === names.length - 1 ? { unitRows: 400 } : {});
    });
  });

  it('with reuseBuffers, every numeric part is a view of the same buffer: memory is one column chunk', async () => {
    // Prepare
    const file = await openBatchFile(await fileByteSource(RANGES));
    const buffers = new Set<ArrayBufferLike>();
    let numeric = 0;

    // Act: consume each part before asking for the next, as SignatureBuilder does.
    for await (const part of file.batches(undefined, { reuseBuffers: true, columnParts: true })) {
      for (const chunk of part.columns.values()) {
        if (chunk.kind !== 'numeric') continue;
        numeric++;
        buffers.add((chunk as NumericChunk).values.buffer);
      }
    }

    // Assess
    expect(numeric).toBeGreaterThan(16);
    expect(buffers.size).toBe(1);
  });

  it('a range with column parts yields exactly the range', async () => {
    // Prepare
    const values = (batches: ColumnBatch[]): number[] =>
      batches.flatMap((b) => {
        const chunk = b.columns.get('i64') as NumericChunk | undefined;
        return chunk ? [...chunk.values.slice(0, b.rowCount)] : [];
      });
    const all = values(await collect(RANGES, {}));

    // Act
    const ranged = values(await collect(RANGES, { columnParts: true, range: { start: 5, end: 9 } }));

    // Assess
    expect(ranged).toEqual(all.slice(5 * 400, 9 * 400));
  });

  it.each(['bad-page-data.parquet', 'bad-page-header.parquet'])('%s: a corrupt page names its column and row group, as whole row groups do', async (name) => {
    // Prepare
    const path = `${dir('batches')}${name}`;

    // Act
    const error = await collect(path, { columnParts: true }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain("column 'f64': failed to decode row group 2");
  });

  it('signSources counts progress once per row group with column parts', async () => {
    // Prepare
    const seen: number[] = [];

    // Act
    const signature = await signSources([await fileByteSource(RANGES)], { onProgress: (p) => seen.push(p.rowsDone) });

    // Assess
    expect(signature.rowCount).toBe(6400);
    expect(seen).toEqual(Array.from({ length: 17 }, (_, i) => i * 400));
  });

  it('successive reads in one thread reuse the same work buffers (chunk-buffers.ts IdleSets)', async () => {
    // Prepare
    const numericBuffers = async (): Promise<Set<ArrayBufferLike>> => {
      const file = await openBatchFile(await fileByteSource(RANGES));
      const buffers = new Set<ArrayBufferLike>();
      for await (const part of file.batches(undefined, { reuseBuffers: true, columnParts: true })) {
        for (const chunk of part.columns.values()) if (chunk.kind === 'numeric') buffers.add((chunk as NumericChunk).values.buffer);
      }
      return buffers;
    };

    // Act
    const first = await numericBuffers();
    const second = await numericBuffers();

    // Assess: one buffer each time, and the same one.
    expect(first.size).toBe(1);
    expect([...second]).toEqual([...first]);
  });

  it('two reads interleaved in one thread each get their own buffers: both sign as they do alone', async () => {
    // Prepare
    const other = FILES.find((f) => f.endsWith('none-dict.parquet'))!;
    const alone = [await signWith(RANGES, { reuseBuffers: true }), await signWith(other, { reuseBuffers: true })];
    const files = [await openBatchFile(await fileByteSource(RANGES)), await openBatchFile(await fileByteSource(other))];
    const builders = files.map((f) => new SignatureBuilder(f.schema, { histogramBins: 20 }));
    const iterators = files.map((f, i) => f.batches(builders[i].columns, { reuseBuffers: true, columnParts: true })[Symbol.asyncIterator]());

    // Act: one part of each in turn, until both end.
    const done = [false, false];
    while (!done.every(Boolean)) {
      for (const i of [0, 1]) {
        if (done[i]) continue;
        const next = await iterators[i].next();
        if (next.done === true) done[i] = true;
        else builders[i].add(next.value);
      }
    }

    // Assess
    expect([serializeSignature(builders[0].finish([RANGES])), serializeSignature(builders[1].finish([other]))]).toEqual(alone);
  });

  it('a read stopped early or failed leaves the next read in the thread bit-identical', async () => {
    // Prepare
    const expected = await signWith(RANGES, { reuseBuffers: true });
    const early = await openBatchFile(await fileByteSource(RANGES));
    let taken = 0;
    const bad = await openBatchFile(await fileByteSource(`${dir('batches')}bad-page-data.parquet`));

    // Act: stop one read after three parts (its reads ahead still in flight), fail another on a corrupt page.
    for await (const _ of early.batches(undefined, { reuseBuffers: true, columnParts: true })) if (++taken === 3) break;
    const failure = await (async () => {
      for await (const _ of bad.batches(undefined, { reuseBuffers: true, columnParts: true })) void _;
    })().catch((error: unknown) => error);
    const after = await signWith(RANGES, { reuseBuffers: true, columnParts: true });

    // Assess
    expect(taken).toBe(3);
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(after).toBe(expected);
  });
});
