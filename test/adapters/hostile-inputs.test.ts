import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBatchFile } from '../../functions/adapters/columnar-reader.js';
import { bufferByteSource, fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { signSources } from '../../functions/adapters/sign-sources.js';
import { ConfigError, InvalidInputError } from '../../functions/core/errors.js';
import { compareReadings, pyarrowRead, signInChild, writeSeeds, writeUnusual, type PyarrowReading } from '../fixtures/hostile/harness.js';
import { issueCases, mutants, type Mutant } from '../fixtures/hostile/mutate.js';
import type { SignedFile } from '../fixtures/hostile/sign-files.js';
import { tempDir } from '../support/fixtures.js';
import { mulberry32 } from '../../functions/core/random.js';

/** Fixed: the same 200 mutants on every run. */
const FUZZ_SEED = 20261201;
const MUTANTS = 200;
const MAX_RSS_BYTES = 512 * 1024 * 1024;
/** LZ4_FRAME-compressed Arrow IPC (test/fixtures/lz4/generate.py): mutants aimed at its frames, and generic ones. */
const LZ4_SEEDS = ['pyarrow-lz4.arrow', 'pyarrow-lz4.arrows'];
const LZ4_MUTANTS = 60;

/**
 * Seeded mutants of the LZ4 frames inside Arrow IPC buffers: a bit of a frame descriptor, a block size, a
 * block's tokens / offsets / literals flipped; a block size set huge; the buffer's uncompressed-length prefix
 * off by one or huge; the file cut inside a frame.
 */
function lz4Mutants(seeds: readonly { name: string; bytes: Uint8Array }[], count: number, seed: number): Mutant[] {
  const random = mulberry32(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const out: Mutant[] = [];
  for (let i = 0; i < count; i++) {
    const { name, bytes } = seeds[i % seeds.length];
    const frames: number[] = [];
    for (let at = 8; at + 4 <= bytes.byteLength; at++) {
      if (bytes[at] === 0x04 && bytes[at + 1] === 0x22 && bytes[at + 2] === 0x4d && bytes[at + 3] === 0x18) frames.push(at);
    }
    const at = frames[int(frames.length)];
    const copy = bytes.slice();
    const view = new DataView(copy.buffer);
    const blockSize = view.getUint32(at + 7, true) & 0x7fffffff;
    const choice = int(6);
    let note: string;
    let result: Uint8Array = copy;
    if (choice === 0) {
      const bit = 4 * 8 + int(3 * 8);
      copy[at + (bit >> 3)] ^= 1 << (bit & 7);
      note = `frame at ${at}: descriptor bit ${bit} flipped`;
    } else if (choice === 1) {
      const bit = int(32);
      copy[at + 7 + (bit >> 3)] ^= 1 << (bit & 7);
      note = `frame at ${at}: block size bit ${bit} flipped`;
    } else if (choice === 2) {
      const offset = at + 11 + int(Math.max(1, Math.min(blockSize, 64)));
      copy[offset] ^= 1 << int(8);
      note = `frame at ${at}: block byte ${offset - at - 11} flipped`;
    } else if (choice === 3) {
      view.setUint32(at + 7, 0x7fffffff, true);
      note = `frame at ${at}: block size 2^31 - 1`;
    } else if (choice === 4) {
      const length = view.getUint32(at - 8, true);
      view.setUint32(at - 8, int(2) === 0 ? length + 1 : 0x7fffffff, true);
      note = `frame at ${at}: uncompressed length prefix changed from ${length} to ${view.getUint32(at - 8, true)}`;
    } else {
      result = copy.subarray(0, at + 7 + int(Math.max(1, blockSize + 4)));
      note = `cut inside the frame at ${at}`;
    }
    out.push({ name: `lz4-${String(i).padStart(3, '0')}-${name}`, kind: 'bit-flip', seed: name, note, bytes: result });
  }
  return out;
}

/**
 * The one divergence from pyarrow the rule allows, counted and reported: an Arrow IPC zstd buffer whose
 * compressed bytes were damaged so that libzstd (pyarrow) detects the corruption but fzstd, the pure-JS
 * decoder driftgate ships, decodes it to the declared number of (wrong) bytes. Nothing else may be accepted
 * where pyarrow refuses.
 */
function allowedDivergence(mutant: Mutant, theirs: PyarrowReading | undefined): boolean {
  return mutant.seed === 'seed-zstd.arrow' && /ZSTD decompression failed/.test(theirs?.error ?? '');
}

let cleanup: () => Promise<void>;
let seeds: Map<string, Uint8Array>;
let fuzz: { mutant: Mutant; path: string }[];
let lz4Fuzz: { mutant: Mutant; path: string }[];
let unusual: string[];
let ours: Map<string, SignedFile>;
let theirs: Map<string, PyarrowReading>;
let maxRssBytes: number;

beforeAll(async () => {
  const temp = await tempDir('hostile-');
  cleanup = temp.cleanup;
  mkdirSync(join(temp.dir, 'seeds'));
  mkdirSync(join(temp.dir, 'unusual'));
  seeds = writeSeeds(join(temp.dir, 'seeds'));
  unusual = writeUnusual(join(temp.dir, 'unusual'));
  fuzz = mutants([...seeds].map(([name, bytes]) => ({ name, bytes })), MUTANTS, FUZZ_SEED).map((mutant) => {
    const path = join(temp.dir, mutant.name);
    writeFileSync(path, mutant.bytes);
    return { mutant, path };
  });
  const lz4Dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lz4');
  const lz4Seeds = LZ4_SEEDS.map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(lz4Dir, name))) }));
  lz4Fuzz = [...lz4Mutants(lz4Seeds, LZ4_MUTANTS, FUZZ_SEED), ...mutants(lz4Seeds, LZ4_MUTANTS / 3, FUZZ_SEED).map((m) => ({ ...m, name: `lz4-generic-${m.name}` }))].map((mutant) => {
    const path = join(temp.dir, mutant.name);
    writeFileSync(path, mutant.bytes);
    return { mutant, path };
  });
  const paths = [...fuzz.map((f) => f.path), ...lz4Fuzz.map((f) => f.path), ...unusual];
  // pyarrow once for every file; driftgate once, in a child process whose peak RSS is measured.
  [theirs, { readings: ours, maxRssBytes }] = await Promise.all([pyarrowRead(paths), signInChild(paths, 90_000)]);
}, 180_000);

afterAll(async () => {
  await cleanup?.();
});

describe('Function: signSources on hostile input (seeded fuzz)', () => {
  it(`refuses each of ${MUTANTS} mutants with one line naming it, or reads the rows, non-nulls and means pyarrow reads`, () => {
    // Prepare
    const problems: string[] = [];
    let divergences = 0;

    // Act
    for (const { mutant, path } of fuzz) {
      const found = compareReadings(ours.get(path), theirs.get(path));
      if (found.length > 0 && ours.get(path)?.ok && allowedDivergence(mutant, theirs.get(path))) {
        divergences++;
        continue;
      }
      for (const problem of found) problems.push(`${mutant.name} (${mutant.note}): ${problem}`);
    }

    // Assess
    expect(problems).toEqual([]);
    expect(divergences).toBeLessThanOrEqual(3);
    // The mutants exercise both outcomes and every kind of damage.
    const refused = fuzz.filter((f) => !ours.get(f.path)?.ok).length;
    expect(refused).toBeGreaterThan(MUTANTS / 2);
    expect(refused).toBeLessThan(MUTANTS);
    expect(new Set(fuzz.map((f) => f.mutant.kind))).toEqual(new Set(['bit-flip', 'footer', 'header', 'dictionary', 'special-int', 'truncate', 'hole']));
  });

  it(`refuses each of ${LZ4_MUTANTS + LZ4_MUTANTS / 3} LZ4_FRAME mutants with one line naming it, or reads what pyarrow reads`, () => {
    // Act
    const problems = lz4Fuzz.flatMap(({ mutant, path }) => compareReadings(ours.get(path), theirs.get(path)).map((p) => `${mutant.name} (${mutant.note}): ${p}`));
    const refused = lz4Fuzz.filter((f) => !ours.get(f.path)?.ok);

    // Assess: both outcomes occur (a flipped literal decodes to other values, as in pyarrow).
    expect(problems).toEqual([]);
    expect(refused.length).toBeGreaterThan(lz4Fuzz.length / 2);
    expect(refused.length).toBeLessThan(lz4Fuzz.length);
    expect(refused.some((f) => /LZ4 frame byte \d+: /.test(ours.get(f.path)?.error?.message ?? ''))).toBe(true);
  });

  it('reads the valid-but-unusual files as pyarrow does, or refuses them with one line naming them', () => {
    // Act
    const problems = unusual.flatMap((path) => compareReadings(ours.get(path), theirs.get(path)).map((p) => `${path}: ${p}`));
    const refused = unusual.filter((path) => !ours.get(path)?.ok).map((path) => ours.get(path)?.error?.message).sort();

    // Assess: only the duplicate column names are refused (the signature keys columns by name).
    expect(problems).toEqual([]);
    expect(refused).toEqual([
      expect.stringMatching(/u-duplicate-names\.arrows: column "x" appears twice in the schema$/),
      expect.stringMatching(/u-duplicate-names\.parquet: column "x" appears twice in the schema$/),
    ]);
  });

  it('signs all of them in one process under 512 MB of peak RSS, none over 30 s', () => {
    // Assess
    expect(maxRssBytes).toBeGreaterThan(0);
    expect(maxRssBytes).toBeLessThan(MAX_RSS_BYTES);
    expect(Math.max(...[...ours.values()].map((r) => r.ms ?? 0))).toBeLessThan(30_000);
  });
});

describe('Issue: hostile input and faults (named cases)', () => {
  const cases = (): Map<string, Mutant> => new Map(issueCases(seeds).map((m) => [m.name, m]));
  const attempt = async (name: string, bytes: Uint8Array, reader?: { memoryBudget?: number; parquetDecoder?: 'native' | 'wasm' }): Promise<unknown> =>
    signSources([bufferByteSource(name, bytes)], { reader }).then(
      () => undefined,
      (error: unknown) => error,
    );

  it('refuses a dictionary page claiming 2^31 - 1 bytes before allocating, naming the file, column, row group and field', async () => {
    // Prepare
    const mutant = cases().get('issue-dictionary-2g.parquet')!;
    const before = process.memoryUsage().rss;

    // Act
    const error = await attempt(mutant.name, mutant.bytes);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe(
      "issue-dictionary-2g.parquet: column 'f64': failed to decode row group 0: the dictionary page at byte 4 declares 2147483647 uncompressed bytes (uncompressed_page_size), over the 256 MiB memory budget",
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024);
  });

  it.each([
    ['issue-num-rows-0.parquet', /the footer declares 0 rows \(num_rows\) but its row groups hold 2000$/],
    ['issue-num-rows-2e62.parquet', /the footer declares 4611686018427388000 rows \(num_rows\) but its row groups hold 2000$/],
    ['issue-double-as-int32.parquet', /column 'f64': physical type INT32 contradicts its ARROW:schema type Float64$/],
    ['issue-double-as-bytes.parquet', /column 'f64': physical type BYTE_ARRAY contradicts its ARROW:schema type Float64$/],
    ['issue-double-as-int32-duckdb.parquet', /row group 0, column 'f64': its statistics' max has 8 bytes, not the 4 of physical type INT32$/],
    ['issue-arrow-footer-2g.arrow', /the Arrow file's footer length 2147483647 does not fit in the file/],
    ['issue-arrow-footer-negative.arrow', /the Arrow file's footer length -16 does not fit in the file/],
    ['issue-arrow-footer-too-long.arrow', /footer length \d+ does not fit in the file/],
  ])('refuses %s with InvalidInputError naming the file and the field, never a wrong figure', async (name: string, reason: RegExp) => {
    // Prepare
    const mutant = cases().get(name)!;

    // Act
    const error = await attempt(name, mutant.bytes);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).file).toBe(name);
    expect((error as Error).message).toMatch(new RegExp(`^${name.replaceAll('.', '\\.')}: `));
    expect((error as Error).message).toMatch(reason);
  });

  it('reports a double column retyped BYTE_ARRAY in a file without ARROW:schema as binary, never as numbers', async () => {
    // Prepare: nothing in such a footer contradicts the new type; the column reads as binary, which the
    // signature skips (pyarrow refuses it only when it decodes the pages, which driftgate never reads).
    const mutant = cases().get('issue-double-as-bytes-duckdb.parquet')!;

    // Act
    const signature = await signSources([bufferByteSource(mutant.name, mutant.bytes)]);

    // Assess
    expect(signature.schema.find((f) => f.name === 'f64')).toMatchObject({ type: 'other', sourceType: 'Binary' });
    expect(signature.columns.f64).toBeUndefined();
    expect(signature.columns.i64).toMatchObject({ kind: 'numeric', count: 2000 });
  });

  it('reports a parquet-wasm panic with the file, the column and the row group; the native decoder names the page', async () => {
    // Prepare: one bit of a zstd data page flipped makes parquet-wasm 0.8 trap (found by the fuzz). The native
    // decoder (zstd in place, wasm-zstd.ts) reads the same page as a corrupt frame.
    const bytes = seeds.get('seed-v2-zstd.parquet')!.slice();
    bytes[96575 >> 3] ^= 1 << (96575 & 7);

    // Act
    const wasm = await attempt('panic.parquet', bytes, { parquetDecoder: 'wasm' });
    const native = await attempt('panic.parquet', bytes);

    // Assess
    expect(wasm).toBeInstanceOf(InvalidInputError);
    expect((wasm as Error).message).toMatch(/^panic\.parquet: column 'ts': failed to decode row group 0: parquet-wasm panicked \(unreachable\)/);
    expect(native).toBeInstanceOf(InvalidInputError);
    expect((native as Error).message).toMatch(/^panic\.parquet: column 'ts': failed to decode row group 0: the data page at byte \d+: its zstd body does not decompress/);
  });

  it.each(['u-duplicate-names.parquet', 'u-duplicate-names.arrows'])('names the file, not <schema>, for the duplicate columns of %s', async (name: string) => {
    // Prepare
    const path = unusual.find((p) => p.endsWith(name))!;

    // Act
    const error = await signSources([await fileByteSource(path)]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).file).toBe(path);
    expect((error as Error).message).toBe(`${path}: column "x" appears twice in the schema`);
  });
});

describe('Function: openBatchFile memory budget', () => {
  it.each([
    ['seed-dict-snappy.parquet', /row group 0 declares 700 rows \(num_rows\): one decoded column needs 5600 bytes, over the 4 KiB memory budget/],
    ['seed.arrow', /record batch 0: the batch declares 700 rows: one converted column needs 5600 bytes, over the 4 KiB memory budget/],
  ])('refuses %s under a 4 KiB budget, naming the field', async (name: string, reason: RegExp) => {
    // Prepare
    const source = bufferByteSource(name, seeds.get(name)!);

    // Act
    const error = await (async () => {
      const file = await openBatchFile(source, { memoryBudget: 4096 });
      for await (const batch of file.batches()) void batch;
    })().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(reason);
  });

  it('reads every seed under the default budget and refuses a budget that is not a positive integer', async () => {
    // Act
    const rows: number[] = [];
    for (const [name, bytes] of seeds) rows.push((await signSources([bufferByteSource(name, bytes)])).rowCount);
    const bad = await openBatchFile(bufferByteSource('x.parquet', seeds.get('seed-dict-snappy.parquet')!), { memoryBudget: -1 }).catch((e: unknown) => e);

    // Assess
    expect(rows).toEqual([...seeds.keys()].map(() => 2000));
    expect(bad).toBeInstanceOf(ConfigError);
  });
});
