import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openBatchFile } from '../../functions/adapters/columnar-reader.js';
import { bufferByteSource, fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { decodeLz4Frame, Lz4FrameError, xxh32 } from '../../functions/adapters/lz4-frame.js';
import type { ColumnBatch } from '../../functions/core/columns.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import type { ExpectedBatchFile } from '../support/fixtures.js';

/** Fixtures written by test/fixtures/lz4/generate.py (pyarrow, and the reference `lz4` tool). */
const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lz4');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  files: ExpectedBatchFile[];
  frames: { file: string; length: number; sha256: string; flg: number; bd: number }[];
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const u32le = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];

/** A frame around the given blocks (each `{ data, stored }`), with the options' checksums computed. */
function frame(blocks: { data: Uint8Array; stored?: boolean }[], opts: { blockChecksum?: boolean; contentChecksum?: Uint8Array; contentSize?: number; independent?: boolean } = {}): Uint8Array {
  const flg = 0x40 | (opts.independent ? 0x20 : 0) | (opts.blockChecksum ? 0x10 : 0) | (opts.contentSize !== undefined ? 0x08 : 0) | (opts.contentChecksum ? 0x04 : 0);
  const descriptor = [flg, 0x40, ...(opts.contentSize !== undefined ? [...u32le(opts.contentSize), 0, 0, 0, 0] : [])];
  const hc = (xxh32(Uint8Array.from(descriptor), 0, descriptor.length) >>> 8) & 0xff;
  const out = [...u32le(0x184d2204), ...descriptor, hc];
  for (const block of blocks) {
    out.push(...u32le(block.data.byteLength | (block.stored ? 0x80000000 : 0)), ...block.data);
    if (opts.blockChecksum) out.push(...u32le(xxh32(block.data, 0, block.data.byteLength)));
  }
  out.push(0, 0, 0, 0);
  if (opts.contentChecksum) out.push(...u32le(xxh32(opts.contentChecksum, 0, opts.contentChecksum.byteLength)));
  return Uint8Array.from(out);
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

async function readAll(path: string): Promise<{ batches: ColumnBatch[]; format: string; rowCount: number | undefined }> {
  const file = await openBatchFile(await fileByteSource(path));
  const batches: ColumnBatch[] = [];
  for await (const batch of file.batches()) batches.push(batch);
  return { batches, format: file.format, rowCount: file.rowCount };
}

describe('Function: xxh32', () => {
  it.each([
    ['', 0x02cc5d05],
    ['a', 0x550d7456],
    ['abc', 0x32d153ff],
    ['Nobody inspects the spammish repetition', 0xe2293b2f],
  ])('hashes %j as the reference xxHash32 (seed 0)', (text: string, hash: number) => {
    // Prepare
    const input = ascii(text);

    // Act
    const found = xxh32(input, 0, input.byteLength);

    // Assess
    expect(found).toBe(hash);
  });
});

describe('Function: decodeLz4Frame', () => {
  it('covers linked and independent blocks, block and content checksums, content sizes and stored blocks', () => {
    // Prepare
    const flags = expected.frames.map((f) => f.flg);

    // Act
    const linked = flags.some((f) => (f & 0x20) === 0);
    const independent = flags.some((f) => (f & 0x20) !== 0);

    // Assess
    expect(linked && independent).toBe(true);
    expect(flags.some((f) => (f & 0x10) !== 0)).toBe(true);
    expect(flags.some((f) => (f & 0x08) !== 0)).toBe(true);
    expect(flags.some((f) => (f & 0x04) !== 0)).toBe(true);
    expect(new Set(expected.frames.map((f) => f.bd))).toEqual(new Set([0x40, 0x50]));
  });

  it.each(expected.frames.map((f) => [f.file, f] as const))('decodes %s to the bytes the writer compressed', (_name, f) => {
    // Prepare
    const input = new Uint8Array(readFileSync(join(DIR, f.file)));

    // Act
    const output = decodeLz4Frame(input, f.length);

    // Assess
    expect(output.byteLength).toBe(f.length);
    expect(sha256(output)).toBe(f.sha256);
  });

  it('copies overlapping matches (runs) and matches reaching into the previous linked block', () => {
    // Prepare: block 1 = literals "abc"; block 2 = a match 3 back (into block 1) of 9 bytes, then literal "Z".
    const first = bytes(0x30, ...ascii('abc'));
    const second = bytes(0x05, 3, 0, 0x10, ...ascii('Z'));

    // Act
    const linked = decodeLz4Frame(frame([{ data: first }, { data: second }]), 13);
    const independent = (): Uint8Array => decodeLz4Frame(frame([{ data: first }, { data: second }], { independent: true }), 13);

    // Assess
    expect(new TextDecoder().decode(linked)).toBe('abcabcabcabcZ');
    expect(independent).toThrow(/match offset 3 reaches before the data it may copy from/);
  });

  it('checks block and content checksums when the frame carries them', () => {
    // Prepare
    const data = ascii('stored block of plain bytes');
    const good = frame([{ data, stored: true }], { blockChecksum: true, contentChecksum: data, contentSize: data.byteLength });
    const badBlock = good.slice();
    badBlock[good.byteLength - 4 - 4 - 4 - 1] ^= 1; // the last data byte: the block checksum no longer matches
    const badContent = good.slice();
    badContent[good.byteLength - 1] ^= 1;

    // Act
    const decoded = decodeLz4Frame(good, data.byteLength);

    // Assess
    expect(decoded).toEqual(data);
    expect(() => decodeLz4Frame(badBlock, data.byteLength)).toThrow(/block checksum mismatch/);
    expect(() => decodeLz4Frame(badContent, data.byteLength)).toThrow(/content checksum mismatch/);
    expect(() => decodeLz4Frame(good, data.byteLength + 1)).toThrow(/declares 27 content bytes, its buffer 28/);
  });

  it.each([
    ['a bad magic number', bytes(1, 2, 3, 4, 0x40, 0x40, 0, 0, 0, 0, 0), 0, /bad magic number/],
    ['a truncated descriptor', bytes(4, 0x22, 0x4d, 0x18, 0x40), 0, /descriptor runs past the end/],
    ['a bad header checksum', bytes(4, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00, 0, 0, 0, 0), 0, /header checksum/],
    ['a wrong version', bytes(4, 0x22, 0x4d, 0x18, 0x80, 0x40, 0x00), 0, /frame version 2/],
    ['an undefined block size code', bytes(4, 0x22, 0x4d, 0x18, 0x40, 0x10, 0x00), 0, /block maximum size code 1/],
    ['no EndMark', frame([{ data: bytes(0x30, 1, 2, 3) }]).subarray(0, 15), 3, /a block size runs past the end/],
    ['a block past the input', frame([{ data: bytes(0x30, 1, 2, 3) }]).subarray(0, 13), 3, /a block of 4 bytes runs past the end/],
    ['a block over the maximum size', frame([{ data: new Uint8Array(65537), stored: true }]), 65537, /over the frame's 65536-byte maximum/],
    ['literals past the block', frame([{ data: bytes(0x50, 1, 2, 3) }]), 5, /5 literals run past the end of their block/],
    ['a literal length past the block', frame([{ data: bytes(0xf0, 255) }]), 300, /a literal length runs past the end/],
    ['match offset 0', frame([{ data: bytes(0x10, 7, 0, 0) }]), 9, /match offset 0/],
    ['a match before the start', frame([{ data: bytes(0x10, 7, 2, 0) }]), 9, /match offset 2 reaches before/],
    ['a match past the declared length', frame([{ data: bytes(0x1f, 7, 1, 0, 255, 255, 255, 255, 1) }]), 64, /a match takes the content past its declared 64 bytes/],
    ['literals past the declared length', frame([{ data: bytes(0x40, 1, 2, 3, 4) }]), 3, /literals take the content past its declared 3 bytes/],
    ['fewer bytes than declared', frame([{ data: bytes(0x30, 1, 2, 3) }]), 4, /decodes to 3 bytes, its buffer declares 4/],
    ['bytes after the frame', Uint8Array.from([...frame([{ data: bytes(0x30, 1, 2, 3) }]), 9]), 3, /1 bytes after the end of the frame/],
    ['a dictionary id', bytes(4, 0x22, 0x4d, 0x18, 0x41, 0x40, 0, 0, 0, 0, 0), 0, /needs a dictionary/],
  ])('refuses %s with an Lz4FrameError naming the byte', (_what: string, input: Uint8Array, length: number, message: RegExp) => {
    // Act
    const attempt = (): Uint8Array => decodeLz4Frame(input, length);

    // Assess
    expect(attempt).toThrow(Lz4FrameError);
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(/^LZ4 frame byte \d+: /);
  });
});

describe('Function: openBatchFile on LZ4_FRAME-compressed Arrow IPC', () => {
  it('finds the three pyarrow fixtures (file, stream, Feather default)', () => {
    // Assess
    expect(expected.files.map((f) => f.file)).toEqual(['pyarrow-lz4.arrow', 'pyarrow-lz4.arrows', 'feather-default.feather']);
  });

  it.each(expected.files.map((f) => [f.file, f] as const))('reads %s with the rows, nulls, sums and counts pyarrow found', async (_name, f) => {
    // Act
    const { batches, format, rowCount } = await readAll(join(DIR, f.file));

    // Assess
    expect(format).toBe(f.format);
    expect(rowCount).toBe(f.format === 'arrow-stream' ? undefined : f.rowCount);
    expect(batches.map((b) => b.rowCount)).toEqual(f.batchRows);
    for (const [name, column] of Object.entries(f.columns)) {
      const chunks = batches.map((b) => b.columns.get(name));
      if (column.kind === 'other') continue;
      let nulls = 0;
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      const counts: Record<string, number> = {};
      for (const chunk of chunks) {
        expect(chunk, `column ${name}`).toBeDefined();
        for (let i = 0; i < chunk!.length; i++) {
          if (chunk!.kind === 'numeric') {
            if (chunk!.nulls?.[i] === 1) nulls++;
            else {
              const v = chunk!.values[i];
              sum += v;
              min = Math.min(min, v);
              max = Math.max(max, v);
            }
          } else if (chunk!.indices[i] < 0) nulls++;
          else counts[chunk!.dictionary[chunk!.indices[i]]] = (counts[chunk!.dictionary[chunk!.indices[i]]] ?? 0) + 1;
        }
      }
      expect(nulls, `nulls of ${name}`).toBe(column.nulls);
      if (column.kind === 'numeric') {
        expect(Math.abs(sum - column.sum), `sum of ${name}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(column.sum)));
        expect([min, max], `min and max of ${name}`).toEqual([column.min, column.max]);
      } else {
        expect(counts, `values of ${name}`).toEqual(column.counts);
      }
    }
  });

  it('refuses a damaged LZ4 buffer with InvalidInputError naming the file, the batch and the buffer', async () => {
    // Prepare: the first LZ4 frame's magic number (in the 'cat' column's dictionary batch), damaged.
    const path = join(DIR, 'pyarrow-lz4.arrow');
    const data = new Uint8Array(readFileSync(path));
    const at = data.findIndex((_, i) => data[i] === 0x04 && data[i + 1] === 0x22 && data[i + 2] === 0x4d && data[i + 3] === 0x18);
    const damaged = data.slice();
    damaged[at] = 0x05;

    // Act
    const error = await (async () => {
      const file = await openBatchFile(bufferByteSource('damaged.arrow', damaged));
      for await (const batch of file.batches()) void batch;
    })().catch((e: unknown) => e);

    // Assess
    expect(at).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toMatch(/^damaged\.arrow: failed to decode Arrow dictionary batch 0: buffer \d+: LZ4 frame byte 0: not an LZ4 frame/);
  });
});
