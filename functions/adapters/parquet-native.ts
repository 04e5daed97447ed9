/**
 * Parquet column chunks decoded in JS, page by page, for the layouts real writers use for model inputs: flat
 * columns (one value per row, at most one definition level), data pages v1 and v2, a dictionary page, values
 * PLAIN or dictionary-encoded (PLAIN_DICTIONARY, RLE_DICTIONARY; booleans also RLE), pages uncompressed,
 * snappy (hysnappy, wasm), gzip (node:zlib) or zstd (in place in wasm memory, wasm-zstd.ts, on every Node; else
 * node:zlib's where it has zstd: Node >= 22.15). The decoded values go through the reader's one conversion (arrow-columns.ts: writeNumbers and
 * toColumnChunk), so a chunk decoded here is the chunk parquet-wasm's Arrow arrays give, without decoding to
 * Arrow in wasm memory and copying out: measured on the 5M-row bench files (bench/README.md, "Native pages").
 *
 * What it does not decode (other encodings, codecs, nested or repeated columns, decimals, INT96, timestamps
 * whose stored unit is not the Arrow schema's) it declines, before reading a page (nativeLayoutOf) or on
 * meeting the page (NotNative): parquet-reader.ts then hands that chunk to parquet-wasm. Every size and index
 * a page declares is checked before it is used (its header was checked by parquet-pages.ts): a bad page is an
 * InvalidInputError naming the column and the row group, never a read past a buffer or a wrong figure.
 */
import * as zlib from 'node:zlib';
import { snappyUncompressor } from 'hysnappy';
import type { ColumnChunk, CountedCategories, CountedChunk } from '../core/columns.js';
import { InvalidInputError } from '../core/errors.js';
import { countable } from '../core/signature/numeric.js';
import { BOOLEAN_DICTIONARY, maskOfBits, toColumnChunk, writeNumbers } from './arrow-columns.js';
import type { RawArray, RawType } from './arrow-types.js';
import { FRESH_ARRAYS, type ChunkArrays } from './chunk-buffers.js';
import { PHYSICAL, type ParquetChunk } from './parquet-footer.js';
import { readThriftStruct } from './parquet-thrift.js';
import { zstdDecoder } from './wasm-zstd.js';

/** How a natively decodable chunk's values are stored. */
export type NativeLayout =
  | { readonly kind: 'fixed'; readonly width: 4 | 8; readonly raw: RawType }
  | { readonly kind: 'bool' }
  | { readonly kind: 'utf8' };

/** A chunk met something this decoder does not handle (an encoding, say): parquet-wasm decodes it instead. */
export class NotNative extends Error {}

const ENCODING = { plain: 0, plainDictionary: 2, rle: 3, rleDictionary: 8 } as const;
const PAGE = { data: 0, dictionary: 2, dataV2: 3 } as const;
const CODEC = { none: 0, snappy: 1, gzip: 2, zstd: 6 } as const;

/** Whether this Node decodes `codec` natively. */
export function nativeCodec(codec: number): boolean {
  return codec === CODEC.none || codec === CODEC.snappy || codec === CODEC.gzip || (codec === CODEC.zstd && zstdDecoder() !== undefined);
}

/**
 * How `chunk` would be decoded here, given the Arrow type parquet-wasm reads its column as; undefined when it
 * is not decoded here. The Arrow type must be what the stored values are: an int8 column stored as INT32 is
 * read as int32 (the same numbers); a timestamp whose Arrow unit is not its stored unit (pyarrow stores
 * seconds as milliseconds) is left to parquet-wasm, which converts it.
 */
export function nativeLayoutOf(chunk: ParquetChunk, arrow: RawType): NativeLayout | undefined {
  const leaf = chunk.leaf;
  if (leaf.path.length !== 1 || leaf.maxRepetition !== 0 || leaf.maxDefinition > 1 || !nativeCodec(chunk.codec)) return undefined;
  switch (leaf.physical) {
    case PHYSICAL.BOOLEAN:
      return arrow.kind === 'bool' ? { kind: 'bool' } : undefined;
    case PHYSICAL.INT32:
      if (arrow.kind === 'int' && arrow.bits <= 32) return { kind: 'fixed', width: 4, raw: { kind: 'int', bits: 32, signed: arrow.bits < 32 || arrow.signed } };
      if (arrow.kind === 'date' && arrow.unit === 'day') return { kind: 'fixed', width: 4, raw: arrow };
      return undefined;
    case PHYSICAL.INT64:
      if (arrow.kind === 'int' && arrow.bits === 64) return { kind: 'fixed', width: 8, raw: arrow };
      if (arrow.kind === 'timestamp' && leaf.timeUnit === arrow.unit) return { kind: 'fixed', width: 8, raw: arrow };
      return undefined;
    case PHYSICAL.FLOAT:
      return arrow.kind === 'float' && arrow.bits === 32 ? { kind: 'fixed', width: 4, raw: arrow } : undefined;
    case PHYSICAL.DOUBLE:
      return arrow.kind === 'float' && arrow.bits === 64 ? { kind: 'fixed', width: 8, raw: arrow } : undefined;
    case PHYSICAL.BYTE_ARRAY:
      return arrow.kind === 'utf8' || (arrow.kind === 'dictionary' && arrow.value.kind === 'utf8') ? { kind: 'utf8' } : undefined;
    default:
      return undefined;
  }
}

/**
 * Work buffers of one reader, reused from chunk to chunk (decoding is synchronous: nothing here outlives a
 * decodeNativeChunk call; the chunk it returns lives in `arrays`).
 */
export class NativeScratch {
  /** Dictionary keys or booleans by row (utf8, bool). */
  slots: Int32Array = new Int32Array(0);
  /** Dictionary indices of one page. */
  page: Int32Array = new Int32Array(0);
  /** 1 = null, by row. */
  mask: Uint8Array = new Uint8Array(0);
  /** One page's null mask (4-aligned, so levels are expanded a word at a time). */
  pageMask: Uint8Array = new Uint8Array(0);
  /** One page's non-null values (fixed width, with nulls), converted. */
  dense: Float64Array = new Float64Array(0);
  /** One page's PLAIN values copied to an 8-aligned buffer when they lie unaligned in the page (or a dictionary page's, converted at once). */
  aligned: Uint8Array = new Uint8Array(0);
  /** A row-decoded chunk's dictionary values (converted): needed only while its pages are decoded. */
  dictionary: Float64Array = new Float64Array(0);

  /** `need` bytes of `aligned` (8-aligned: its buffer starts it). */
  alignedBytes(need: number): Uint8Array {
    if (this.aligned.length < need) this.aligned = new Uint8Array(Math.max(need, 2 * this.aligned.length));
    return this.aligned.subarray(0, need);
  }

  int32(current: Int32Array, n: number): Int32Array {
    return current.length >= n ? current : new Int32Array(Math.max(n, current.length * 2));
  }
}

/** hysnappy's wasm snappy decoder, used in place: its input and output live in its own memory. */
interface Snappy {
  readonly memory: WebAssembly.Memory;
  readonly uncompress: (input: number, inputLength: number, output: number) => number;
}

/** Where hysnappy's code expects its input (past the memory its C code uses), as its own wrapper puts it. */
const SNAPPY_INPUT = 68000;
let snappy: Snappy | undefined;

/**
 * hysnappy's instance, caught while its wrapper instantiates it: the wrapper copies every page out of wasm
 * memory into a fresh buffer (a page's worth of garbage per page: most of this decoder's GC time), while a
 * page read where it was decompressed costs nothing. Falls back to the wrapper's copy if the instance is
 * not the shape hysnappy 1.x has.
 */
function snappyDecoder(): Snappy | undefined {
  const Original = WebAssembly.Instance;
  let caught: WebAssembly.Instance | undefined;
  const Catching = function (module: WebAssembly.Module, imports?: WebAssembly.Imports): WebAssembly.Instance {
    caught = new Original(module, imports);
    return caught;
  } as unknown as typeof WebAssembly.Instance;
  (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = Catching;
  try {
    snappyUncompressor();
  } finally {
    (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = Original;
  }
  const exports = caught?.exports as { memory?: unknown; uncompress?: unknown } | undefined;
  if (exports?.memory instanceof WebAssembly.Memory && typeof exports.uncompress === 'function') {
    return { memory: exports.memory, uncompress: exports.uncompress as Snappy['uncompress'] };
  }
  return undefined;
}

let snappyCopying: ((input: Uint8Array, outputLength: number) => Uint8Array) | undefined;

/** A snappy body decompressed into hysnappy's memory: the view is valid until the next call. */
function unsnappy(body: Uint8Array, size: number): Uint8Array {
  // A snappy stream opens with its uncompressed length (varint): it must be the page's, before anything is written.
  let declared = 0;
  let p = 0;
  for (let shift = 0; ; shift += 7) {
    if (p >= body.length || shift > 28) throw new Error('an unreadable snappy length header');
    const b = body[p++];
    declared += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  if (declared !== size) throw new Error(`the snappy stream declares ${declared} bytes`);
  snappy ??= snappyDecoder();
  if (snappy === undefined) {
    snappyCopying ??= snappyUncompressor();
    return snappyCopying(body, size);
  }
  const { memory, uncompress } = snappy;
  const output = SNAPPY_INPUT + body.length;
  const total = output + size;
  if (memory.buffer.byteLength < total) memory.grow(Math.ceil((total - memory.buffer.byteLength) / 65536));
  new Uint8Array(memory.buffer).set(body, SNAPPY_INPUT);
  const result = uncompress(SNAPPY_INPUT, body.length, output);
  if (result !== 0) throw new Error(result === -1 ? 'invalid snappy length header' : result === -2 ? 'missing eof marker' : result === -3 ? 'premature end of input' : `snappy error ${result}`);
  return new Uint8Array(memory.buffer, output, size);
}

/** One decoded dictionary page. */
interface Dictionary {
  readonly count: number;
  /** Fixed width: the values, converted. */
  readonly floats?: Float64Array;
  /** utf8: contiguous character data and count + 1 offsets. */
  readonly data?: Uint8Array;
  readonly offsets?: Int32Array;
}

/** Growing character data of a utf8 chunk read with PLAIN pages. */
interface Utf8Rows {
  data: Uint8Array;
  length: number;
  readonly offsets: Int32Array;
}

/** One data page's values, after its definition levels were read. */
interface PageValues {
  readonly page: Uint8Array;
  /** Where the values start in `page`. */
  readonly at: number;
  /** The page's first row, its rows, and its non-null values. */
  readonly row: number;
  readonly count: number;
  readonly present: number;
  readonly encoding: number;
  readonly fail: (detail: string) => InvalidInputError;
}

/** What walkPages hands each page to. */
interface PageVisitor {
  dictionary(page: Uint8Array, count: number, fail: (detail: string) => InvalidInputError): void;
  /** `mask`: the page's null mask (1 = null) for its rows [0, values.count), or undefined when the column is required. */
  data(values: PageValues, mask: Uint8Array | undefined): void;
}

/**
 * Walk the pages of column chunk `chunk` (its bytes [chunk.start, chunk.end) are `bytes`, its page headers
 * checked) of `rows` rows: each page decompressed, a data page's definition levels read into a null mask.
 * Returns the chunk's nulls. Throws NotNative for what this decoder does not handle, InvalidInputError for a
 * corrupt page.
 */
function walkPages(file: string, chunk: ParquetChunk, bytes: Uint8Array, rows: number, scratch: NativeScratch, visitor: PageVisitor): number {
  const column = chunk.leaf.path.join('.');
  const fail = (detail: string): InvalidInputError =>
    new InvalidInputError(file, `column '${column}': failed to decode row group ${chunk.rowGroup}: ${detail}`);
  const optional = chunk.leaf.maxDefinition === 1;
  let row = 0;
  let nulls = 0;
  let p = 0;
  while (p < bytes.length) {
    const header = readThriftStruct(bytes, p);
    const type = header.int(1) ?? -1;
    const uncompressed = header.int(2) ?? 0;
    const compressed = header.int(3) ?? 0;
    const body = bytes.subarray(header.end, header.end + compressed);
    const at = chunk.start + p;
    p = header.end + compressed;
    if (type === PAGE.dictionary) {
      const info = header.struct(7);
      const encoding = info?.int(2) ?? ENCODING.plain;
      if (encoding !== ENCODING.plain && encoding !== ENCODING.plainDictionary) throw new NotNative(`dictionary encoding ${encoding}`);
      const dictFail = (d: string): InvalidInputError => fail(`the dictionary page at byte ${at}: ${d}`);
      visitor.dictionary(decompress(chunk.codec, body, uncompressed, dictFail), info?.int(1) ?? 0, dictFail);
      continue;
    }
    if (type !== PAGE.data && type !== PAGE.dataV2) continue;
    const pageFail = (d: string): InvalidInputError => fail(`the data page at byte ${at}: ${d}`);
    const v2 = type === PAGE.dataV2;
    const info = v2 ? header.struct(8) : header.struct(5);
    if (info === undefined) throw pageFail('its header has no data_page_header');
    const count = info.int(1) ?? 0;
    const encoding = (v2 ? info.int(4) : info.int(2)) ?? -1;
    if (count < 0 || count > rows - row) throw pageFail(`it holds ${count} values, but only ${rows - row} of the row group's ${rows} rows remain`);
    let page: Uint8Array;
    let levelsAt = 0;
    let levelsEnd = 0;
    let valuesAt: number;
    if (v2) {
      const defLength = info.int(5) ?? 0;
      const repLength = info.int(6) ?? 0;
      if (repLength !== 0) throw pageFail(`a flat column with ${repLength} bytes of repetition levels`);
      if (defLength < 0 || defLength > body.length) throw pageFail(`definition_levels_byte_length ${defLength} past the page's ${body.length} bytes`);
      const values = body.subarray(defLength);
      const valuesSize = uncompressed - defLength;
      const decoded = (info.bool(7) ?? true) && chunk.codec !== CODEC.none ? decompress(chunk.codec, values, valuesSize, pageFail) : values;
      if (decoded.length !== valuesSize) throw pageFail(`its values are ${decoded.length} bytes, its header says ${valuesSize}`);
      // Levels stay uncompressed in v2: one buffer of levels then values.
      page = new Uint8Array(defLength + decoded.length);
      page.set(body.subarray(0, defLength), 0);
      page.set(decoded, defLength);
      levelsEnd = defLength;
      valuesAt = defLength;
    } else {
      page = decompress(chunk.codec, body, uncompressed, pageFail);
      valuesAt = 0;
      if (optional) {
        const levelEncoding = info.int(3) ?? ENCODING.rle;
        if (levelEncoding !== ENCODING.rle) throw new NotNative(`definition level encoding ${levelEncoding}`);
        if (page.length < 4) throw pageFail('it ends before its definition levels\' length');
        const length = readU32(page, 0);
        if (length > page.length - 4) throw pageFail(`its definition levels declare ${length} bytes, past the page's ${page.length}`);
        levelsAt = 4;
        levelsEnd = 4 + length;
        valuesAt = levelsEnd;
      }
    }
    let present = count;
    let mask: Uint8Array | undefined;
    if (optional) {
      if (scratch.pageMask.length < count) scratch.pageMask = new Uint8Array(Math.max(count, 2 * scratch.pageMask.length));
      mask = scratch.pageMask;
      present = count - readLevels(page, levelsAt, levelsEnd, count, mask, (d) => pageFail(`its definition levels: ${d}`));
      if (v2) {
        const declared = info.int(2);
        if (declared !== undefined && declared !== count - present) throw pageFail(`its header declares ${declared} nulls, its levels hold ${count - present}`);
      }
    }
    nulls += count - present;
    visitor.data({ page, at: valuesAt, row, count, present, encoding, fail: pageFail }, mask);
    row += count;
  }
  if (row !== rows) throw fail(`its pages hold ${row} values, the row group ${rows} rows`);
  return nulls;
}

const isDictionaryEncoding = (encoding: number): boolean => encoding === ENCODING.plainDictionary || encoding === ENCODING.rleDictionary;

/**
 * Decode column chunk `chunk` (its bytes [chunk.start, chunk.end) are `bytes`, its page headers checked) of
 * `rows` rows into a ColumnChunk whose arrays come from `arrays`. Throws NotNative when a page needs what this
 * decoder does not handle, InvalidInputError when a page is corrupt.
 */
export function decodeNativeChunk(
  file: string,
  chunk: ParquetChunk,
  layout: NativeLayout,
  bytes: Uint8Array,
  rows: number,
  scratch: NativeScratch,
  arrays: ChunkArrays = FRESH_ARRAYS,
): ColumnChunk {
  const fixed = layout.kind === 'fixed' ? arrays.float64(rows) : undefined;
  if (!fixed) scratch.slots = scratch.int32(scratch.slots, rows);
  if (scratch.mask.length < rows) scratch.mask = new Uint8Array(Math.max(rows, scratch.mask.length * 2));
  const slots = scratch.slots;
  const mask = scratch.mask;
  let dictionary: Dictionary | undefined;
  let strings: Utf8Rows | undefined;
  const nulls = walkPages(file, chunk, bytes, rows, scratch, {
    dictionary(page, count, fail) {
      // The rows are built from it during this call only: its values go in the scratch.
      dictionary = readDictionary(page, count, layout, fail, scratch, (n) => {
        if (scratch.dictionary.length < n) scratch.dictionary = new Float64Array(Math.max(n, 2 * scratch.dictionary.length));
        return scratch.dictionary.subarray(0, n);
      });
    },
    data(values, pageMask) {
      const { row, count, encoding, fail } = values;
      if (pageMask) mask.set(pageMask.subarray(0, count), row);
      else mask.fill(0, row, row + count);
      if (isDictionaryEncoding(encoding)) {
        if (dictionary === undefined) throw fail('dictionary-encoded, but the chunk has no dictionary page before it');
        const indices = readIndices(values, scratch, dictionary.count);
        if (fixed) gatherFixed(indices, dictionary.floats as Float64Array, values, mask, fixed);
        else if (layout.kind === 'utf8') {
          if (strings) appendDictionaryStrings(strings, dictionary, indices, values, mask);
          else scatterKeys(indices, values, mask, slots);
        } else throw new NotNative('dictionary-encoded booleans');
      } else if (encoding === ENCODING.plain) {
        if (layout.kind === 'fixed' && fixed) plainFixed(values, layout, mask, fixed, scratch);
        else if (layout.kind === 'bool') scatterBits(values, mask, slots, false);
        else {
          strings ??= stringsFromKeys(dictionary, row, mask, slots, rows);
          appendPlainStrings(strings, values, mask);
        }
      } else if (encoding === ENCODING.rle && layout.kind === 'bool') {
        scatterBits(values, mask, slots, true);
      } else throw new NotNative(`encoding ${encoding}`);
    },
  });
  if (fixed) return numericOf(fixed, rows, nulls, mask, arrays);
  return toChunk(layout, rows, nulls, slots, mask, dictionary, strings, arrays);
}

/**
 * A column chunk whose data pages are all dictionary-encoded, as a counted chunk (its dictionary's values, or
 * strings, and how many rows use each), without building its rows; undefined for any other chunk (decode it
 * with decodeNativeChunk). Throws as decodeNativeChunk.
 */
export function decodeNativeCounted(
  file: string,
  chunk: ParquetChunk,
  layout: NativeLayout,
  bytes: Uint8Array,
  rows: number,
  scratch: NativeScratch,
): CountedChunk | CountedCategories | undefined {
  if (layout.kind === 'bool') return undefined;
  const entries = dictionaryEntries(bytes);
  // Counting pays while entries repeat: a value costs its bucket's logarithm and bin search once, where the row
  // scan costs about as much per row (measured on the wide bench file, 100k-entry dictionaries of 100k rows:
  // slower counted). At a quarter of the rows or more, decode the rows.
  if (entries < 0 || entries * COUNTED_MAX_SHARE > rows) return undefined;
  let dictionary: Dictionary | undefined;
  let counts = new Float64Array(0);
  const nulls = walkPages(file, chunk, bytes, rows, scratch, {
    dictionary(page, count, fail) {
      // Its values are the counted chunk's: fresh arrays, owned by the caller.
      dictionary = readDictionary(page, count, layout, fail, scratch, (n) => new Float64Array(n));
      counts = new Float64Array(count);
    },
    data(values) {
      if (dictionary === undefined) throw values.fail('dictionary-encoded, but the chunk has no dictionary page before it');
      countIndices(values, scratch, counts);
    },
  });
  if (dictionary === undefined) return undefined;
  if (layout.kind === 'utf8') return { kind: 'counted-categories', length: rows, dictionary: dictionaryStrings(dictionary), counts, nulls };
  if (!countable(dictionary.floats as Float64Array, rows)) return undefined;
  return { kind: 'counted', length: rows, values: dictionary.floats as Float64Array, counts, nulls };
}

const utf8 = new TextDecoder('utf-8');

/** A string dictionary's entries, decoded as the reader decodes every string (arrow-columns.ts: UTF-8, invalid bytes replaced). */
function dictionaryStrings(dictionary: Dictionary): string[] {
  const data = dictionary.data as Uint8Array;
  const offsets = dictionary.offsets as Int32Array;
  const out: string[] = [];
  for (let i = 0; i < dictionary.count; i++) out.push(utf8.decode(data.subarray(offsets[i], offsets[i + 1])));
  return out;
}

/** Rows per dictionary entry below which a chunk is decoded as rows, not counted (see decodeNativeCounted). */
const COUNTED_MAX_SHARE = 4;

/**
 * The entries of the chunk's dictionary page when every data page is dictionary-encoded (from the page
 * headers), else -1.
 */
function dictionaryEntries(bytes: Uint8Array): number {
  let entries = -1;
  for (let p = 0; p < bytes.length; ) {
    const header = readThriftStruct(bytes, p);
    const type = header.int(1);
    if (type === PAGE.dictionary) entries = header.struct(7)?.int(1) ?? -1;
    else if (type === PAGE.data || type === PAGE.dataV2) {
      const encoding = type === PAGE.data ? header.struct(5)?.int(2) : header.struct(8)?.int(4);
      if (encoding === undefined || !isDictionaryEncoding(encoding)) return -1;
    }
    p = header.end + (header.int(3) ?? 0);
  }
  return entries;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
}

/** The page body decompressed: exactly `size` bytes (its header's uncompressed_page_size, within the budget). */
function decompress(codec: number, body: Uint8Array, size: number, fail: (detail: string) => InvalidInputError): Uint8Array {
  let out: Uint8Array;
  try {
    switch (codec) {
      case CODEC.none:
        out = body;
        break;
      case CODEC.snappy:
        out = unsnappy(body, size);
        break;
      // One output chunk of the page's size: node:zlib otherwise fills 16 KiB chunks and joins them (measured on
      // the 5M-row zstd file's pages, Node 24: 0.59-0.68 s -> 0.50-0.58 s).
      case CODEC.gzip:
        out = zlib.gunzipSync(body, { maxOutputLength: Math.max(1, size), chunkSize: Math.max(64, size) });
        break;
      case CODEC.zstd: {
        const zstd = zstdDecoder();
        if (zstd === undefined) throw new NotNative('zstd');
        out = zstd(body, size);
        break;
      }
      default:
        throw new NotNative(`codec ${codec}`);
    }
  } catch (error) {
    if (error instanceof NotNative) throw error;
    throw fail(`its ${codec === CODEC.snappy ? 'snappy' : codec === CODEC.gzip ? 'gzip' : 'zstd'} body does not decompress to its declared ${size} bytes (${error instanceof Error ? error.message : String(error)})`);
  }
  if (out.length !== size) throw fail(`it decompresses to ${out.length} bytes, its header declares ${size} (uncompressed_page_size)`);
  return out;
}

function readDictionary(
  page: Uint8Array,
  count: number,
  layout: NativeLayout,
  fail: (detail: string) => InvalidInputError,
  scratch: NativeScratch,
  float64: (n: number) => Float64Array,
): Dictionary {
  if (count < 0) throw fail(`it declares ${count} values`);
  if (layout.kind === 'fixed') {
    const need = count * layout.width;
    if (page.length < need) throw fail(`${count} values of ${layout.width} bytes need ${need} bytes, it has ${page.length}`);
    // Copied to an aligned buffer (the page's values may lie at any offset), converted at once.
    const copy = scratch.alignedBytes(need);
    copy.set(page.subarray(0, need));
    const floats = float64(count);
    writeNumbers(rawOf(layout.raw, count, copy), layout.raw, floats);
    return { count, floats };
  }
  if (layout.kind === 'bool') throw new NotNative('a boolean dictionary');
  // Each entry has at least its 4-byte length: a count the page cannot hold is refused before anything is allocated.
  if (count > page.length / 4) throw fail(`it declares ${count} byte arrays, more than its ${page.length} bytes can hold`);
  const offsets = new Int32Array(count + 1);
  let p = 0;
  let length = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > page.length) throw fail(`its byte arrays end at value ${i} of its ${count} values (the page has ${page.length} bytes)`);
    const n = readU32(page, p);
    if (n > page.length - p - 4) throw fail(`byte array ${i} of its ${count} values declares ${n} bytes, past the page's end`);
    p += 4 + n;
    length += n;
    offsets[i + 1] = length;
  }
  const data = new Uint8Array(length);
  p = 0;
  for (let i = 0; i < count; i++) {
    const n = offsets[i + 1] - offsets[i];
    data.set(page.subarray(p + 4, p + 4 + n), offsets[i]);
    p += 4 + n;
  }
  return { count, data, offsets };
}


/** The bit width of a data page's dictionary indices (the byte before them), checked. */
function indexWidth(values: PageValues): number {
  const { page, at, fail } = values;
  if (at >= page.length) throw fail('it ends before its dictionary indices\' bit width');
  const width = page[at];
  if (width > 32) throw fail(`its dictionary indices declare a bit width of ${width} (at most 32)`);
  return width;
}

/** A dictionary index past the dictionary (2^31: one of 32 bits that wrapped negative). */
function pastDictionary(values: PageValues, index: number, size: number): InvalidInputError {
  return values.fail(`a dictionary index ${index >= 2 ** 31 ? 'of 2^31 or more' : index} past the dictionary's ${size} values`);
}

/** The page's dictionary indices (bit width byte + hybrid), each checked against the dictionary's size. */
function readIndices(values: PageValues, scratch: NativeScratch, size: number): Int32Array {
  const { page, at, present, fail } = values;
  scratch.page = scratch.int32(scratch.page, present);
  const indices = scratch.page;
  if (present === 0) return indices;
  const width = indexWidth(values);
  readHybrid(page, at + 1, page.length, width, present, indices, 0, (d) => fail(`its dictionary indices: ${d}`));
  let max = 0;
  for (let i = 0; i < present; i++) if (indices[i] > max || indices[i] < 0) max = indices[i] < 0 ? 2 ** 31 : indices[i];
  if (max >= size) throw pastDictionary(values, max, size);
  return indices;
}

/** Rows per dictionary index of a page's indices (each checked against the dictionary's size) added to `counts`. */
function countIndices(values: PageValues, scratch: NativeScratch, counts: Float64Array): void {
  const { page, at, present, fail } = values;
  if (present === 0) return;
  const width = indexWidth(values);
  countSink.counts = counts;
  countSink.scratch = scratch;
  countSink.width = width;
  countSink.bad = -1;
  readRuns(page, at + 1, page.length, width, present, countSink, (d) => fail(`its dictionary indices: ${d}`));
  if (countSink.bad >= 0) throw pastDictionary(values, countSink.bad, counts.length);
}

/** Hybrid-encoded dictionary indices counted per index: a run of one index costs one addition. */
class CountSink implements RunSink {
  counts: Float64Array = new Float64Array(0);
  scratch: NativeScratch | undefined;
  width = 0;
  /** The first index past the dictionary, or -1. */
  bad = -1;
  packed(src: Uint8Array, pos: number, take: number): void {
    const bad = countPacked(src, pos, this.width, take, this.counts, this.scratch as NativeScratch);
    if (bad >= 0 && this.bad < 0) this.bad = bad;
  }
  repeat(value: number, run: number): void {
    if (value < this.counts.length) this.counts[value] += run;
    else if (this.bad < 0 && run > 0) this.bad = value;
  }
}

/**
 * Count `take` bit-packed indices of `width` bits at byte `pos` into `counts` (bytes checked by the caller);
 * returns the first index past `counts` (2^31 for one of 32 bits that wraps negative), or -1. Exported for its test.
 */
export function countPacked(src: Uint8Array, pos: number, width: number, take: number, counts: Float64Array, scratch: NativeScratch): number {
  const size = counts.length;
  let done = 0;
  let bad = -1;
  if (width > 0 && width <= 24) {
    // Whole groups of eight while four bytes remain after a value: its index read through a 32-bit window and
    // counted in place (no index array); indices past the dictionary are only counted here, and named after.
    const mask = (1 << width) - 1;
    const groups = Math.max(0, Math.floor(((Math.ceil((take * width) / 8) - 4) * 8) / width / 8));
    let past = 0;
    let bit = pos * 8;
    for (const end = Math.min(take, groups * 8); done < end; done++, bit += width) {
      const b = bit >>> 3;
      const k = ((src[b] | (src[b + 1] << 8) | (src[b + 2] << 16) | (src[b + 3] << 24)) >>> (bit & 7)) & mask;
      if (k < size) counts[k]++;
      else past++;
    }
    if (past > 0) bad = firstPast(src, pos, width, done, size);
    if (done === take) return bad;
  }
  // The rest (and widths over 24): unpacked, then counted.
  const rest = take - done;
  scratch.page = scratch.int32(scratch.page, rest);
  const indices = scratch.page;
  unpack(src, pos + (done / 8) * width, width, rest, indices, 0);
  for (let i = 0; i < rest; i++) {
    const k = indices[i];
    if (k >= 0 && k < size) counts[k]++;
    else if (bad < 0) bad = k < 0 ? 2 ** 31 : k;
  }
  return bad;
}

/** For the message: the first of the first `n` indices at `pos` that is past a dictionary of `size`. */
function firstPast(src: Uint8Array, pos: number, width: number, n: number, size: number): number {
  const indices = new Int32Array(n);
  unpack(src, pos, width, n, indices, 0);
  return indices.find((k) => k >= size) ?? size;
}

const countSink = new CountSink();

/** Where the runs of a hybrid-encoded stream go: `count` values, in order. */
interface RunSink {
  /** `take` values bit-packed at byte `pos` (its bytes checked), for values [at, at + take). */
  packed(src: Uint8Array, pos: number, take: number, at: number): void;
  /** `run` copies of `value`, for values [at, at + run). */
  repeat(value: number, run: number, at: number): void;
}

/**
 * Walk `count` values of the RLE / bit-packed hybrid encoding (bit width `width`) in bytes [pos, end) to
 * `sink`. A bit-packed run may pad its last group of eight (the spec's padding); an RLE run longer than the
 * values left, a run past `end` or a value wider than `width` bits is corrupt.
 */
function readRuns(
  src: Uint8Array,
  pos: number,
  end: number,
  width: number,
  count: number,
  sink: RunSink,
  fail: (detail: string) => InvalidInputError,
): void {
  if (end > src.length) throw fail(`their ${end - pos} declared bytes run past the page's end`);
  const valueBytes = (width + 7) >> 3;
  const max = 2 ** width - 1;
  let done = 0;
  while (done < count) {
    let header = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= end) throw fail(`they end after ${done} of ${count} values`);
      b = src[pos++];
      header += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (b & 0x80) throw fail('a run header longer than five bytes');
    if (header % 2 === 1) {
      const groups = (header - 1) / 2;
      const take = Math.min(groups * 8, count - done);
      // A run's groups are whole (padded past the last value): all of its bytes must be there.
      const need = groups * width;
      if (need > end - pos) throw fail(`a bit-packed run of ${groups * 8} values needs ${need} bytes, ${end - pos} remain`);
      sink.packed(src, pos, take, done);
      pos += need;
      done += take;
    } else {
      const run = header / 2;
      if (run > count - done) throw fail(`an RLE run of ${run} values where ${count - done} remain`);
      if (valueBytes > end - pos) throw fail('an RLE run ends before its value');
      let v = 0;
      for (let k = 0; k < valueBytes; k++) v += src[pos + k] * 2 ** (8 * k);
      pos += valueBytes;
      if (v > max) throw fail(`an RLE value ${v} wider than ${width} bits`);
      sink.repeat(v, run, done);
      done += run;
    }
  }
}

/** Hybrid-encoded values into an Int32Array from `at` (values of 32 bits wrap to negative: callers check). */
class Int32Sink implements RunSink {
  out: Int32Array = new Int32Array(0);
  width = 0;
  packed(src: Uint8Array, pos: number, take: number, at: number): void {
    unpack(src, pos, this.width, take, this.out, at);
  }
  repeat(value: number, run: number, at: number): void {
    this.out.fill(value | 0, at, at + run);
  }
}

/** Definition levels (bit width 1) as a null mask: level 0 -> 1 (null). Counts the nulls. */
class MaskSink implements RunSink {
  out: Uint8Array = new Uint8Array(0);
  nulls = 0;
  packed(src: Uint8Array, pos: number, take: number, at: number): void {
    this.nulls += maskOfBits(src, pos * 8, take, this.out, at);
  }
  repeat(value: number, run: number, at: number): void {
    this.out.fill(value ^ 1, at, at + run);
    if (value === 0) this.nulls += run;
  }
}

const int32Sink = new Int32Sink();
const maskSink = new MaskSink();

/** Decode `count` hybrid-encoded values of `width` bits from bytes [pos, end) into out[at, at + count). */
function readHybrid(
  src: Uint8Array,
  pos: number,
  end: number,
  width: number,
  count: number,
  out: Int32Array,
  at: number,
  fail: (detail: string) => InvalidInputError,
): void {
  int32Sink.out = at === 0 ? out : out.subarray(at);
  int32Sink.width = width;
  readRuns(src, pos, end, width, count, int32Sink, fail);
}

/** A page's `count` definition levels (maximum 1) from bytes [pos, end) as a null mask in `out` (4-aligned); returns the nulls. */
function readLevels(src: Uint8Array, pos: number, end: number, count: number, out: Uint8Array, fail: (detail: string) => InvalidInputError): number {
  maskSink.out = out;
  maskSink.nulls = 0;
  readRuns(src, pos, end, 1, count, maskSink, fail);
  return maskSink.nulls;
}

/** Unpack `n` little-endian bit-packed values of `width` bits from src at byte `pos` (bytes checked by the caller). Exported for its test. */
export function unpack(src: Uint8Array, pos: number, width: number, n: number, out: Int32Array, at: number): void {
  if (width === 0) {
    out.fill(0, at, at + n);
    return;
  }
  if (width <= 24) {
    // Four bytes hold any value of <= 25 bits at any bit offset: one 32-bit window per value while four bytes
    // are left before `last` (measured 2x a refilled bit buffer), then a bit buffer reading only the run's bytes.
    const mask = (1 << width) - 1;
    const last = pos + Math.ceil((n * width) / 8);
    const safe = Math.max(0, Math.min(n, Math.floor(((last - 4 - pos) * 8) / width)));
    let bit = pos * 8;
    let i = 0;
    for (; i < safe; i++, bit += width) {
      const b = bit >>> 3;
      out[at + i] = ((src[b] | (src[b + 1] << 8) | (src[b + 2] << 16) | (src[b + 3] << 24)) >>> (bit & 7)) & mask;
    }
    let p = bit >>> 3;
    let bits = -(bit & 7);
    let acc = 0;
    for (; i < n; i++) {
      while (bits < width) {
        if (bits < 0) {
          acc = src[p++] >>> -bits;
          bits += 8;
        } else {
          acc |= src[p++] << bits;
          bits += 8;
        }
      }
      out[at + i] = acc & mask;
      acc >>>= width;
      bits -= width;
    }
    return;
  }
  let bit = pos * 8;
  for (let i = 0; i < n; i++, bit += width) {
    let v = 0;
    for (let k = 0; k < width; k++) {
      const q = bit + k;
      v += ((src[q >>> 3] >> (q & 7)) & 1) * 2 ** k;
    }
    out[at + i] = v | 0;
  }
}

/** Fixed-width values of `count` rows, no nulls, as the converter reads them. */
function rawOf(type: RawType, count: number, values: Uint8Array): RawArray {
  return { type, length: count, nullCount: 0, valueOffset: 0, bitOffset: 0, validity: undefined, values, data: undefined, dictionary: undefined };
}

/** PLAIN fixed-width values of a page, converted, into their rows (null rows 0). */
function plainFixed(
  values: PageValues,
  layout: Extract<NativeLayout, { kind: 'fixed' }>,
  mask: Uint8Array,
  out: Float64Array,
  scratch: NativeScratch,
): void {
  const { page, at, row, count, present, fail } = values;
  const need = present * layout.width;
  if (page.length - at < need) throw fail(`${present} values of ${layout.width} bytes need ${need} bytes, it has ${page.length - at}`);
  let bytes = page.subarray(at, at + need);
  if ((bytes.byteOffset & 7) !== 0) {
    const aligned = scratch.alignedBytes(need);
    aligned.set(bytes);
    bytes = aligned;
  }
  if (present === count) {
    writeNumbers(rawOf(layout.raw, count, bytes), layout.raw, out.subarray(row, row + count));
    return;
  }
  if (scratch.dense.length < present) scratch.dense = new Float64Array(Math.max(present, 2 * scratch.dense.length));
  const dense = scratch.dense;
  writeNumbers(rawOf(layout.raw, present, bytes), layout.raw, dense);
  let k = 0;
  for (let i = row, end = row + count; i < end; i++) out[i] = mask[i] === 1 ? 0 : dense[k++];
}

/** Dictionary values of the page's indices into their rows (null rows 0). */
function gatherFixed(indices: Int32Array, dict: Float64Array, values: PageValues, mask: Uint8Array, out: Float64Array): void {
  const { row, count, present } = values;
  if (present === count) {
    for (let i = 0; i < count; i++) out[row + i] = dict[indices[i]];
    return;
  }
  let k = 0;
  for (let i = row, end = row + count; i < end; i++) out[i] = mask[i] === 1 ? 0 : dict[indices[k++]];
}

/** The numeric chunk of a fixed-width column: its values, and its null mask copied into `arrays` when it has nulls. */
function numericOf(values: Float64Array, rows: number, nulls: number, mask: Uint8Array, arrays: ChunkArrays): ColumnChunk {
  if (nulls === 0) return { kind: 'numeric', length: rows, values };
  const out = arrays.uint8(rows);
  out.set(mask.subarray(0, rows));
  return { kind: 'numeric', length: rows, values, nulls: out };
}

/** Dictionary keys of a utf8 page into their rows (null rows 0: their validity bit says null). */
function scatterKeys(indices: Int32Array, values: PageValues, mask: Uint8Array, slots: Int32Array): void {
  const { row, count } = values;
  let k = 0;
  for (let i = 0; i < count; i++) slots[row + i] = mask[row + i] === 1 ? 0 : indices[k++];
}

/** Booleans (PLAIN: bit-packed; RLE: 4-byte length + hybrid) into their rows as 0/1 (null rows 0). */
function scatterBits(values: PageValues, mask: Uint8Array, slots: Int32Array, rle: boolean): void {
  const { page, at, row, count, present, fail } = values;
  const dense = new Int32Array(present);
  if (rle) {
    if (page.length - at < 4) throw fail('it ends before its RLE booleans\' length');
    const length = readU32(page, at);
    if (length > page.length - at - 4) throw fail(`its RLE booleans declare ${length} bytes, past the page's end`);
    readHybrid(page, at + 4, at + 4 + length, 1, present, dense, 0, (d) => fail(`its RLE booleans: ${d}`));
  } else {
    const need = Math.ceil(present / 8);
    if (page.length - at < need) throw fail(`${present} booleans need ${need} bytes, it has ${page.length - at}`);
    unpack(page, at, 1, present, dense, 0);
  }
  let k = 0;
  for (let i = 0; i < count; i++) slots[row + i] = mask[row + i] === 1 ? 0 : dense[k++];
}

/** A utf8 chunk turns to per-row strings at its first PLAIN page: the rows read so far, from their dictionary keys. */
function stringsFromKeys(dictionary: Dictionary | undefined, rows: number, mask: Uint8Array, keys: Int32Array, total: number): Utf8Rows {
  const strings: Utf8Rows = { data: new Uint8Array(1024), length: 0, offsets: new Int32Array(total + 1) };
  if (rows > 0 && dictionary) {
    appendDictionaryStrings(strings, dictionary, keys, { page: new Uint8Array(0), at: 0, row: 0, count: rows, present: 0, encoding: ENCODING.rleDictionary, fail: () => new InvalidInputError('', '') }, mask, true);
  }
  return strings;
}

function reserve(strings: Utf8Rows, extra: number): void {
  if (strings.length + extra <= strings.data.length) return;
  const grown = new Uint8Array(Math.max(strings.length + extra, strings.data.length * 2));
  grown.set(strings.data.subarray(0, strings.length));
  strings.data = grown;
}

/**
 * Dictionary strings of a page's rows appended to per-row strings. `byRow`: `indices` holds a key per row
 * (the keys scattered before the chunk turned to strings), else one per non-null value.
 */
function appendDictionaryStrings(strings: Utf8Rows, dictionary: Dictionary, indices: Int32Array, values: PageValues, mask: Uint8Array, byRow = false): void {
  const { row, count } = values;
  const data = dictionary.data as Uint8Array;
  const offsets = dictionary.offsets as Int32Array;
  let k = 0;
  for (let i = 0; i < count; i++) {
    const r = row + i;
    if (mask[r] === 0) {
      const key = byRow ? indices[r] : indices[k++];
      const from = offsets[key];
      const n = offsets[key + 1] - from;
      reserve(strings, n);
      strings.data.set(data.subarray(from, from + n), strings.length);
      strings.length += n;
    }
    strings.offsets[r + 1] = strings.length;
  }
}

/** PLAIN byte arrays (4-byte length + bytes each) appended to per-row strings. */
function appendPlainStrings(strings: Utf8Rows, values: PageValues, mask: Uint8Array): void {
  const { page, row, count, present, fail } = values;
  let p = values.at;
  let k = 0;
  for (let i = 0; i < count; i++) {
    const r = row + i;
    if (mask[r] === 0) {
      if (p + 4 > page.length) throw fail(`its PLAIN byte arrays end at value ${k} of its ${present} values (the page has ${page.length} bytes)`);
      const n = readU32(page, p);
      if (n > page.length - p - 4) throw fail(`byte array ${k} of its ${present} values declares ${n} bytes, past the page's end`);
      reserve(strings, n);
      strings.data.set(page.subarray(p + 4, p + 4 + n), strings.length);
      strings.length += n;
      p += 4 + n;
      k++;
    }
    strings.offsets[r + 1] = strings.length;
  }
}

/** Validity bitmap (1 = valid) of rows [0, n) from the null mask. */
function validityOf(mask: Uint8Array, n: number): Uint8Array {
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) bits[i >> 3] |= (mask[i] ^ 1) << (i & 7);
  return bits;
}

function toChunk(
  layout: NativeLayout,
  rows: number,
  nulls: number,
  slots: Int32Array,
  mask: Uint8Array,
  dictionary: Dictionary | undefined,
  strings: Utf8Rows | undefined,
  arrays: ChunkArrays,
): ColumnChunk {
  if (layout.kind === 'bool') {
    const indices = arrays.int32(rows);
    for (let i = 0; i < rows; i++) indices[i] = mask[i] === 1 ? -1 : slots[i];
    return { kind: 'categorical', length: rows, dictionary: BOOLEAN_DICTIONARY, indices };
  }
  const validity = nulls === 0 ? undefined : validityOf(mask, rows);
  const utf8: RawType = { kind: 'utf8', large: false };
  let raw: RawArray;
  if (strings !== undefined) {
    const offsets = strings.offsets;
    raw = { type: utf8, length: rows, nullCount: nulls, valueOffset: 0, bitOffset: 0, validity, values: new Uint8Array(offsets.buffer, offsets.byteOffset, (rows + 1) * 4), data: strings.data.subarray(0, strings.length), dictionary: undefined };
  } else {
    const dict: RawArray = dictionary
      ? { type: utf8, length: dictionary.count, nullCount: 0, valueOffset: 0, bitOffset: 0, validity: undefined, values: new Uint8Array((dictionary.offsets as Int32Array).buffer), data: dictionary.data, dictionary: undefined }
      : { type: utf8, length: 0, nullCount: 0, valueOffset: 0, bitOffset: 0, validity: undefined, values: new Uint8Array(4), data: new Uint8Array(0), dictionary: undefined };
    raw = {
      type: { kind: 'dictionary', index: { kind: 'int', bits: 32, signed: true }, value: utf8 },
      length: rows,
      nullCount: nulls,
      valueOffset: 0,
      bitOffset: 0,
      validity,
      values: new Uint8Array(slots.buffer, slots.byteOffset, rows * 4),
      data: undefined,
      dictionary: dict,
    };
  }
  const chunk = toColumnChunk(raw, arrays);
  if (chunk === undefined) throw new NotNative('a utf8 chunk the converter refused');
  return chunk;
}
