import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageReader } from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { bufferByteSource } from '../../functions/adapters/file-byte-source.js';
import { dictionaryFooter, withDictionaryFooter } from '../../functions/adapters/parquet-dictionary-footer.js';

const BATCHES = join(import.meta.dirname, '..', 'fixtures', 'batches');

/** The footer bytes (thrift FileMetaData) of a Parquet file. */
async function footerOf(file: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(join(BATCHES, file)));
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
  return bytes.subarray(bytes.length - 8 - length, bytes.length - 8);
}

/** hyparquet's reading of a footer (it wants the length and magic after it). */
function metadataOf(footer: Uint8Array): ReturnType<typeof parquetMetadata> {
  const tail = new Uint8Array(footer.length + 8);
  tail.set(footer);
  new DataView(tail.buffer).setUint32(footer.length, footer.length, true);
  tail.set([0x50, 0x41, 0x52, 0x31], footer.length + 4);
  return parquetMetadata(tail.buffer);
}

function arrowTypes(footer: Uint8Array): Record<string, string> {
  const entry = metadataOf(footer).key_value_metadata?.find((kv) => kv.key === 'ARROW:schema');
  const schema = new MessageReader(Buffer.from(entry?.value ?? '', 'base64')).readSchema();
  return Object.fromEntries((schema?.fields ?? []).map((f) => [f.name, String(f.type)]));
}

describe('Function: dictionaryFooter', () => {
  it('declares a dictionary-encoded string column as dictionary<int32, utf8> and changes nothing else', async () => {
    // Prepare
    const footer = await footerOf('zstd-dict.parquet');
    const before = metadataOf(footer);
    const typesBefore = arrowTypes(footer);

    // Act
    const patched = dictionaryFooter(footer);

    // Assess
    expect(patched).toBeDefined();
    const after = metadataOf(patched ?? new Uint8Array());
    const typesAfter = arrowTypes(patched ?? new Uint8Array());
    expect(typesBefore.s).toBe('Utf8');
    expect(typesAfter.s).toBe('Dictionary<Int32, Utf8>');
    expect({ ...typesAfter, s: typesBefore.s }).toEqual(typesBefore);
    expect(after.num_rows).toBe(before.num_rows);
    expect(after.schema).toEqual(before.schema);
    expect(after.row_groups).toEqual(before.row_groups);
    expect(after.created_by).toBe(before.created_by);
    expect(after.key_value_metadata?.map((kv) => kv.key)).toEqual(before.key_value_metadata?.map((kv) => kv.key));
  });

  it('keeps the footer when no string column is dictionary-encoded on every page', async () => {
    // Prepare
    const footer = await footerOf('zstd-plain.parquet');

    // Act
    const patched = dictionaryFooter(footer);

    // Assess
    expect(arrowTypes(footer).s).toBe('Utf8');
    expect(patched).toBeUndefined();
  });

  it('returns undefined for bytes that are not a footer', () => {
    // Prepare
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 251);

    // Act
    const patched = dictionaryFooter(garbage);

    // Assess
    expect(patched).toBeUndefined();
  });
});

describe('Function: withDictionaryFooter', () => {
  it('serves the original bytes up to the footer, then the patched footer with its length and magic', async () => {
    // Prepare
    const bytes = new Uint8Array(await readFile(join(BATCHES, 'zstd-dict.parquet')));
    const footer = await footerOf('zstd-dict.parquet');
    const cut = bytes.length - 8 - footer.length;
    const patched = dictionaryFooter(footer) ?? new Uint8Array();

    // Act
    const source = await withDictionaryFooter(bufferByteSource('zstd-dict.parquet', bytes));
    const whole = await source.read(0, source.byteLength);
    const across = await source.read(cut - 3, cut + 3);

    // Assess
    expect(source.name).toBe('zstd-dict.parquet');
    expect(source.byteLength).toBe(cut + patched.length + 8);
    expect(Buffer.compare(whole.subarray(0, cut), bytes.subarray(0, cut))).toBe(0); // byte for byte, fast
    expect(whole.subarray(cut, cut + patched.length)).toEqual(patched);
    expect(new DataView(whole.buffer, whole.byteOffset).getUint32(cut + patched.length, true)).toBe(patched.length);
    expect(Buffer.from(whole.subarray(whole.length - 4)).toString('latin1')).toBe('PAR1');
    expect(across).toEqual(whole.subarray(cut - 3, cut + 3));
  });

  it('returns the source itself when the footer needs no patch', async () => {
    // Prepare
    const original = bufferByteSource('zstd-plain.parquet', new Uint8Array(await readFile(join(BATCHES, 'zstd-plain.parquet'))));

    // Act
    const source = await withDictionaryFooter(original);

    // Assess
    expect(source).toBe(original);
  });
});
