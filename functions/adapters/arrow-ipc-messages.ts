/**
 * Arrow IPC framing: where each message of a file or stream sits and what its flatbuffer metadata says,
 * with every byte read through the ByteSource. Each flatbuffer (message metadata, file footer) is verified
 * (arrow-flatbuffers.ts) before apache-arrow decodes it, and every length it declares is checked against the
 * file and the memory budget before anything is read; message bodies are never read here (see
 * arrow-ipc-body.ts). File format: the footer gives each message's offset; stream format: messages are
 * walked front to back, their bodies skipped.
 */
import { Message, MetadataVersion, type CompressionType, type Schema } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { verifyFooter, verifyMessage, type VerifiedMetadata } from './arrow-flatbuffers.js';
import { messageOf, overBudget } from './batch-file.js';

/** Parallel metadata reads when counting the rows of an Arrow file. */
const HEADER_READ_CONCURRENCY = 8;
/** First read of a stream message: its prefix and (usually) all its metadata in one read. */
const STREAM_HEADER_READ_BYTES = 4096;

/** Where each message sits, from the Arrow file footer. */
export interface FileBlockLike {
  readonly offset: number;
  readonly metaDataLength: number;
  readonly bodyLength: number;
}

/** The Arrow file footer as apache-arrow decodes it: the blocks of the dictionary and record batches. */
export interface FooterLike {
  readonly numRecordBatches: number;
  readonly numDictionaries: number;
  getRecordBatch(i: number): FileBlockLike | null;
  getDictionaryBatch(i: number): FileBlockLike | null;
}

/** The schema and (file format only) the footer of an Arrow IPC source. */
export interface OpenedIpc {
  readonly schema: Schema;
  readonly footer: FooterLike | null;
}

/** Read the schema (and the file format's footer), every length checked against the file and the budget. */
export async function openSchema(source: ByteSource, format: 'arrow-file' | 'arrow-stream', budget: number): Promise<OpenedIpc> {
  if (format === 'arrow-stream') return { schema: await readStreamSchema(source, budget), footer: null };
  return readFileFooter(source, budget);
}

/** The stream's schema message (its first message), read with the same metadata reader as the batches. */
async function readStreamSchema(source: ByteSource, budget: number): Promise<Schema> {
  const first = await readMessageAt(source, 0, undefined, budget);
  if (!first?.message.isSchema()) throw new InvalidInputError(source.name, 'not a valid Arrow IPC stream: its first message is not a schema');
  return first.message.header();
}

/** Bytes after an Arrow file's footer: its length (int32) and the magic ARROW1. */
const FILE_TAIL = 10;
/** Bytes before an Arrow file's first message: the magic ARROW1 and two bytes of padding. */
const FILE_HEAD = 8;

/**
 * The file format's footer: its length (it must fit between the leading and trailing magic, and in the
 * budget), its flatbuffer verified, then decoded by apache-arrow.
 */
async function readFileFooter(source: ByteSource, budget: number): Promise<OpenedIpc> {
  const size = source.byteLength;
  const tail = await source.read(size - FILE_TAIL, size);
  const length = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getInt32(0, true);
  if (length <= 0 || length > size - FILE_TAIL - FILE_HEAD) {
    throw new InvalidInputError(source.name, `truncated or corrupt: the Arrow file's footer length ${length} does not fit in the file (${size} bytes)`);
  }
  if (length > budget) throw overBudget(source.name, 'the Arrow file footer', 'footer length', length, budget);
  const bytes = await source.read(size - FILE_TAIL - length, size - FILE_TAIL);
  let footer: InstanceType<typeof Footer>;
  try {
    const verified = verifyFooter(bytes);
    footer = Footer.decode(bytes);
    checkVersion(footer.version);
    checkEndianness(verified);
  } catch (error) {
    throw new InvalidInputError(source.name, `unreadable Arrow IPC file footer: ${messageOf(error)}`, { cause: error });
  }
  return { schema: footer.schema, footer };
}

/** Metadata versions pyarrow reads: V4 (3) and V5 (4); older ones are refused, as arrow does. */
function checkVersion(version: number): void {
  if (version !== MetadataVersion.V4 && version !== MetadataVersion.V5) throw new Error(`unsupported metadata version ${version}`);
}

function checkEndianness(verified: VerifiedMetadata): void {
  if (verified.endianness.some((e) => e !== 0)) throw new Error('big-endian Arrow data is not supported');
}

/** Sum the record batch lengths from each batch's metadata message (small reads; bodies untouched). */
export async function countFileRows(source: ByteSource, footer: FooterLike, budget: number): Promise<number> {
  const blocks = Array.from({ length: footer.numRecordBatches }, (_, i) => footer.getRecordBatch(i));
  checkDisjoint(source.name, [...blocks, ...Array.from({ length: footer.numDictionaries }, (_, i) => footer.getDictionaryBatch(i))]);
  let total = 0;
  for (let i = 0; i < blocks.length; i += HEADER_READ_CONCURRENCY) {
    const counts = await Promise.all(
      blocks.slice(i, i + HEADER_READ_CONCURRENCY).map(async (block, k) => {
        const message = await readBlockMessage(source, block, `record batch ${i + k}`, budget);
        if (!message.message.isRecordBatch()) {
          throw new InvalidInputError(source.name, `record batch ${i + k}: the footer points at a non-record-batch message`);
        }
        return Number((message.message.header() as unknown as BatchHeader).length);
      }),
    );
    for (const c of counts) total += c;
  }
  return total;
}

/**
 * No two footer blocks share bytes: writers never overlap messages, and a footer listing one batch a million
 * times would make a small file decode for minutes.
 */
function checkDisjoint(name: string, blocks: readonly (FileBlockLike | null)[]): void {
  const sorted = blocks.filter((b): b is FileBlockLike => b !== null).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1];
    const end = previous.offset + previous.metaDataLength + previous.bodyLength;
    if (sorted[i].offset < end) {
      throw new InvalidInputError(name, `the footer's blocks at bytes ${previous.offset} and ${sorted[i].offset} overlap (the first ends at byte ${end})`);
    }
  }
}

/**
 * The message a file footer's block points at, the block checked first (as arrow does: 8-byte aligned offset
 * and lengths, inside the file) and its body length against the message's own.
 */
export async function readBlockMessage(source: ByteSource, block: FileBlockLike | null, what: string, budget: number): Promise<IpcMessage> {
  if (!block) throw new InvalidInputError(source.name, `${what}: missing footer block`);
  const { offset, metaDataLength, bodyLength } = block;
  const fields = [offset, metaDataLength, bodyLength];
  if (!fields.every((v) => Number.isSafeInteger(v) && v >= 0 && v % 8 === 0) || offset < FILE_HEAD || metaDataLength === 0) {
    throw new InvalidInputError(
      source.name,
      `${what}: malformed footer block (offset ${offset}, metadata ${metaDataLength} bytes, body ${bodyLength} bytes; each a multiple of 8)`,
    );
  }
  if (offset + metaDataLength + bodyLength > source.byteLength - FILE_TAIL) {
    throw new InvalidInputError(
      source.name,
      `truncated: ${what} ends at byte ${offset + metaDataLength + bodyLength}, after the end of the file's data (${source.byteLength} bytes)`,
    );
  }
  const message = await readMessageAt(source, offset, metaDataLength, budget);
  if (!message) throw new InvalidInputError(source.name, `${what}: empty message at byte ${offset}`);
  if (message.bodyLength !== bodyLength) {
    throw new InvalidInputError(source.name, `${what}: its message declares a body of ${message.bodyLength} bytes, the footer ${bodyLength}`);
  }
  return message;
}

/** A ByteSource failure, carried unchanged through the decode-error wrapping. */
export class SourceReadError extends Error {
  constructor(readonly original: unknown) {
    super('source read failed');
  }
}

/** The source's own error when `error` is a SourceReadError, else `error`. */
export function unwrapRead(error: unknown): unknown {
  return error instanceof SourceReadError ? error.original : error;
}

/** `source.read`, its failures wrapped in SourceReadError. */
export async function readRange(source: ByteSource, start: number, end: number): Promise<Uint8Array> {
  try {
    return await source.read(start, end);
  } catch (error) {
    throw new SourceReadError(error);
  }
}

/** One message: its decoded metadata and where its body lies in the source. */
export interface IpcMessage {
  readonly message: Message;
  readonly bodyStart: number;
  readonly bodyLength: number;
}

/**
 * The message at `offset` (metadata verified and decoded, body not read), or undefined at the end of a
 * stream. With `metaDataLength` (from a file footer block) exactly that prefix + metadata is read. Every
 * failure is an InvalidInputError naming the byte, except the source's own read errors (SourceReadError).
 */
export async function readMessageAt(source: ByteSource, offset: number, metaDataLength: number | undefined, budget: number): Promise<IpcMessage | undefined> {
  const size = source.byteLength;
  if (metaDataLength === undefined && offset + 4 > size) return undefined;
  const end = metaDataLength === undefined ? Math.min(size, offset + STREAM_HEADER_READ_BYTES) : offset + metaDataLength;
  if (end > size) {
    throw new InvalidInputError(source.name, `truncated: a message ends at byte ${end}, after the end of the file (${size} bytes)`);
  }
  let bytes = await readRange(source, offset, end);
  if (bytes.byteLength < 4) throw new InvalidInputError(source.name, `truncated: incomplete message prefix at byte ${offset}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const continued = view.getInt32(0, true) === -1;
  if (continued && bytes.byteLength < 8) {
    if (metaDataLength === undefined && offset + 4 === size) return undefined;
    throw new InvalidInputError(source.name, `truncated: incomplete message prefix at byte ${offset}`);
  }
  const length = view.getInt32(continued ? 4 : 0, true);
  const start = continued ? 8 : 4;
  if (length === 0) return undefined; // end-of-stream marker
  if (length < 0) throw new InvalidInputError(source.name, `invalid Arrow IPC message length ${length} at byte ${offset}`);
  if (length > budget) throw overBudget(source.name, `the Arrow IPC message at byte ${offset}`, 'metadata length', length, budget);
  if (start + length > bytes.byteLength) {
    if (metaDataLength !== undefined || offset + start + length > size) {
      throw new InvalidInputError(source.name, `truncated: the message at byte ${offset} ends after the end of the file (${size} bytes)`);
    }
    bytes = await readRange(source, offset, offset + start + length);
  }
  const metadata = bytes.subarray(start, start + length);
  let message: Message;
  try {
    const verified = verifyMessage(metadata);
    message = Message.decode(metadata);
    checkVersion(message.version);
    checkEndianness(verified);
    message.header(); // decoded now: its failures are this message's
  } catch (error) {
    throw new InvalidInputError(source.name, `unreadable Arrow IPC message at byte ${offset}: ${messageOf(error)}`, { cause: error });
  }
  const bodyStart = offset + (metaDataLength ?? start + length);
  const bodyLength = Number(message.bodyLength);
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    throw new InvalidInputError(source.name, `the Arrow IPC message at byte ${offset} declares a body of ${bodyLength} bytes`);
  }
  if (bodyStart + bodyLength > size) {
    throw new InvalidInputError(source.name, `truncated: a message body ends at byte ${bodyStart + bodyLength}, after the end of the file (${size} bytes)`);
  }
  return { message, bodyStart, bodyLength };
}

/** One buffer's place in a message body. */
export interface BufferRegionLike {
  readonly offset: number;
  readonly length: number;
}

/** The decoded metadata of a record batch (apache-arrow's metadata.RecordBatch, which it does not export). */
export interface BatchHeader {
  readonly length: number;
  readonly nodes: readonly { readonly length: number; readonly nullCount: number }[];
  readonly buffers: readonly BufferRegionLike[];
  readonly compression: { readonly type: CompressionType } | null;
  readonly variadicBufferCounts: readonly number[];
}

/** The decoded metadata of a dictionary batch. */
export interface DictionaryHeader {
  readonly id: number;
  readonly isDelta: boolean;
  readonly data: BatchHeader;
}
