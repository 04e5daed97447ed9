/**
 * A bounded LZ4 frame decoder (the LZ4_FRAME body compression of Arrow IPC, pyarrow's default for Feather
 * and `IpcWriteOptions(compression='lz4')`), pure TypeScript, no allocation beyond the output.
 *
 * The caller knows how many bytes the frame must decode to (Arrow prefixes every compressed buffer with its
 * uncompressed length, already checked against the memory budget), so the output is allocated once at that
 * size and every write is checked against it: a frame that claims or produces more is refused, never grown
 * into. Every read is checked against the input; block sizes against the frame's maximum block size; the
 * header checksum always, block and content checksums when the frame carries them. Linked blocks (matches
 * reaching into earlier blocks, at most 64 KiB back) and independent blocks are both read.
 *
 * Format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md and lz4_Block_format.md.
 */

/** A malformed frame: the message says which field, at which byte of the frame. */
export class Lz4FrameError extends Error {
  override readonly name = 'Lz4FrameError';
}

const MAGIC = 0x184d2204;
/** Skippable frames (0x184D2A50..5F) carry no data; Arrow never writes them, and neither may a buffer. */
const BLOCK_MAX_SIZES: Readonly<Record<number, number>> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };
/** The window of a linked block's matches. */
const WINDOW = 64 * 1024;
const MIN_MATCH = 4;

/**
 * Decode one LZ4 frame that must produce exactly `expectedLength` bytes (the caller checked that length
 * against its memory budget). Throws Lz4FrameError on anything else.
 * @example
 * const bytes = decodeLz4Frame(body, 4096);
 */
export function decodeLz4Frame(input: Uint8Array, expectedLength: number): Uint8Array {
  if (!Number.isSafeInteger(expectedLength) || expectedLength < 0) throw new Lz4FrameError(`expected length ${expectedLength} is not a byte count`);
  const fail = (at: number, what: string): never => {
    throw new Lz4FrameError(`LZ4 frame byte ${at}: ${what}`);
  };
  const u32 = (at: number, what: string): number => {
    if (at + 4 > input.byteLength) fail(at, `${what} runs past the end of the ${input.byteLength}-byte buffer`);
    return (input[at] | (input[at + 1] << 8) | (input[at + 2] << 16) | (input[at + 3] << 24)) >>> 0;
  };

  if (u32(0, 'the magic number') !== MAGIC) fail(0, 'not an LZ4 frame (bad magic number)');
  if (input.byteLength < 7) fail(4, 'the frame descriptor runs past the end of the buffer');
  const flg = input[4];
  const bd = input[5];
  if (flg >> 6 !== 1) fail(4, `frame version ${flg >> 6}, expected 1`);
  if ((flg & 0x02) !== 0) fail(4, 'reserved FLG bit set');
  if ((bd & 0x8f) !== 0) fail(5, 'reserved BD bits set');
  const independent = (flg & 0x20) !== 0;
  const blockChecksums = (flg & 0x10) !== 0;
  const hasContentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const hasDictionary = (flg & 0x01) !== 0;
  const blockMax = BLOCK_MAX_SIZES[(bd >> 4) & 7];
  if (blockMax === undefined) fail(5, `block maximum size code ${(bd >> 4) & 7}, expected 4 to 7`);
  let at = 6;
  if (hasContentSize) {
    const low = u32(at, 'the content size');
    const high = u32(at + 4, 'the content size');
    const size = high * 4294967296 + low;
    if (size !== expectedLength) fail(at, `declares ${high > 0x1fffff ? 'over 2^53' : size} content bytes, its buffer ${expectedLength}`);
    at += 8;
  }
  if (hasDictionary) fail(at, 'needs a dictionary (DictID), which Arrow never uses');
  if (at >= input.byteLength) fail(at, 'the header checksum runs past the end of the buffer');
  const headerChecksum = (xxh32(input, 4, at) >>> 8) & 0xff;
  if (input[at] !== headerChecksum) fail(at, `header checksum ${input[at]}, the descriptor's is ${headerChecksum}`);
  at++;

  const output = new Uint8Array(expectedLength);
  let written = 0;
  for (;;) {
    const blockAt = at;
    const word = u32(at, 'a block size');
    at += 4;
    if (word === 0) break; // EndMark
    const stored = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax) fail(blockAt, `a block of ${size} bytes, over the frame's ${blockMax}-byte maximum`);
    if (at + size > input.byteLength) fail(blockAt, `a block of ${size} bytes runs past the end of the ${input.byteLength}-byte buffer`);
    if (blockChecksums) {
      const expected = u32(at + size, 'a block checksum');
      const actual = xxh32(input, at, at + size);
      if (expected !== actual) fail(at + size, 'block checksum mismatch');
    }
    if (stored) {
      if (written + size > expectedLength) fail(blockAt, `an uncompressed block takes the content past its declared ${expectedLength} bytes`);
      output.set(input.subarray(at, at + size), written);
      written += size;
    } else {
      written = decodeBlock(input, at, at + size, output, written, independent ? written : Math.max(0, written - WINDOW), blockMax, fail);
    }
    at += size + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum) {
    const expected = u32(at, 'the content checksum');
    if (expected !== xxh32(output, 0, written)) fail(at, 'content checksum mismatch');
    at += 4;
  }
  if (written !== expectedLength) fail(at, `decodes to ${written} bytes, its buffer declares ${expectedLength}`);
  if (at !== input.byteLength) fail(at, `${input.byteLength - at} bytes after the end of the frame`);
  return output;
}

/**
 * One compressed block into `output` from `out`: literals and matches, each length and offset checked
 * (matches may reach back to `windowStart`, no further). Returns the new end of the output.
 */
function decodeBlock(
  input: Uint8Array,
  start: number,
  end: number,
  output: Uint8Array,
  out: number,
  windowStart: number,
  blockMax: number,
  fail: (at: number, what: string) => never,
): number {
  const blockStart = out;
  const limit = output.byteLength;
  let ip = start;
  for (;;) {
    if (ip >= end) fail(ip, 'a block ends inside a sequence');
    const token = input[ip++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (ip >= end) fail(ip, 'a literal length runs past the end of its block');
        b = input[ip++];
        literals += b;
      } while (b === 255);
    }
    if (ip + literals > end) fail(ip, `${literals} literals run past the end of their block`);
    if (out + literals > limit) fail(ip, `literals take the content past its declared ${limit} bytes`);
    // Short runs by hand: a subarray + set per sequence costs more than the copy itself.
    if (literals < 32) {
      for (let i = 0; i < literals; i++) output[out++] = input[ip++];
    } else {
      output.set(input.subarray(ip, ip + literals), out);
      ip += literals;
      out += literals;
    }
    if (ip === end) break; // the last sequence holds literals only
    if (ip + 2 > end) fail(ip, 'a match offset runs past the end of its block');
    const offset = input[ip] | (input[ip + 1] << 8);
    const offsetAt = ip;
    ip += 2;
    if (offset === 0) fail(offsetAt, 'match offset 0');
    if (out - offset < windowStart) fail(offsetAt, `match offset ${offset} reaches before the data it may copy from`);
    let length = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= end) fail(ip, 'a match length runs past the end of its block');
        b = input[ip++];
        length += b;
      } while (b === 255);
    }
    if (out + length > limit) fail(offsetAt, `a match takes the content past its declared ${limit} bytes`);
    let from = out - offset;
    if (offset >= length && length >= 64) {
      output.copyWithin(out, from, from + length);
      out += length;
    } else {
      // Short or overlapping (each byte may be one this match just wrote: a run): byte by byte.
      for (let i = 0; i < length; i++) output[out++] = output[from++];
    }
    if (out - blockStart > blockMax) fail(offsetAt, `a block decodes to more than the frame's ${blockMax}-byte maximum`);
  }
  if (out - blockStart > blockMax) fail(end, `a block decodes to more than the frame's ${blockMax}-byte maximum`);
  return out;
}

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function read32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/** xxHash32 (seed 0) of bytes [start, end): the checksum of LZ4 frames. */
export function xxh32(b: Uint8Array, start: number, end: number): number {
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    for (; i + 16 <= end; i += 16) {
      v1 = round(v1, read32(b, i));
      v2 = round(v2, read32(b, i + 4));
      v3 = round(v3, read32(b, i + 8));
      v4 = round(v4, read32(b, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5;
  }
  h = (h + (end - start)) | 0;
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(read32(b, i), P3)) | 0, 17), P4);
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(b[i], P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}
