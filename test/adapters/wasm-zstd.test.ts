/**
 * The in-place zstd decoder (functions/adapters/wasm-zstd.ts) on frames real writers wrote: every zstd page of
 * the pyarrow and DuckDB fixtures (test/fixtures/parquet-native/generate.py), against hyparquet-compressors'
 * decoder (an independent implementation); and hostile frames, which must fail, never write past the capacity.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decompressZstd } from 'hyparquet-compressors';
import { describe, expect, it } from 'vitest';
import { pickZstd, wasmZstd, wasmZstdUnavailable, zstdDecoder } from '../../functions/adapters/wasm-zstd.js';
import { zstdPagesOf } from '../support/zstd-pages.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'parquet-native');
/** Every zstd page body of a fixture file, with its declared uncompressed size. */
function zstdPages(name: string): { body: Uint8Array; size: number }[] {
  return zstdPagesOf(name, new Uint8Array(readFileSync(join(FIXTURES, name)))).pages;
}

const decode = (): NonNullable<ReturnType<typeof wasmZstd>> => {
  const zstd = wasmZstd();
  if (zstd === undefined) throw new Error(`wasm-zstd did not load: ${wasmZstdUnavailable()}`);
  return zstd;
};

describe('wasmZstd (zstd pages in place)', () => {
  it('loads on this Node and passes its own round trip', () => {
    // Assess
    expect(wasmZstdUnavailable()).toBeUndefined();
    expect(typeof wasmZstd()).toBe('function');
  });

  it.each(['codecs-v1.parquet', 'codecs-v2.parquet', 'duckdb-zstd.parquet', 'types-v2-dict-zstd.parquet'])(
    'decodes every zstd page of %s to the bytes an independent decoder gives',
    (name) => {
      // Prepare
      const pages = zstdPages(name);
      const zstd = decode();

      // Act + Assess
      expect(pages.length).toBeGreaterThan(0);
      for (const { body, size } of pages) {
        const expected = decompressZstd(body, new Uint8Array(size));
        const got = zstd(body, size);
        expect(got.length).toBe(size);
        expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
      }
    },
  );

  it('hands out views of one reused buffer: a page costs no allocation, and a view lasts until the next call', () => {
    // Prepare
    const [a, b] = zstdPages('codecs-v1.parquet');
    const zstd = decode();

    // Act
    const first = zstd(a.body, a.size);
    const firstCopy = first.slice();
    const second = zstd(b.body, b.size);

    // Assess
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
    expect(Buffer.from(zstd(a.body, a.size)).equals(Buffer.from(firstCopy))).toBe(true);
  });

  it('refuses a frame longer than the capacity, a truncated frame and garbage; a shorter frame or none returns what it holds', () => {
    // Prepare
    const { body, size } = zstdPages('codecs-v1.parquet')[0];
    const zstd = decode();
    const garbage = body.slice();
    for (let i = 4; i < garbage.length; i++) garbage[i] ^= 0x5a;

    // Act + Assess
    expect(() => zstd(body, size - 1)).toThrow(/corrupt zstd frame, or one longer than/);
    expect(() => zstd(body.subarray(0, body.length >> 1), size)).toThrow(/corrupt zstd frame/);
    expect(() => zstd(garbage, size)).toThrow(/corrupt zstd frame/);
    // No frame at all is no bytes (the page decoder then refuses the page for its declared size).
    expect(zstd(new Uint8Array(0), size).length).toBe(0);
    expect(zstd(body, size + 1000).length).toBe(size);
    // Still decodes after every failure.
    expect(zstd(body, size).length).toBe(size);
  });
});

describe('pickZstd (which zstd decoder, and saying so when it is not the in-place one)', () => {
  // Fake decoders stand for the choices: a missing .wasm cannot be made in this process without breaking the
  // module's own resolution; the real choice on this machine is the in-place decoder (last case).
  const inPlace = (): Uint8Array => new Uint8Array(1);
  const viaZlib = (): Uint8Array => new Uint8Array(2);

  it.each([
    ['the in-place decoder loaded', inPlace, viaZlib, inPlace, undefined],
    ['it did not, node:zlib has zstd', undefined, viaZlib, viaZlib, /node:zlib's decoder/],
    ['it did not, node:zlib has none', undefined, undefined, undefined, /parquet-wasm/],
  ] as const)('%s', (_, found, zlib, expected, said) => {
    // Prepare
    const warnings: string[] = [];

    // Act
    const picked = pickZstd(found, zlib, () => 'ENOENT: no such file', (m) => warnings.push(m));

    // Assess
    expect(picked).toBe(expected);
    if (said === undefined) expect(warnings).toEqual([]);
    else {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(said);
      expect(warnings[0]).toContain('@foxglove/wasm-zstd');
      expect(warnings[0]).toContain('ENOENT: no such file');
    }
  });

  it('on this machine picks the in-place decoder', () => {
    expect(zstdDecoder()).toBe(wasmZstd());
  });
});
