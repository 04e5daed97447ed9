/**
 * The bit unpacker under the native decoder's dictionary indices and levels: every width 0..32, starting at
 * any byte, any count, against a bit-by-bit reading of the same bytes
 * (the buffer ends exactly where the run does).
 */
import { describe, expect, it } from 'vitest';
import { NativeScratch, countPacked, unpack } from '../../functions/adapters/parquet-native.js';

function reference(src: Uint8Array, pos: number, width: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < width; k++) {
      const bit = pos * 8 + i * width + k;
      v += ((src[bit >> 3] >> (bit & 7)) & 1) * 2 ** k;
    }
    out.push(v | 0);
  }
  return out;
}

describe('unpack (bit-packed values)', () => {
  it('reads every width at any start and count exactly, using only the run’s bytes', () => {
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let width = 0; width <= 32; width++) {
      for (const n of [0, 1, 7, 8, 9, 31, 64, 257]) {
        for (const pos of [0, 1, 3]) {
          const bytes = Math.ceil((n * width) / 8);
          const src = new Uint8Array(pos + bytes);
          for (let i = 0; i < src.length; i++) src[i] = next() | (i % 5 === 0 ? 0xff : 0);
          const out = new Int32Array(n + 2).fill(-7);
          unpack(src, pos, width, n, out, 1);
          expect([...out.subarray(1, n + 1)], `width ${width}, n ${n}, pos ${pos}`).toEqual(reference(src, pos, width, n));
          expect([out[0], out[n + 1]]).toEqual([-7, -7]);
        }
      }
    }
  });
});

describe('countPacked (dictionary indices counted in place)', () => {
  it('counts every width at any start, names the first index past the dictionary', () => {
    let seed = 777;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    const scratch = new NativeScratch();
    for (let width = 0; width <= 32; width++) {
      for (const n of [0, 1, 8, 9, 40, 64, 500, 1000]) {
        for (const pos of [0, 2]) {
          for (const size of [1, 3, 2 ** Math.min(width, 10), 2 ** Math.min(width, 10) + 5]) {
            const src = new Uint8Array(pos + Math.ceil((n * width) / 8));
            for (let i = 0; i < src.length; i++) src[i] = next();
            const values = reference(src, pos, width, n);
            const expected = new Float64Array(size);
            let bad = -1;
            for (const v of values) {
              if (v >= 0 && v < size) expected[v]++;
              else if (bad < 0) bad = v < 0 ? 2 ** 31 : v;
            }
            const counts = new Float64Array(size);
            const got = countPacked(src, pos, width, n, counts, scratch);
            expect([...counts], `width ${width}, n ${n}, pos ${pos}, size ${size}`).toEqual([...expected]);
            expect(got, `width ${width}, n ${n}, pos ${pos}, size ${size}: first index past`).toBe(bad);
          }
        }
      }
    }
  });
});
