/**
 * Arrow IPC (file and stream formats) over the ByteSource, reading only what the requested columns need:
 * the messages' metadata (arrow-ipc-messages.ts), then from each record batch just the requested columns'
 * buffers (arrow-ipc-body.ts), one column at a time, converted and let go. Dictionary batches are read only
 * for requested dictionary columns. Peak memory: one column's raw bytes plus the converted chunks (reused
 * with `reuseBuffers`). Hostile input: every flatbuffer is verified and every declared length checked against
 * the file and the memory budget before it is read (arrow-ipc-messages.ts, arrow-ipc-body.ts), and the schema's
 * types must be valid Arrow types; any failure is an InvalidInputError naming the file.
 */
import type { Schema } from 'apache-arrow';
import type { ColumnBatch, ColumnField } from '../core/columns.js';
import { DriftgateError, InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { planColumns, rawTypeOf, readDictionaryValues, readRecordBatch, typeProblem, type ColumnPlan } from './arrow-ipc-body.js';
import {
  SourceReadError,
  countFileRows,
  openSchema,
  readBlockMessage,
  readMessageAt,
  unwrapRead,
  type BatchHeader,
  type DictionaryHeader,
  type FooterLike,
  type IpcMessage,
  type OpenedIpc,
} from './arrow-ipc-messages.js';
import { columnFieldOf, type RawArray } from './arrow-types.js';
import { memoryBudgetOf, messageOf, rangeOf, selectColumns, type BatchFile, type BatchOptions, type ReadUnit, type ReaderOptions, type UnitRange } from './batch-file.js';
import type { ChunkBuffers } from './chunk-buffers.js';

/** Open an Arrow IPC file or stream whose leading bytes were already checked. */
export async function openArrowIpc(source: ByteSource, format: 'arrow-file' | 'arrow-stream', options: ReaderOptions = {}): Promise<BatchFile> {
  const budget = memoryBudgetOf(options);
  let opened: OpenedIpc;
  let rowCount: number | undefined;
  try {
    opened = await openSchema(source, format, budget);
    checkSchema(opened.schema);
    rowCount = opened.footer ? await countFileRows(source, opened.footer, budget) : undefined;
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof SourceReadError) throw unwrapRead(error);
    throw new InvalidInputError(source.name, `unreadable Arrow IPC ${kindOf(format)}: ${messageOf(error)}`, { cause: error });
  }
  const schema = opened.schema.fields.map((field) => columnFieldOf(field.name, rawTypeOf(field.type), field.nullable));
  return new ArrowBatchFile(source, format, schema, rowCount, opened.schema, opened.footer, budget);
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
    private readonly budget: number,
  ) {
    this.name = source.name;
  }

  async *batches(columns?: readonly string[], options: BatchOptions = {}): AsyncIterable<ColumnBatch> {
    const wanted = selectColumns(this.source.name, this.schema, columns);
    const range = rangeOf(this.source.name, options.range, this.footer?.numRecordBatches, 'record batch');
    const plan = planColumns(this.arrowSchema, wanted);
    // No read-ahead: batch i+1 is converted only when the caller asks for it, so one set of arrays suffices.
    const pool = options.reuseBuffers ? new Map<string, ChunkBuffers>() : undefined;
    const dictionaries = new Map<number, RawArray[]>();
    let index = range.start;
    try {
      for await (const message of this.recordBatches(dictionaries, plan, range)) {
        let batch: ColumnBatch;
        try {
          batch = await readRecordBatch(this.source, message, plan, dictionaries, pool, this.budget);
        } catch (error) {
          throw decodeError(this.source.name, `record batch ${index}`, error);
        }
        yield batch;
        index++;
      }
    } catch (error) {
      throw unwrapRead(decodeError(this.source.name, `record batch ${index}`, error));
    }
  }

  /** The file format's record batches with their rows and body bytes (one metadata read each); undefined for a stream. */
  async units(): Promise<readonly ReadUnit[] | undefined> {
    const footer = this.footer;
    if (!footer) return undefined;
    const units: ReadUnit[] = [];
    for (let i = 0; i < footer.numRecordBatches; i++) {
      const message = await readBlockMessage(this.source, footer.getRecordBatch(i), `record batch ${i}`, this.budget);
      const rows = Number((message.message.header() as unknown as BatchHeader).length);
      units.push({ rows, bytes: message.bodyLength, decodedBytes: message.bodyLength });
    }
    return units;
  }

  /**
   * Record batches [start, end) of the file or stream, in order; every dictionary batch of a requested column
   * is read on the way (a delta dictionary before the range still adds to it). A stream's batches before
   * `start` are skipped by their metadata: their bodies are never read.
   */
  private async *recordBatches(dictionaries: Map<number, RawArray[]>, plan: ColumnPlan, range: UnitRange): AsyncGenerator<IpcMessage> {
    const footer = this.footer;
    if (footer) {
      for (let i = 0; i < footer.numDictionaries; i++) {
        const message = await readBlockMessage(this.source, footer.getDictionaryBatch(i), `dictionary batch ${i}`, this.budget);
        await this.addDictionary(message, i, dictionaries, plan);
      }
      for (let i = range.start; i < range.end; i++) {
        const message = await readBlockMessage(this.source, footer.getRecordBatch(i), `record batch ${i}`, this.budget);
        if (!message.message.isRecordBatch()) {
          throw new InvalidInputError(this.source.name, `record batch ${i}: the footer points at a non-record-batch message`);
        }
        yield message;
      }
      return;
    }
    let position = 0;
    let dictionaryIndex = 0;
    let batchIndex = 0;
    for (let m = 0; ; m++) {
      const at = position;
      const message = await readMessageAt(this.source, at, undefined, this.budget);
      if (!message) {
        if (range.end !== Number.POSITIVE_INFINITY && batchIndex < range.end) {
          throw new InvalidInputError(this.source.name, `record batch range [${range.start}, ${range.end}) is past the stream's ${batchIndex} record batches`);
        }
        return;
      }
      position = message.bodyStart + message.bodyLength;
      if (m === 0) continue; // the schema, read when the file was opened
      if (message.message.isRecordBatch()) {
        if (batchIndex >= range.end) return;
        if (batchIndex++ >= range.start) yield message;
      } else if (message.message.isDictionaryBatch()) await this.addDictionary(message, dictionaryIndex++, dictionaries, plan);
      else throw new InvalidInputError(this.source.name, `unexpected Arrow IPC message (type ${message.message.headerType}) at byte ${at}`);
    }
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
      values = await readDictionaryValues(this.source, message, header, valueType, this.budget);
    } catch (error) {
      throw decodeError(this.source.name, `dictionary batch ${index}`, error);
    }
    const chunks = header.isDelta ? (dictionaries.get(header.id) ?? []) : [];
    chunks.push(values);
    dictionaries.set(header.id, chunks);
  }
}

/**
 * The schema's types as arrow defines them: an integer of 13 bits or a float of precision 7 is a corrupted
 * schema (pyarrow refuses it), not a column to read with the nearest width.
 */
function checkSchema(schema: Schema): void {
  const check = (field: Schema['fields'][number], depth: number): void => {
    if (depth > 64) throw new Error('fields nested deeper than 64');
    const problem = typeProblem(field.type);
    if (problem) throw new Error(`field '${field.name}': ${problem}`);
    for (const child of field.type.children ?? []) check(child, depth + 1);
  };
  for (const field of schema.fields) check(field, 0);
}

/** A decoder's error as InvalidInputError naming the file; read failures and our own errors pass unchanged. */
function decodeError(name: string, what: string, error: unknown): unknown {
  if (error instanceof SourceReadError || error instanceof DriftgateError) return error;
  return new InvalidInputError(name, `failed to decode Arrow ${what}: ${explain(error)}`, { cause: error });
}

/** apache-arrow's message when a body codec is missing, turned into advice. */
function explain(error: unknown): string {
  const text = messageOf(error);
  return /compressed but codec not found/.test(text)
    ? `${text} (LZ4_FRAME-compressed IPC is not supported; write it uncompressed or with zstd)`
    : text;
}
