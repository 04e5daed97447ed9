import { Message, Table, tableToIPC, vectorFromArray, Utf8, type Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { FlatbufferError, verifyFooter, verifyMessage } from '../../functions/adapters/arrow-flatbuffers.js';

/** The flatbuffers apache-arrow writes for a small table: its stream's messages (schema first) and a file's footer. */
function flatbuffers(): { messages: Uint8Array[]; footer: Uint8Array } {
  const table = new Table({ s: vectorFromArray(['a', null, 'b'], new Utf8()), x: vectorFromArray([1.5, 2.5, 3.5]) });
  const stream = tableToIPC(table, 'stream');
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const messages: Uint8Array[] = [];
  for (let p = 0; p + 8 <= stream.length; ) {
    const length = view.getInt32(p + 4, true);
    if (length === 0) break;
    const metadata = stream.slice(p + 8, p + 8 + length);
    messages.push(metadata);
    p += 8 + length + Number(Message.decode(metadata).bodyLength);
  }
  const file = tableToIPC(table, 'file');
  const footerLength = new DataView(file.buffer, file.byteOffset, file.byteLength).getInt32(file.length - 10, true);
  return { messages, footer: file.slice(file.length - 10 - footerLength, file.length - 10) };
}

describe('Function: verifyMessage / verifyFooter', () => {
  it('accepts what apache-arrow writes', () => {
    // Prepare
    const { messages, footer } = flatbuffers();

    // Act
    const verified = messages.map((m) => verifyMessage(m));

    // Assess
    expect(messages.length).toBeGreaterThanOrEqual(2);
    expect(verified[0].endianness).toEqual([0]);
    expect(verifyFooter(footer).endianness).toEqual([0]);
  });

  it.each([
    ['a root offset past the end', (b: Uint8Array) => new DataView(b.buffer).setUint32(0, b.length + 64, true), /root at byte 0 points outside the buffer/],
    ['a root offset pointing to itself', (b: Uint8Array) => new DataView(b.buffer).setUint32(0, 0, true), /points to itself/],
    ['a misaligned root', (b: Uint8Array) => new DataView(b.buffer).setUint32(0, 5, true), /not 4-byte aligned/],
  ])('refuses a message with %s', (_name: string, damage: (b: Uint8Array) => void, reason: RegExp) => {
    // Prepare
    const schema = flatbuffers().messages[0];
    damage(schema);

    // Act
    const attempt = (): unknown => verifyMessage(schema);

    // Assess
    expect(attempt).toThrow(FlatbufferError);
    expect(attempt).toThrow(reason);
  });

  it('lets through only single-byte overwrites of the schema message that keep its structure (its fields)', () => {
    // Prepare: every byte of the schema message set to 0xff in turn.
    const schema = flatbuffers().messages[0];
    const fieldsOf = (bytes: Uint8Array): readonly unknown[] => (Message.decode(bytes).header() as Schema).fields;
    const count = fieldsOf(schema).length;
    const verified: number[] = [];

    // Act
    for (let i = 0; i < schema.length; i++) {
      const copy = schema.slice();
      copy[i] = 0xff;
      try {
        verifyMessage(copy);
      } catch {
        continue; // refused
      }
      let fields: number;
      try {
        fields = fieldsOf(copy).length;
      } catch {
        continue; // apache-arrow refuses the value itself (an unknown type id)
      }
      verified.push(fields);
    }

    // Assess: what verifies changed a value (a name byte, a type parameter, padding), which the reader checks by
    // meaning (valid types, UTF-8 names), never the number of fields apache-arrow decodes.
    expect(verified.length).toBeGreaterThan(0);
    expect(verified.length).toBeLessThan(schema.length);
    expect(new Set(verified)).toEqual(new Set([count]));
  });
});
