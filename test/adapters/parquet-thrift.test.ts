import { describe, expect, it } from 'vitest';
import { ThriftError, readThriftStruct } from '../../functions/adapters/parquet-thrift.js';

/** Thrift compact bytes: field headers (delta << 4 | type), zigzag varints, lists. */
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('Function: readThriftStruct', () => {
  it('decodes integers, binaries, lists and nested structs with their byte spans', () => {
    // Prepare: {1: i32 -3, 2: binary "ab", 3: list<i32> [1, 2], 4: struct {1: i64 300}}
    const input = bytes(0x15, 0x05, 0x18, 0x02, 0x61, 0x62, 0x19, 0x25, 0x02, 0x04, 0x1c, 0x16, 0xd8, 0x04, 0x00, 0x00);

    // Act
    const struct = readThriftStruct(input);

    // Assess
    expect(struct.int(1)).toBe(-3);
    expect(struct.string(2)).toBe('ab');
    expect(struct.list(3)).toEqual([1, 2]);
    expect(struct.struct(4)?.int(1)).toBe(300);
    expect(struct.field(1)).toMatchObject({ start: 1, end: 2 });
    expect(struct.end).toBe(input.length);
  });

  it.each([
    ['a list longer than the bytes left', bytes(0x19, 0xf5, 0xff, 0xff, 0xff, 0xff, 0x07), /list of 2147483647 elements in 0 bytes/],
    ['a binary longer than the bytes left', bytes(0x18, 0xff, 0xff, 0xff, 0xff, 0x07), /2147483647 bytes declared, 0 left/],
    ['an i32 out of range', bytes(0x15, 0xfe, 0xff, 0xff, 0xff, 0x1f), /i32 value .* out of range/],
    ['an unknown wire type', bytes(0x1d, 0x00), /unknown thrift type 13/],
    ['input that ends inside a struct', bytes(0x15, 0x02), /input ends early/],
    ['structs nested 100 deep', Uint8Array.from([...Array(100).fill(0x1c), ...Array(101).fill(0x00)]), /nested deeper than 64/],
  ])('refuses %s before allocating', (_name: string, input: Uint8Array, reason: RegExp) => {
    // Act
    const attempt = (): unknown => readThriftStruct(input);

    // Assess
    expect(attempt).toThrow(ThriftError);
    expect(attempt).toThrow(reason);
  });

  it('refuses to read a field as another wire type', () => {
    // Prepare: field 1 is a binary
    const struct = readThriftStruct(bytes(0x18, 0x01, 0x61, 0x00));

    // Act
    const attempt = (): unknown => struct.int(1);

    // Assess
    expect(attempt).toThrow(/field 1 is a binary, expected an integer/);
  });
});
