import { describe, expect, it } from 'vitest';
import type { ColumnBatch, ColumnChunk, ColumnField, LogicalType } from '../../../functions/core/columns.js';
import { ConfigError, InvalidInputError } from '../../../functions/core/errors.js';
import {
  SignatureBuilder,
  defaultRole,
  numericSignatureOf,
  signatureOf,
} from '../../../functions/core/signature/index.js';
import { roleOf } from '../../../functions/core/signature/builder.js';
import type { DatasetSignature } from '../../../functions/core/signature/types.js';
import { batch, categoricalChunk, field, numericChunk } from './helpers.js';

describe('Function: defaultRole', () => {
  const cases: [LogicalType, string][] = [
    ['boolean', 'categorical'],
    ['string', 'categorical'],
    ['int', 'numeric'],
    ['float', 'numeric'],
    ['decimal', 'numeric'],
    ['date', 'time'],
    ['timestamp', 'time'],
    ['other', 'ignored'],
  ];
  for (const [type, role] of cases) {
    it(`gives a ${type} column the ${role} role`, () => {
      // Prepare
      const f = field('x', type);

      // Act
      const result = defaultRole(f);

      // Assess
      expect(result).toBe(role);
    });
  }
});

const schema: ColumnField[] = [
  field('price', 'float', 'Float64'),
  field('city', 'string', 'Utf8'),
  field('zip', 'int', 'Int64'),
  field('day', 'date', 'Date32<DAY>'),
  field('at', 'timestamp', 'Timestamp<MILLISECOND>'),
  field('blob', 'other', 'Binary'),
];

function sampleBatch(offset: number) {
  return batch({
    price: numericChunk([1.5 + offset, null, 3]),
    city: categoricalChunk(['Oslo', 'Lima', null]),
    zip: numericChunk([1000, 1000, 2000]),
    // Dates arrive from the reader in ms since epoch (midnight UTC), like timestamps.
    day: numericChunk([19_000 + offset, null, 19_002].map((d) => (d === null ? null : d * 86_400_000))),
    at: numericChunk([1.7e12 + offset, 1.7e12 - 5, null]),
  });
}

describe('Function: roleOf (the one signing rule)', () => {
  const ref = (type: LogicalType, kind: 'numeric' | 'categorical' | 'time' | undefined): DatasetSignature =>
    ({ schema: [field('c', type)], columns: kind === undefined ? {} : { c: { kind } } }) as unknown as DatasetSignature;

  it.each([
    // [case, current type, configured role, reference (type, kind), expected]
    ['default by type', 'int', undefined, undefined, 'numeric'],
    ['configured role', 'int', 'categorical', undefined, 'categorical'],
    ['the reference kind carries over to the same type', 'int', undefined, ['int', 'categorical'], 'categorical'],
    ['a column ignored in the reference stays ignored', 'int', undefined, ['int', undefined], 'ignored'],
    ['retyped int -> string: signed by its type', 'string', undefined, ['int', 'numeric'], 'categorical'],
    ['retyped, with a configured role that no longer fits', 'string', 'numeric', ['int', 'numeric'], 'categorical'],
    ['retyped string -> float: the reference kind is not carried over', 'float', undefined, ['string', 'categorical'], 'numeric'],
  ] as const)('%s', (_case, type, configured, reference, expected) => {
    // Act
    const role = roleOf(field('c', type), {
      ...(configured ? { roles: { c: configured } } : {}),
      ...(reference ? { reference: ref(reference[0], reference[1]) } : {}),
    });

    // Assess
    expect(role).toBe(expected);
  });

  it('refuses, naming the column, a configured role that cannot fit while building a reference', () => {
    // Act
    const act = () => roleOf(field('c', 'string'), { roles: { c: 'numeric' } });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/roles\.c: a string column can only be categorical or ignored, got numeric/);
  });
});

describe('Function: SignatureBuilder', () => {
  it('reads only non-ignored columns and applies role overrides', () => {
    // Prepare
    const builder = new SignatureBuilder(schema, { roles: { zip: 'categorical', notAColumn: 'numeric' } });

    // Act
    builder.add(sampleBatch(0));
    const sig = builder.finish(['b.parquet', 'a.parquet', 'b.parquet']);

    // Assess
    expect(builder.columns).toEqual(['price', 'city', 'zip', 'day', 'at']);
    expect(Object.keys(sig.columns)).toEqual(['at', 'city', 'day', 'price', 'zip']);
    expect(sig.columns.zip).toMatchObject({ kind: 'categorical', type: 'int', top: [['1000', 2], ['2000', 1]] });
    expect(sig.columns.city).toMatchObject({ kind: 'categorical', count: 3, nulls: 1 });
    expect(sig.columns.price).toMatchObject({ kind: 'numeric', count: 3, nulls: 1, finite: 2 });
    expect(sig.columns.blob).toBeUndefined();
    expect(sig.schema.map((f) => f.name)).toEqual(['at', 'blob', 'city', 'day', 'price', 'zip']);
    expect(sig.sources).toEqual(['a.parquet', 'b.parquet']);
    expect(sig.rowCount).toBe(3);
  });

  it('keeps count, nulls, min and max of time columns in ms since epoch (dates at midnight UTC)', () => {
    // Prepare
    const builder = new SignatureBuilder(schema);

    // Act
    builder.add(sampleBatch(0));
    builder.add(sampleBatch(5));
    const sig = builder.finish([]);

    // Assess
    expect(sig.columns.day).toEqual({
      kind: 'time',
      type: 'date',
      count: 6,
      nulls: 2,
      min: Date.UTC(2022, 0, 8),
      max: Date.UTC(2022, 0, 13),
    });
    expect(sig.columns.at).toEqual({ kind: 'time', type: 'timestamp', count: 6, nulls: 2, min: 1.7e12 - 5, max: 1.7e12 + 5 });
  });

  it("counts current data on the reference's edges with the reference's relative accuracy", () => {
    // Prepare
    const referenceColumn = numericSignatureOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { relativeAccuracy: 0.01 });
    const reference = {
      schemaVersion: 1 as const,
      rowCount: 10,
      schema: [field('price', 'float')],
      columns: { price: referenceColumn },
      sources: [],
    };

    // Act
    const sig = signatureOf([field('price', 'float')], [batch({ price: numericChunk([0, 2.5, 100, 5.5]) })], { reference });

    // Assess
    const price = sig.columns.price;
    expect(price.kind).toBe('numeric');
    if (price.kind !== 'numeric') return;
    expect(price.histogram!.edges).toEqual(referenceColumn.histogram!.edges);
    const edges = referenceColumn.histogram!.edges;
    const exact = new Array(edges.length + 1).fill(0);
    for (const v of [0, 2.5, 100, 5.5]) exact[edges.filter((e) => e < v).length]++;
    expect(price.histogram!.counts).toEqual(exact);
    expect(price.sketch.relativeAccuracy).toBe(0.01);
  });

  it('rejects a missing column, a wrong-length chunk and a wrong chunk kind naming the column', () => {
    // Prepare
    const builder = new SignatureBuilder([field('a', 'float'), field('b', 'string')]);

    // Act
    const missing = () => builder.add(batch({ a: numericChunk([1]) }));
    const short = () =>
      builder.add({ rowCount: 2, columns: new Map<string, ColumnChunk>([['a', numericChunk([1])], ['b', categoricalChunk(['x'])]]) });
    const kind = () => builder.add(batch({ a: categoricalChunk(['1']), b: categoricalChunk(['x']) }));

    // Assess
    expect(missing).toThrow(InvalidInputError);
    expect(missing).toThrow(/column "b" is missing/);
    expect(short).toThrow(/column "a" has 1 rows, expected 2/);
    expect(kind).toThrow(/column "a" \(numeric\) expected numeric values, got a categorical chunk/);
  });

  it('rejects impossible roles and bad options with a ConfigError naming them', () => {
    // Prepare
    const fields = [field('city', 'string')];

    // Act
    const numericString = () => new SignatureBuilder(fields, { roles: { city: 'numeric' } });
    const badOptions = () => new SignatureBuilder(fields, { topK: 0, histogramBins: 1.5, relativeAccuracy: 2 });

    // Assess
    expect(numericString).toThrow(ConfigError);
    expect(numericString).toThrow(/roles\.city: a string column can only be categorical or ignored, got numeric/);
    expect(badOptions).toThrow(/topK must be an integer >= 1, got 0; histogramBins must be an integer >= 2, got 1.5; relativeAccuracy must be in \(0, 1\), got 2/);
  });

  it('honours topK and histogramBins options', () => {
    // Prepare
    const fields = [field('x', 'float'), field('c', 'string')];
    const values = Array.from({ length: 1000 }, (_, i) => i);

    // Act
    const sig = signatureOf(fields, [batch({ x: numericChunk(values), c: categoricalChunk(values.map((v) => `c${v % 7}`)) })], {
      topK: 4,
      histogramBins: 5,
    });

    // Assess
    const x = sig.columns.x;
    const c = sig.columns.c;
    expect(x.kind === 'numeric' && x.histogram!.edges.length).toBe(4);
    expect(c.kind === 'categorical' && c.top.length).toBe(4);
    expect(c.kind === 'categorical' && c.other).toBe(1000 - 143 * 4);
  });
});

describe('Function: SignatureBuilder.add with column parts', () => {
  /** The columns of `b` one at a time, the last part closing the unit with its rows. */
  function partsOf(b: ReturnType<typeof sampleBatch>): ColumnBatch[] {
    const entries = [...b.columns];
    return entries.map(([name, chunk], i) => ({ rowCount: chunk.length, columns: new Map([[name, chunk]]), part: i === entries.length - 1 ? { unitRows: b.rowCount } : {} }));
  }

  it('gives the same signature, bit for bit, as whole batches', () => {
    // Prepare
    const whole = signatureOf(schema, [sampleBatch(0), sampleBatch(1)]);
    const builder = new SignatureBuilder(schema);

    // Act
    for (const part of [...partsOf(sampleBatch(0)), ...partsOf(sampleBatch(1))]) builder.add(part);

    // Assess
    expect(builder.acceptsParts).toBe(true);
    expect(JSON.stringify(builder.finish([]))).toBe(JSON.stringify(whole));
  });

  it('refuses a unit closed with a column missing, naming it', () => {
    // Prepare
    const parts = partsOf(sampleBatch(0)).filter((p) => !p.columns.has('city'));

    // Act
    const act = () => {
      const builder = new SignatureBuilder(schema);
      for (const part of parts) builder.add(part);
    };

    // Assess
    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow(/column "city" is missing/);
  });

  it('refuses a unit whose parts add up to other rows than it declares', () => {
    // Prepare
    const builder = new SignatureBuilder(schema);
    const parts = partsOf(sampleBatch(0));
    const last = parts[parts.length - 1];
    parts[parts.length - 1] = { ...last, part: { unitRows: 4 } };

    // Act
    const act = () => {
      for (const part of parts) builder.add(part);
    };

    // Assess
    expect(act).toThrow(/has 3 rows, expected 4/);
  });

  it('a builder with slices takes whole batches only', () => {
    // Prepare
    const builder = new SignatureBuilder(schema, { slices: { columns: ['city'], k: 3 } });

    // Act
    const act = () => builder.add(partsOf(sampleBatch(0))[0]);

    // Assess
    expect(builder.acceptsParts).toBe(false);
    expect(act).toThrow(/needs whole batches/);
  });
});
