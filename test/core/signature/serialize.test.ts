import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.js';
import { parseSignature, serializeSignature, signatureOf } from '../../../functions/core/signature/index.js';
import type { DatasetSignature } from '../../../functions/core/signature/index.js';
import { batch, categoricalChunk, field, numericChunk } from './helpers.js';

function sample(): DatasetSignature {
  return signatureOf(
    [field('x', 'float'), field('c', 'string'), field('t', 'timestamp')],
    [
      batch({ x: numericChunk([1, -0, 2.5, null, NaN]), c: categoricalChunk(['a', 'b', 'a', null, 'c']), t: numericChunk([5, 1, 9, 2, null]) }),
    ],
    {},
    ['s3://bucket/batch-1.parquet'],
  );
}

describe('Function: serializeSignature', () => {
  it('gives identical bytes for the same input, with a fixed key order and -0 normalised', () => {
    // Prepare
    const a = sample();
    const b = sample();
    const minusZero = { ...a, columns: { ...a.columns, x: { ...a.columns.x, min: -0 } } } as DatasetSignature;

    // Act
    const bytesA = serializeSignature(a);
    const bytesB = serializeSignature(b);

    // Assess
    expect(bytesA).toBe(bytesB);
    expect(bytesA.startsWith('{"schemaVersion":1,"rowCount":5,"schema":[{"name":"c","type":"string"')).toBe(true);
    expect(bytesA).toContain('"x":{"kind":"numeric","type":"float","count":5,"nulls":1,"nan":1,"posInf":0,"negInf":0,"finite":3,"min":0,');
    expect(serializeSignature(minusZero)).not.toContain('-0');
    // Column order in the object does not matter.
    const reordered = { ...a, columns: Object.fromEntries(Object.entries(a.columns).reverse()) };
    expect(serializeSignature(reordered)).toBe(bytesA);
  });
});

describe('Function: parseSignature', () => {
  it('round-trips: serialize → parse → serialize gives the same bytes (object or JSON text)', () => {
    // Prepare
    const bytes = serializeSignature(sample());

    // Act
    const fromText = parseSignature(bytes, 'ref.json');
    const fromObject = parseSignature(JSON.parse(bytes), 'ref.json');

    // Assess
    expect(serializeSignature(fromText)).toBe(bytes);
    expect(fromObject).toEqual(fromText);
  });

  it('rejects a bad document with a ConfigError naming the source and each bad field path', () => {
    // Prepare
    const doc = JSON.parse(serializeSignature(sample()));
    doc.columns.x.nulls = -1;
    doc.columns.c.top[0][1] = 'many';
    doc.columns.t.extra = true;
    doc.schemaVersion = 2;

    // Act
    let error: unknown;
    try {
      parseSignature(doc, 'models/m1/reference.json');
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^models\/m1\/reference\.json: invalid:/);
    expect(message).toContain('schemaVersion');
    expect(message).toContain('columns.x.nulls');
    expect(message).toContain('columns.c.top[0][1]');
    expect(message).toContain('columns.t');
  });

  it('checks the invariants between fields', () => {
    // Prepare
    const doc = JSON.parse(serializeSignature(sample()));
    doc.columns.x.finite = 99;
    doc.columns.x.histogram.counts.push(1);
    doc.columns.c.other = 7;
    doc.columns.c.distinct.registers = 'AAAA';

    // Act
    const act = () => parseSignature(doc, 'sig.json');

    // Assess
    expect(act).toThrow(/columns\.x\.finite/);
    expect(act).toThrow(/columns\.x\.histogram\.counts/);
    expect(act).toThrow(/columns\.c\.count/);
    expect(act).toThrow(/columns\.c\.distinct\.registers/);
  });

  it('rejects text that is not JSON', () => {
    // Prepare
    const text = '{"schemaVersion": 1,';

    // Act
    const act = () => parseSignature(text, 'broken.json');

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/^broken\.json: not valid JSON/);
  });
});
