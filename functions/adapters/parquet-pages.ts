/**
 * The pages of one Parquet column chunk, checked in its bytes before a decoder sees them: each page header
 * (thrift) must parse, lie inside the chunk, declare sizes within the memory budget, and the pages' value
 * counts must add up to the footer's num_values. One pass over the headers of a chunk (page bodies are
 * skipped, never decompressed): the decoders (parquet-wasm, hyparquet) allocate what a page header declares,
 * so a dictionary page claiming 2^31 - 1 bytes is refused here instead of grown into wasm memory.
 */
import { InvalidInputError } from '../core/errors.js';
import { describeBudget } from './batch-file.js';
import { PHYSICAL, physicalWidth, type ParquetChunk } from './parquet-footer.js';
import { ThriftError, readThriftStruct, type ThriftStruct } from './parquet-thrift.js';

const PAGE = { data: 0, index: 1, dictionary: 2, dataV2: 3 } as const;
const PAGE_NAMES = ['data page', 'index page', 'dictionary page', 'data page (v2)'] as const;
const UNCOMPRESSED = 0;
/** Encodings under which a dictionary page holds plain values (PLAIN, PLAIN_DICTIONARY). */
const PLAIN_ENCODINGS = new Set([0, 2]);

/** Check the page headers of `chunk`, whose bytes [chunk.start, chunk.end) are `bytes`. */
export function checkChunkPages(file: string, chunk: ParquetChunk, bytes: Uint8Array, budget: number): void {
  const fail = (detail: string): InvalidInputError =>
    new InvalidInputError(file, `column '${chunk.leaf.path.join('.')}': failed to decode row group ${chunk.rowGroup}: ${detail}`);
  let p = 0;
  let values = 0;
  let dataPages = 0;
  let dictionary = false;
  while (p < bytes.length) {
    const at = chunk.start + p;
    let header: ThriftStruct;
    let type: number;
    let uncompressed: number;
    let compressed: number;
    try {
      header = readThriftStruct(bytes, p);
      type = header.int(1) ?? -1;
      uncompressed = header.int(2) ?? -1;
      compressed = header.int(3) ?? -1;
    } catch (error) {
      if (error instanceof ThriftError) throw fail(`unreadable page header at byte ${at} (${error.message})`);
      throw error;
    }
    const kind = PAGE_NAMES[type];
    if (kind === undefined) throw fail(`the page at byte ${at} has unknown page type ${type}`);
    if (uncompressed < 0 || compressed < 0) {
      throw fail(`the ${kind} at byte ${at} declares negative sizes (uncompressed_page_size ${uncompressed}, compressed_page_size ${compressed})`);
    }
    if (uncompressed > budget) {
      throw fail(`the ${kind} at byte ${at} declares ${uncompressed} uncompressed bytes (uncompressed_page_size), over the ${describeBudget(budget)}`);
    }
    const bodyEnd = header.end + compressed;
    if (bodyEnd > bytes.length) {
      throw fail(`the ${kind} at byte ${at} declares ${compressed} compressed bytes (compressed_page_size), past the end of its column chunk (byte ${chunk.end})`);
    }
    try {
      if (type === PAGE.dictionary) {
        if (dictionary || dataPages > 0) throw fail(`a second dictionary page, or one after the data pages, at byte ${at}`);
        dictionary = true;
        checkDictionary(header, chunk, uncompressed, compressed, (d) => fail(`the dictionary page at byte ${at} ${d}`));
      } else if (type === PAGE.data || type === PAGE.dataV2) {
        dataPages++;
        const failPage = (d: string): InvalidInputError => fail(`the ${kind} at byte ${at} ${d}`);
        values += checkDataPage(header, type, chunk, uncompressed, compressed, failPage);
        checkLevels(header, type, chunk, bytes.subarray(header.end, bodyEnd), failPage);
      }
    } catch (error) {
      if (error instanceof ThriftError) throw fail(`unreadable ${kind} header at byte ${at} (${error.message})`);
      throw error;
    }
    p = bodyEnd;
  }
  if (values !== chunk.numValues) {
    throw fail(`its pages hold ${values} values, the footer declares ${chunk.numValues} (num_values)`);
  }
}

function checkDictionary(
  header: ThriftStruct,
  chunk: ParquetChunk,
  uncompressed: number,
  compressed: number,
  fail: (detail: string) => InvalidInputError,
): void {
  const dictionary = header.struct(7);
  if (dictionary === undefined) throw fail('has no dictionary_page_header');
  const count = dictionary.int(1) ?? -1;
  if (count < 0) throw fail(`declares ${count} values (num_values)`);
  if (chunk.codec === UNCOMPRESSED && compressed !== uncompressed) {
    throw fail(`is uncompressed but declares ${compressed} compressed and ${uncompressed} uncompressed bytes`);
  }
  if (!PLAIN_ENCODINGS.has(dictionary.int(2) ?? 0)) return;
  // Plain values: fixed-width types take exactly count x width bytes, byte arrays at least a 4-byte length each.
  const width = chunk.leaf.physical === PHYSICAL.BOOLEAN ? undefined : physicalWidth(chunk.leaf);
  if (width !== undefined && count * width !== uncompressed) {
    throw fail(`declares ${count} values of ${width} bytes in ${uncompressed} bytes (uncompressed_page_size)`);
  }
  if (chunk.leaf.physical === PHYSICAL.BYTE_ARRAY && count * 4 > uncompressed) {
    throw fail(`declares ${count} byte arrays in ${uncompressed} bytes (uncompressed_page_size)`);
  }
}

/** The page's value count, after checking its header against the chunk. */
function checkDataPage(
  header: ThriftStruct,
  type: number,
  chunk: ParquetChunk,
  uncompressed: number,
  compressed: number,
  fail: (detail: string) => InvalidInputError,
): number {
  if (type === PAGE.data) {
    const data = header.struct(5);
    if (data === undefined) throw fail('has no data_page_header');
    const count = data.int(1) ?? -1;
    if (count < 0) throw fail(`declares ${count} values (num_values)`);
    if (chunk.codec === UNCOMPRESSED && compressed !== uncompressed) {
      throw fail(`is uncompressed but declares ${compressed} compressed and ${uncompressed} uncompressed bytes`);
    }
    return count;
  }
  const data = header.struct(8);
  if (data === undefined) throw fail('has no data_page_header_v2');
  const count = data.int(1) ?? -1;
  const nulls = data.int(2) ?? -1;
  const rows = data.int(3) ?? -1;
  const definition = data.int(5) ?? -1;
  const repetition = data.int(6) ?? -1;
  if (count < 0 || nulls < 0 || rows < 0 || definition < 0 || repetition < 0) {
    throw fail(`declares negative counts (num_values ${count}, num_nulls ${nulls}, num_rows ${rows}, level lengths ${definition} and ${repetition})`);
  }
  if (nulls > count) throw fail(`declares ${nulls} nulls among ${count} values`);
  if (chunk.leaf.maxRepetition === 0 && rows !== count) throw fail(`declares ${rows} rows (num_rows) for ${count} values of a flat column`);
  if (definition + repetition > compressed || definition + repetition > uncompressed) {
    throw fail(`declares ${definition + repetition} bytes of levels in a page of ${Math.min(compressed, uncompressed)} bytes`);
  }
  const isCompressed = data.bool(7) ?? true;
  if ((chunk.codec === UNCOMPRESSED || !isCompressed) && compressed !== uncompressed) {
    throw fail(`is uncompressed but declares ${compressed} compressed and ${uncompressed} uncompressed bytes`);
  }
  return count;
}

const RLE = 3;

/**
 * Definition levels stored uncompressed (every data page v2; v1 pages of an uncompressed chunk) are checked
 * run by run: an RLE run repeating a level above the column's maximum is corrupt (arrow refuses it as
 * "Malformed levels"; parquet-wasm would decode it). One step per run, not per value: bit-packed runs are
 * skipped (for a flat optional column their 1-bit values cannot be out of range).
 */
function checkLevels(header: ThriftStruct, type: number, chunk: ParquetChunk, body: Uint8Array, fail: (detail: string) => InvalidInputError): void {
  const max = chunk.leaf.maxDefinition;
  if (max === 0) return;
  let start: number;
  let end: number;
  if (type === PAGE.dataV2) {
    const data = header.struct(8)!;
    start = data.int(6) ?? 0;
    end = start + (data.int(5) ?? 0);
  } else {
    const data = header.struct(5)!;
    // Only the RLE layout (a 4-byte length before each level run); the deprecated BIT_PACKED one has none.
    if (chunk.codec !== UNCOMPRESSED || (data.int(3) ?? RLE) !== RLE || (chunk.leaf.maxRepetition > 0 && (data.int(4) ?? RLE) !== RLE)) return;
    let p = 0;
    if (chunk.leaf.maxRepetition > 0) {
      if (body.length < 4) throw fail('ends inside its repetition levels');
      p = 4 + readUint32(body, 0);
    }
    if (p + 4 > body.length) throw fail('ends before its definition levels');
    start = p + 4;
    end = start + readUint32(body, p);
    if (end > body.length) throw fail(`declares ${end - start} bytes of definition levels in a ${body.length}-byte page`);
  }
  const width = 32 - Math.clz32(max);
  const valueBytes = (width + 7) >> 3;
  let p = start;
  while (p < end) {
    let run = 0;
    let scale = 1;
    for (;;) {
      if (p >= end) return; // a truncated run header: left to the decoder
      const b = body[p++];
      run += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 128;
      if (scale > 2 ** 35) throw fail('has a malformed definition level run');
    }
    if (run % 2 === 1) {
      p += Math.floor(run / 2) * width;
      continue;
    }
    let level = 0;
    for (let k = valueBytes - 1; k >= 0; k--) level = level * 256 + (body[p + k] ?? 0);
    if (level > max) throw fail(`repeats definition level ${level}, above the column's maximum ${max}`);
    p += valueBytes;
  }
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}
