/**
 * Ask parquet-wasm for dictionary arrays on dictionary-encoded string columns by patching the footer it sees.
 *
 * Why: writers such as pyarrow store the Arrow schema in the footer (`ARROW:schema`), and arrow-rs (inside
 * parquet-wasm) follows it: a `string` column comes out as plain Utf8, so every row's bytes are materialised
 * in wasm and hashed again by arrow-columns.ts, although the pages hold a ~50-entry dictionary and indices.
 * Declaring such a column `dictionary<int32, utf8>` in that schema makes arrow-rs hand over the page's
 * dictionary and indices instead. Measured 2026-11-26 on the 5M-row bench file (2 string columns): wasm time
 * for the two columns 0.27 s → 0.09 s, and the per-row hashing is gone (same signature, bit for bit).
 * Only columns whose every data page is dictionary-encoded (per the footer's encoding_stats) are declared
 * so; a column that fell back to plain pages keeps its type (arrow-rs would otherwise build a dictionary by
 * hashing, possibly a huge one). The data pages are untouched: only the footer bytes served to the decoder
 * change (withDictionaryFooter serves them). Anything unexpected (no Arrow schema, unknown thrift layout)
 * returns undefined: read as before.
 */
import { Dictionary, DataType, Field, Int32, MessageReader, Schema, Table, tableToIPC, Utf8 } from 'apache-arrow';
import type { ByteSource } from '../core/ports.js';
import { dictionaryEncodedColumns } from './parquet-schema.js';
import { readThriftStruct } from './parquet-thrift.js';

/**
 * The source as parquet-wasm should see it: the same bytes, but with the footer from dictionaryFooter when it
 * has one. Errors reading the tail are left to parquet-wasm's own footer read, which reports them.
 */
export async function withDictionaryFooter(source: ByteSource): Promise<ByteSource> {
  const size = source.byteLength;
  if (size < 12) return source;
  let patched: Uint8Array | undefined;
  let footerStart: number;
  try {
    const tail = await source.read(size - 8, size);
    const footerLength = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(0, true);
    footerStart = size - 8 - footerLength;
    if (footerStart < 4) return source;
    patched = dictionaryFooter(await source.read(footerStart, size - 8));
  } catch {
    return source;
  }
  if (patched === undefined) return source;
  return new PatchedSource(source, footerStart, framedFooter(patched));
}

/** The original bytes up to `cut`, then `end` in place of the original footer. */
class PatchedSource implements ByteSource {
  readonly name: string;
  readonly byteLength: number;

  constructor(
    private readonly source: ByteSource,
    private readonly cut: number,
    private readonly end: Uint8Array,
  ) {
    this.name = source.name;
    this.byteLength = cut + end.length;
  }

  async read(start: number, end: number, into?: Uint8Array): Promise<Uint8Array> {
    const to = Math.min(end, this.byteLength);
    if (to <= this.cut) return this.source.read(start, to, into);
    if (start >= this.cut) return this.end.slice(start - this.cut, to - this.cut);
    const head = await this.source.read(start, this.cut);
    const out = new Uint8Array(to - start);
    out.set(head);
    out.set(this.end.subarray(0, to - this.cut), head.length);
    return out;
  }
}

/** A file's tail: the footer, its length (uint32 little-endian), then the magic PAR1. */
function framedFooter(footer: Uint8Array): Uint8Array<ArrayBuffer> {
  const tail = new Uint8Array(footer.length + 8);
  tail.set(footer);
  new DataView(tail.buffer).setUint32(footer.length, footer.length, true);
  tail.set([0x50, 0x41, 0x52, 0x31], footer.length + 4);
  return tail;
}

/** The file's footer (thrift FileMetaData) with its ARROW:schema rewritten, or undefined to keep the original. */
export function dictionaryFooter(footer: Uint8Array): Uint8Array | undefined {
  try {
    return patchFooter(footer);
  } catch {
    return undefined;
  }
}

function patchFooter(footer: Uint8Array): Uint8Array | undefined {
  const metadata = readThriftStruct(footer, 0);
  const entries = (metadata.structs(5) ?? []).map((kv) => ({ key: kv.string(1) ?? '', value: kv.string(2) }));
  const arrowEntry = entries.find((kv) => kv.key === 'ARROW:schema');
  if (arrowEntry?.value === undefined) return undefined;
  const dictionaryColumns = dictionaryEncodedColumns(metadata);
  if (dictionaryColumns.size === 0) return undefined;

  const message = Buffer.from(arrowEntry.value, 'base64');
  const schema = new MessageReader(message).readSchema();
  if (!schema) return undefined;
  let changed = false;
  // Dictionary ids must be unique in a schema: number the new ones after the file's own.
  let nextId = Math.max(-1, ...schema.fields.map((f) => (DataType.isDictionary(f.type) ? f.type.id : -1))) + 1;
  const fields = schema.fields.map((f) => {
    if (!DataType.isUtf8(f.type) || !dictionaryColumns.has(f.name)) return f;
    changed = true;
    return new Field(f.name, new Dictionary(new Utf8(), new Int32(), nextId++), f.nullable, f.metadata);
  });
  if (!changed) return undefined;
  const stream = tableToIPC(new Table(new Schema(fields, schema.metadata)), 'stream');
  // The stream is the schema message then an 8-byte end-of-stream marker.
  const schemaMessage = Buffer.from(stream.subarray(0, stream.length - 8)).toString('base64');
  const patched = entries.map((kv) => (kv === arrowEntry ? { key: kv.key, value: schemaMessage } : kv));
  const span = keyValueSpan(footer);
  if (span === undefined) return undefined;
  const encoded = encodeKeyValues(patched);
  const out = new Uint8Array(span.start + encoded.length + footer.length - span.end);
  out.set(footer.subarray(0, span.start));
  out.set(encoded, span.start);
  out.set(footer.subarray(span.end), span.start + encoded.length);
  return out;
}

/** Byte span of FileMetaData field 5 (key_value_metadata, a list) after its field header, in thrift compact. */
function keyValueSpan(footer: Uint8Array): { start: number; end: number } | undefined {
  let p = 0;
  const byte = (): number => {
    if (p >= footer.length) throw new RangeError('footer ends early');
    return footer[p++];
  };
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
  };
  const zigzag = (): number => {
    const v = varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  };
  const skip = (type: number): void => {
    switch (type) {
      case 1:
      case 2:
        return;
      case 3:
        p++;
        return;
      case 4:
      case 5:
      case 6:
        varint();
        return;
      case 7:
        p += 8;
        return;
      case 8: {
        const length = varint(); // read before `p` is: `p += varint()` would add to the stale `p`
        p += length;
        return;
      }
      case 9:
      case 10: {
        const header = byte();
        const size = header >> 4 === 15 ? varint() : header >> 4;
        const element = header & 15;
        for (let i = 0; i < size; i++) skip(element === 1 || element === 2 ? 3 : element);
        return;
      }
      case 11: {
        const size = varint();
        if (size === 0) return;
        const kinds = byte();
        for (let i = 0; i < size; i++) {
          skip(kinds >> 4);
          skip(kinds & 15);
        }
        return;
      }
      case 12:
        skipStruct();
        return;
      default:
        throw new RangeError(`unknown thrift type ${type}`);
    }
  };
  const skipStruct = (): void => {
    let id = 0;
    for (;;) {
      const header = byte();
      if (header === 0) return;
      id = header >> 4 === 0 ? zigzag() : id + (header >> 4);
      skip(header & 15);
    }
  };
  let id = 0;
  for (;;) {
    const header = byte();
    if (header === 0) return undefined;
    id = header >> 4 === 0 ? zigzag() : id + (header >> 4);
    const start = p;
    skip(header & 15);
    if (id === 5 && (header & 15) === 9) return { start, end: p };
  }
}

/** A thrift compact list<KeyValue{1: key, 2: value}>, without the field header. */
function encodeKeyValues(entries: readonly { key: string; value?: string }[]): Uint8Array {
  const out: number[] = [];
  const varint = (v: number): void => {
    while (v >= 0x80) {
      out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const binary = (delta: number, text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    out.push((delta << 4) | 8);
    varint(bytes.length);
    for (const b of bytes) out.push(b);
  };
  if (entries.length < 15) out.push((entries.length << 4) | 12);
  else {
    out.push(0xf0 | 12);
    varint(entries.length);
  }
  for (const kv of entries) {
    binary(1, kv.key);
    if (kv.value !== undefined) binary(1, kv.value);
    out.push(0);
  }
  return Uint8Array.from(out);
}
