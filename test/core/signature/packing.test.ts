import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { packSignature, parseSignature, serializeSignature, signatureOf } from '../../../functions/core/signature/index.js';
import type { DatasetSignature } from '../../../functions/core/signature/index.js';
import { batch, categoricalChunk, field, normals, numericChunk } from './helpers.js';

/** A signature with long sketch stores, a 30-bin histogram, big counts and a top list. */
function wide(): DatasetSignature {
  let s = 7;
  const rnd = (): number => ((s = (s * 16807) % 2147483647) / 2147483647);
  const xs = normals(rnd, 4000).map((x) => Math.exp(2 * x) * (x > 0.5 ? -1 : 1));
  const reference = signatureOf([field('x', 'float'), field('c', 'string')], [batch({ x: numericChunk(xs), c: categoricalChunk(xs.map((x) => `v${Math.floor(Math.abs(x)) % 40}`)) })], { histogramBins: 30 });
  return signatureOf([field('x', 'float'), field('c', 'string')], [batch({ x: numericChunk([...xs.slice(0, 3000), null, NaN, 0, -0]), c: categoricalChunk([...xs.slice(0, 3004)].map((x) => `v${Math.floor(x * 3)}`)) })], { reference }, ['s3://b/1.parquet']);
}

describe('Function: packSignature', () => {
  it('reads back to exactly the signature the plain JSON form gives, smaller', () => {
    // Prepare
    const sig = wide();
    const plain = serializeSignature(sig);

    // Act
    const packed = packSignature(sig);

    // Assess: equal after parsing, bit for bit (floats are packed as float64), and packed arrays are in it.
    expect(parseSignature(packed, 'packed')).toEqual(parseSignature(plain, 'plain'));
    expect(serializeSignature(parseSignature(packed, 'packed'))).toBe(plain);
    expect(packed).toContain('"packing":1');
    expect(packed).toContain('{"$i":"');
    expect(packed).toContain('{"$f":"');
    expect(packed.length).toBeLessThan(plain.length);
  });

  it('keeps integers past 2^31 and negative sketch offsets exact', () => {
    // Prepare: a histogram with counts around 2^40 (a roll-up of many big batches), packed as integers.
    const sig = wide();
    const x = sig.columns.x;
    if (x.kind !== 'numeric' || x.histogram === null) throw new Error('expected a numeric column with a histogram');
    const big = { ...sig, columns: { ...sig.columns, x: { ...x, histogram: { ...x.histogram, counts: x.histogram.counts.map((c, i) => c + 2 ** 40 + i) } } } } as DatasetSignature;

    // Act
    const back = parseSignature(packSignature(big), 'packed');

    // Assess
    expect(back.columns.x).toEqual(big.columns.x);
  });

  it('still reads plain JSON signatures, and refuses a broken packed one naming the file', () => {
    // Prepare
    const packed = JSON.parse(packSignature(wide())) as Record<string, unknown>;
    const firstPacked = (text: string): string => text.replace(/\{"\$i":"[^"]*"\}/, '{"$i":"//8="}');

    // Act / Assess
    expect(() => parseSignature(serializeSignature(wide()), 'plain.json')).not.toThrow();
    expect(() => parseSignature({ ...packed, packing: 2 }, 'future.json')).toThrow(/future\.json.*unknown signature packing 2/);
    expect(() => parseSignature(firstPacked(JSON.stringify(packed)), 'cut.json')).toThrow(ConfigError);
    expect(() => parseSignature(firstPacked(JSON.stringify(packed)), 'cut.json')).toThrow(/cut\.json.*ends inside a varint/);
  });
});
