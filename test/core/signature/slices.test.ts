import { describe, expect, it } from 'vitest';
import { signatureOf } from '../../../functions/core/signature/builder.js';
import { SLICE_BLOCK_ROWS } from '../../../functions/core/signature/slices.js';
import { batch, categoricalChunk, field, numericChunk, prng } from './helpers.js';

const schema = [field('country', 'string'), field('amount', 'float'), field('device', 'string')];
const COUNTRIES = ['DE', 'FR', 'IT', 'ES', 'NL'];

/** Rows as plain values, so each slice's rows can be filtered out by hand. */
function rows(n: number, seed: number): { country: (string | null)[]; amount: (number | null)[]; device: (string | null)[] } {
  const random = prng(seed);
  const out = { country: [] as (string | null)[], amount: [] as (number | null)[], device: [] as (string | null)[] };
  for (let i = 0; i < n; i++) {
    const c = random() < 0.05 ? null : COUNTRIES[Math.floor(random() * COUNTRIES.length)];
    out.country.push(c);
    out.amount.push(random() < 0.1 ? null : (c?.charCodeAt(0) ?? 0) + random() * 10);
    out.device.push(random() < 0.02 ? null : random() < 0.6 ? 'ios' : 'android');
  }
  return out;
}

function toBatch(r: ReturnType<typeof rows>, keep: (i: number) => boolean) {
  const idx = r.country.map((_, i) => i).filter(keep);
  return batch({ country: categoricalChunk(idx.map((i) => r.country[i])), amount: numericChunk(idx.map((i) => r.amount[i])), device: categoricalChunk(idx.map((i) => r.device[i])) });
}

describe('Function: per-slice signatures (SliceAccumulator)', () => {
  it('gives each slice value exactly the signature of its own rows, over chunks that shrink and grow (reused buffers)', () => {
    // Prepare: a large, a small and a large chunk, so scratch buffers are reused at other lengths.
    const chunks = [rows(3000, 1), rows(40, 2), rows(2500, 3)];
    const reference = signatureOf(schema, chunks.map((r) => toBatch(r, () => true)), { histogramBins: 20, slices: { columns: ['country'], k: 10 } });
    const options = { reference, slices: { columns: ['country'], k: 10 } };

    // Act
    const sliced = signatureOf(schema, chunks.map((r) => toBatch(r, () => true)), options);

    // Assess: each value against the same chunks filtered to its rows, signed on the same reference slice.
    const roles = { country: 'ignored' as const };
    for (const value of COUNTRIES) {
      const own = signatureOf(schema, chunks.map((r) => toBatch(r, (i) => r.country[i] === value)), { reference, roles });
      expect(sliced.slices?.country.values[value].columns).toEqual(own.columns);
      expect(sliced.slices?.country.values[value].rowCount).toBe(own.rowCount);
    }
    const nulls = signatureOf(schema, chunks.map((r) => toBatch(r, (i) => r.country[i] === null)), { reference, roles });
    expect(sliced.slices?.country.other?.columns).toEqual(nulls.columns);
    // And the whole batch equals signing without slices.
    const plain = signatureOf(schema, chunks.map((r) => toBatch(r, () => true)), { reference });
    expect(sliced.columns.device).toEqual(plain.columns.device);
    const a = plain.columns.amount;
    const b = sliced.columns.amount;
    if (a.kind !== 'numeric' || b.kind !== 'numeric') throw new Error('expected numeric amount');
    expect(b.histogram).toEqual(a.histogram);
    expect(b.sketch).toEqual(a.sketch);
  });

  it('slices a chunk longer than one block in blocks, exactly as if it came as those blocks', () => {
    // Prepare
    const big = rows(SLICE_BLOCK_ROWS + 5000, 7);
    const reference = signatureOf(schema, [toBatch(rows(4000, 8), () => true)], { histogramBins: 20, slices: { columns: ['country'], k: 10 } });

    // Act
    const sliced = signatureOf(schema, [toBatch(big, () => true)], { reference, slices: { columns: ['country'], k: 10 } });

    // Assess
    const roles = { country: 'ignored' as const };
    for (const value of ['DE', 'NL']) {
      const blocks = [toBatch(big, (i) => i < SLICE_BLOCK_ROWS && big.country[i] === value), toBatch(big, (i) => i >= SLICE_BLOCK_ROWS && big.country[i] === value)];
      const own = signatureOf(schema, blocks, { reference, roles });
      expect(sliced.slices?.country.values[value].columns).toEqual(own.columns);
    }
    const total = Object.values(sliced.slices?.country.values ?? {}).reduce((n, v) => n + v.rowCount, sliced.slices?.country.other?.rowCount ?? 0);
    expect(total).toBe(SLICE_BLOCK_ROWS + 5000);
  });
});
