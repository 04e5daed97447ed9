/**
 * Arrow IPC framing: where each message of a file or stream sits and what its flatbuffer metadata says,
 * with every byte read through the ByteSource. apache-arrow decodes the metadata (Message.decode) and opens
 * the file format (schema, footer, through asFileHandle); message bodies are never read here (see
 * arrow-ipc-body.ts). File format: the footer gives each message's offset; stream format: messages are
 * walked front to back, their bodies skipped.
 */
import { CompressionType, Message, RecordBatchReader, compressionRegistry, type Schema } from 'apache-arrow';
import { decompressZstd } from 'hyparquet-compressors';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { asFileHandle, recordFailures, type ReadFailures } from './byte-views.js';

/** Parallel metadata reads when counting the rows of an Arrow file. */
const HEADER_READ_CONCURRENCY = 8;
/** First read of a stream message: its prefix and (usually) all its metadata in one read. */
const STREAM_HEADER_READ_BYTES = 4096;

// IPC body compression, registered before any message is read (apache-arrow decodes the file format's
// dictionary batches itself while opening; arrow-ipc-body.ts looks the codec up for record batches): ZSTD is
// decoded with the pure-JS zstd decoder we already ship for Parquet fallbacks. LZ4_FRAME has no decoder
// here: such files fail with a message saying so.
if (!compressionRegistry.get(CompressionType.ZSTD)) {
  compressionRegistry.set(CompressionType.ZSTD, {
    decode: (data: Uint8Array) => {
      const out = decompressZstd(data);
      // apache-arrow views the result as typed arrays: it must start 8-byte aligned.
      return out.byteOffset % 8 === 0 ? out : out.slice();
    },
  });
}

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

/** Read the schema (and the file format's footer); errors of the source's reads are kept in `failures`. */
export async function openSchema(source: ByteSource, format: 'arrow-file' | 'arrow-stream', failures: ReadFailures): Promise<OpenedIpc> {
  if (format === 'arrow-stream') return { schema: await readStreamSchema(source), footer: null };
  // The file format: apache-arrow reads the footer (and the small dictionary batches) through random access.
  const reader = (await RecordBatchReader.from(asFileHandle(recordFailures(source, failures)))) as unknown as {
    readonly schema: Schema;
    readonly footer: FooterLike | null;
    open(): Promise<unknown>;
  };
  await reader.open();
  if (!reader.schema) throw new Error('no schema message');
  if (!reader.footer) throw new Error('no footer');
  return { schema: reader.schema, footer: reader.footer };
}

/** The stream's schema message (its first message), read with the same metadata reader as the batches. */
async function readStreamSchema(source: ByteSource): Promise<Schema> {
  const first = await readMessageAt(source, 0);
  if (!first?.message.isSchema()) throw new Error('no schema message');
  return first.message.header();
}

/** Sum the record batch lengths from each batch's metadata message (small reads; bodies untouched). */
export async function countFileRows(source: ByteSource, footer: FooterLike): Promise<number> {
  const blocks = Array.from({ length: footer.numRecordBatches }, (_, i) => footer.getRecordBatch(i));
  let total = 0;
  for (let i = 0; i < blocks.length; i += HEADER_READ_CONCURRENCY) {
    const counts = await Promise.all(
      blocks.slice(i, i + HEADER_READ_CONCURRENCY).map(async (block, k) => {
        if (!block) throw new Error(`record batch ${i + k}: missing footer block`);
        if (block.offset + block.metaDataLength > source.byteLength) {
          throw new InvalidInputError(
            source.name,
            `truncated: record batch ${i + k} ends at byte ${block.offset + block.metaDataLength}, after the end of the file (${source.byteLength} bytes)`,
          );
        }
        const bytes = await source.read(block.offset, block.offset + block.metaDataLength);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const continued = view.getInt32(0, true) === -1;
        const length = view.getInt32(continued ? 4 : 0, true);
        const start = continued ? 8 : 4;
        const message = Message.decode(bytes.subarray(start, start + length));
        if (!message.isRecordBatch()) throw new Error(`record batch ${i + k}: footer points at a non-record-batch message`);
        return message.header().length;
      }),
    );
    for (const c of counts) total += c;
  }
  return total;
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
 * The message at `offset` (metadata decoded, body not read), or undefined at the end of a stream. With
 * `metaDataLength` (from a file footer block) exactly that prefix + metadata is read.
 */
export async function readMessageAt(source: ByteSource, offset: number, metaDataLength?: number): Promise<IpcMessage | undefined> {
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
  if (length < 0) throw new Error(`invalid message length ${length} at byte ${offset}`);
  if (start + length > bytes.byteLength) {
    if (metaDataLength !== undefined || offset + start + length > size) {
      throw new InvalidInputError(source.name, `truncated: the message at byte ${offset} ends after the end of the file (${size} bytes)`);
    }
    bytes = await readRange(source, offset, offset + start + length);
  }
  const message = Message.decode(bytes.subarray(start, start + length));
  const bodyStart = offset + (metaDataLength ?? start + length);
  const bodyLength = Number(message.bodyLength);
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
