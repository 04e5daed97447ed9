/**
 * Arrow IPC (file and stream formats) over the ByteSource, reading only what the requested columns need:
 * the messages' metadata (arrow-ipc-messages.ts), then from each record batch just the requested columns'
 * buffers (arrow-ipc-body.ts), one column at a time, converted and let go. Dictionary batches are read only
 * for requested dictionary columns. Peak memory: one column's raw bytes plus the converted chunks (reused
 * with `reuseBuffers`).
 */
import type { Schema } from 'apache-arrow';
import type { ColumnBatch, ColumnField } from '../core/columns.js';
import { InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { planColumns, rawTypeOf, readDictionaryValues, readRecordBatch, type ColumnPlan } from './arrow-ipc-body.js';
import {
  SourceReadError,
  countFileRows,
  openSchema,
  readMessageAt,
  unwrapRead,
  type DictionaryHeader,
  type FileBlockLike,
  type FooterLike,
  type IpcMessage,
  type OpenedIpc,
} from './arrow-ipc-messages.js';
import { columnFieldOf, type RawArray } from './arrow-types.js';
import { messageOf, selectColumns, type BatchFile, type BatchOptions } from './batch-file.js';
import type { ReadFailures } from './byte-views.js';
import type { ChunkBuffers } from './chunk-buffers.js';

/** Open an Arrow IPC file or stream whose leading bytes were already checked. */
export async function openArrowIpc(source: ByteSource, format: 'arrow-file' | 'arrow-stream'): Promise<BatchFile> {
  const failures: ReadFailures = {};
  let opened: OpenedIpc;
  let rowCount: number | undefined;
  try {
    opened = await openSchema(source, format, failures);
    rowCount = opened.footer ? await countFileRows(source, opened.footer) : undefined;
  } catch (error) {
    if (failures.first !== undefined) throw failures.first;
    if (error instanceof InvalidInputError || error instanceof SourceReadError) throw unwrapRead(error);
    throw new InvalidInputError(source.name, `unreadable Arrow IPC ${kindOf(format)}: ${messageOf(error)}`, { cause: error });
  }
  const schema = opened.schema.fields.map((field) => columnFieldOf(field.name, rawTypeOf(field.type), field.nullable));
  return new ArrowBatchFile(source, format, schema, rowCount, opened.schema, opened.footer);
}

function kindOf(format: 'arrow-file' | 'arrow-stream'): string {
  return format === 'arrow-file' ? 'file' : 'stream';
}

class ArrowBatchFile implements BatchFile {
  readonly name: string;

  constructor(
    private readonly source: ByteSource,
    readonly format: 'arrow-file' | 'arrow-stream',
    readonly schema: readonly ColumnField[],
    readonly rowCount: number | undefined,
    private readonly arrowSchema: Schema,
    private readonly footer: FooterLike | null,
  ) {
    this.name = source.name;
  }

  async *batches(columns?: readonly string[], options: BatchOptions = {}): AsyncIterable<ColumnBatch> {
    const wanted = selectColumns(this.source.name, this.schema, columns);
    const plan = planColumns(this.arrowSchema, wanted);
    // No read-ahead: batch i+1 is converted only when the caller asks for it, so one set of arrays suffices.
    const pool = options.reuseBuffers ? new Map<string, ChunkBuffers>() : undefined;
    const dictionaries = new Map<number, RawArray[]>();
    let index = 0;
    try {
      for await (const message of this.recordBatches(dictionaries, plan)) {
        let batch: ColumnBatch;
        try {
          batch = await readRecordBatch(this.source, message, plan, dictionaries, pool);
        } catch (error) {
          throw decodeError(this.source.name, `record batch ${index}`, error);
        }
        yield batch;
        index++;
      }
    } catch (error) {
      throw unwrapRead(error);
    }
  }

  /** Record batch messages in order; the dictionary batches of requested columns are read on the way. */
  private async *recordBatches(dictionaries: Map<number, RawArray[]>, plan: ColumnPlan): AsyncGenerator<IpcMessage> {
    const footer = this.footer;
    if (footer) {
      for (let i = 0; i < footer.numDictionaries; i++) {
        const message = await this.blockMessage(footer.getDictionaryBatch(i), `dictionary batch ${i}`);
        await this.addDictionary(message, i, dictionaries, plan);
      }
      for (let i = 0; i < footer.numRecordBatches; i++) {
        const message = await this.blockMessage(footer.getRecordBatch(i), `record batch ${i}`);
        if (!message.message.isRecordBatch()) {
          throw new InvalidInputError(this.source.name, `record batch ${i}: the footer points at a non-record-batch message`);
        }
        yield message;
      }
      return;
    }
    let position = 0;
    let dictionaryIndex = 0;
    for (;;) {
      const message = await readMessageAt(this.source, position);
      if (!message) return;
      position = message.bodyStart + message.bodyLength;
      if (message.message.isRecordBatch()) yield message;
      else if (message.message.isDictionaryBatch()) await this.addDictionary(message, dictionaryIndex++, dictionaries, plan);
    }
  }

  private async blockMessage(block: FileBlockLike | null, what: string): Promise<IpcMessage> {
    if (!block) throw new InvalidInputError(this.source.name, `${what}: missing footer block`);
    const message = await readMessageAt(this.source, block.offset, block.metaDataLength);
    if (!message) throw new InvalidInputError(this.source.name, `${what}: empty message at byte ${block.offset}`);
    return message;
  }

  private async addDictionary(message: IpcMessage, index: number, dictionaries: Map<number, RawArray[]>, plan: ColumnPlan): Promise<void> {
    if (!message.message.isDictionaryBatch()) {
      throw new InvalidInputError(this.source.name, `dictionary batch ${index}: not a dictionary batch message`);
    }
    const header = message.message.header() as unknown as DictionaryHeader;
    const valueType = plan.dictionaryTypes.get(header.id);
    if (!valueType) return; // no requested column uses it: its body is never read
    let values: RawArray;
    try {
      values = await readDictionaryValues(this.source, message, header, valueType);
    } catch (error) {
      throw decodeError(this.source.name, `dictionary batch ${index}`, error);
    }
    const chunks = header.isDelta ? (dictionaries.get(header.id) ?? []) : [];
    chunks.push(values);
    dictionaries.set(header.id, chunks);
  }
}

/** A decoder's error as InvalidInputError naming the file; read failures and our own errors pass unchanged. */
function decodeError(name: string, what: string, error: unknown): unknown {
  if (error instanceof SourceReadError || error instanceof InvalidInputError) return error;
  return new InvalidInputError(name, `failed to decode Arrow ${what}: ${explain(error)}`, { cause: error });
}

/** apache-arrow's message when a body codec is missing, turned into advice. */
function explain(error: unknown): string {
  const text = messageOf(error);
  return /compressed but codec not found/.test(text)
    ? `${text} (LZ4_FRAME-compressed IPC is not supported; write it uncompressed or with zstd)`
    : text;
}
