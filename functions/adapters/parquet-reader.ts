/**
 * Parquet through parquet-wasm's async ParquetFile over a Blob view of the ByteSource (asBlob): it reads the
 * footer, then for each row group only the column chunks asked for (one ranged read per chunk or run of
 * adjacent chunks). Each row group is decoded a few columns at a time (COLUMNS_PER_DECODE) to Arrow arrays
 * in wasm memory and copied straight out of that memory through the Arrow C data interface (no IPC
 * serialisation), then freed: the wasm heap, which never shrinks, stays bounded by a few decoded columns of
 * one row group, and the converted chunks by two row groups (the one consumed and the one read ahead). See
 * columnar-reader.ts for why parquet-wasm. parquet-wasm sees the footer through withDictionaryFooter
 * (parquet-dictionary-footer.ts): dictionary-encoded string columns come out as dictionary arrays.
 */
import { parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ParquetFile } from 'parquet-wasm';
import type { ColumnBatch, ColumnChunk, ColumnField } from '../core/columns.js';
import { AdapterError, InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { readCRecordBatch, readCSchema, type CSchema } from './arrow-c-data.js';
import { toColumnChunk } from './arrow-columns.js';
import { columnFieldOf } from './arrow-types.js';
import { messageOf, selectColumns, type BatchFile, type BatchOptions } from './batch-file.js';
import { asAsyncBuffer, asBlob, recordFailures, type ReadFailures } from './byte-views.js';
import { buffersFor, type ChunkBuffers } from './chunk-buffers.js';
import { withDictionaryFooter } from './parquet-dictionary-footer.js';
import { withParquetWasm, type ParquetWasm } from './parquet-wasm-host.js';

/** Open a Parquet file whose magic bytes were already checked; reads and parses the footer. */
export async function openParquet(source: ByteSource): Promise<BatchFile> {
  const failures: ReadFailures = {};
  const blob = asBlob(recordFailures(await withDictionaryFooter(source), failures));
  try {
    const opened = await withParquetWasm(async (module, generation) => {
      const file = await module.ParquetFile.fromFile(blob);
      const info = readFileInfo(module, file);
      return { file, generation, ...info };
    });
    const fields = opened.schema.children.map((child) => columnFieldOf(child.name, child.type, child.nullable));
    return new ParquetBatchFile(source, blob, opened.file, opened.generation, fields, opened.rowCount, opened.rowGroupRows, failures);
  } catch (error) {
    if (failures.first !== undefined) throw failures.first;
    if (error instanceof AdapterError) throw error;
    throw new InvalidInputError(source.name, `unreadable Parquet footer: ${messageOf(error)}`, { cause: error });
  }
}

function readFileInfo(
  module: ParquetWasm,
  file: ParquetFile,
): { schema: CSchema; rowCount: number; rowGroupRows: number[] } {
  const metadata = file.metadata();
  const rowGroupRows: number[] = [];
  let rowCount: number;
  try {
    const count = metadata.numRowGroups();
    for (let g = 0; g < count; g++) {
      const group = metadata.rowGroup(g);
      rowGroupRows.push(group.numRows());
      group.free();
    }
    const fileMetadata = metadata.fileMetadata();
    rowCount = fileMetadata.numRows();
    fileMetadata.free();
  } finally {
    metadata.free();
  }
  const ffi = file.schema().intoFFI();
  try {
    return { schema: readCSchema(module.wasmMemory().buffer, ffi.addr()), rowCount, rowGroupRows };
  } finally {
    ffi.free();
  }
}

/**
 * Columns decoded per parquet-wasm call. Measured 2026-11-26 with bench/sign-child.ts on the 5M-row bench
 * files (12 columns, 1M-row groups; load average 5–8, so ±15%): peak RSS 575–587 MB with all 12 per call;
 * 1 → 400–420 MB, 2 → 420–434, 3 → 436–448, 4 → 470–494; CPU time showed no trend above the noise.
 */
const COLUMNS_PER_DECODE = 2;

class ParquetBatchFile implements BatchFile {
  readonly format = 'parquet' as const;
  readonly name: string;

  constructor(
    private readonly source: ByteSource,
    private readonly blob: Blob,
    private file: ParquetFile,
    private generation: number,
    readonly schema: readonly ColumnField[],
    readonly rowCount: number,
    private readonly rowGroupRows: readonly number[],
    private readonly failures: ReadFailures,
  ) {
    this.name = source.name;
  }

  async *batches(columns?: readonly string[], options: BatchOptions = {}): AsyncIterable<ColumnBatch> {
    // `other` columns (lists, structs, binary) have no chunk form: never decode them.
    const convertible = new Set(this.schema.filter((f) => f.type !== 'other').map((f) => f.name));
    const wanted = selectColumns(this.source.name, this.schema, columns).filter((c) => convertible.has(c));
    if (wanted.length === 0) {
      for (const rows of this.rowGroupRows) yield { rowCount: rows, columns: new Map() };
      return;
    }
    // Read ahead one row group: its ranged reads (S3 GETs) are in flight while the caller works on the
    // current one. At most two row groups are held: the one being consumed and the next.
    // With reuseBuffers, two sets of arrays alternate: group g+1 is converted into one while the caller
    // consumes group g from the other, and g+2 reuses g's only after the caller asked for g+1.
    const pools = options.reuseBuffers ? [new Map<string, ChunkBuffers>(), new Map<string, ChunkBuffers>()] : undefined;
    let next = this.startRowGroup(0, wanted, pools?.[0]);
    for (let g = 0; g < this.rowGroupRows.length; g++) {
      const current = await next;
      next = this.startRowGroup(g + 1, wanted, pools?.[(g + 1) % 2]);
      yield* current;
    }
  }

  private startRowGroup(group: number, wanted: readonly string[], pool: Map<string, ChunkBuffers> | undefined): Promise<ColumnBatch[]> {
    if (group >= this.rowGroupRows.length) return Promise.resolve([]);
    const pending = this.readRowGroup(group, this.rowGroupRows[group], wanted, pool);
    // Observed now so a failure while the caller is busy is not an unhandled rejection; awaited later.
    pending.catch(() => undefined);
    return pending;
  }

  private async readRowGroup(
    group: number,
    rows: number,
    wanted: readonly string[],
    pool: Map<string, ChunkBuffers> | undefined,
  ): Promise<ColumnBatch[]> {
    this.failures.first = undefined;
    try {
      return await withParquetWasm(async (module, generation) => {
        if (generation !== this.generation) {
          // The instance this file was opened on panicked and was replaced: reopen on the new one.
          this.file = await module.ParquetFile.fromFile(this.blob);
          this.generation = generation;
        }
        // A few columns per decode: the wasm heap (which never shrinks) then holds a few decoded columns,
        // not the whole row group. The column subsets are disjoint, so each column chunk is read once.
        const out: { rowCount: number; columns: Map<string, ColumnChunk> }[] = [];
        for (let first = 0; first < wanted.length; first += COLUMNS_PER_DECODE) {
          const subset = wanted.slice(first, first + COLUMNS_PER_DECODE);
          await this.decodeInto(module, group, rows, subset, out, pool);
        }
        return out;
      });
    } catch (error) {
      if (this.failures.first !== undefined) throw this.failures.first;
      if (error instanceof AdapterError) throw error;
      throw await this.describeFailure(group, wanted, error);
    }
  }

  /** Decode `subset` of row group `group` and add its chunks to `out` (one entry per record batch). */
  private async decodeInto(
    module: ParquetWasm,
    group: number,
    rows: number,
    subset: readonly string[],
    out: { rowCount: number; columns: Map<string, ColumnChunk> }[],
    pool: Map<string, ChunkBuffers> | undefined,
  ): Promise<void> {
    const table = await this.file.read({ rowGroups: [group], columns: [...subset], batchSize: Math.max(1, rows) });
    const stream = table.intoFFI();
    try {
      const schema = readCSchema(module.wasmMemory().buffer, stream.schemaAddr());
      const count = stream.numArrays();
      for (let b = 0; b < count; b++) {
        const pointer = stream.arrayAddr(b);
        // Take the memory after the last wasm call: a memory.grow would detach an older buffer.
        const batch = readCRecordBatch(module.wasmMemory().buffer, pointer, schema);
        let target = out[b];
        if (target === undefined) {
          target = { rowCount: batch.rowCount, columns: new Map() };
          out.push(target);
        } else if (target.rowCount !== batch.rowCount) {
          throw new InvalidInputError(
            this.source.name,
            `row group ${group}: columns ${subset.map((c) => `'${c}'`).join(', ')} decoded to ${batch.rowCount} rows in batch ${b}, other columns to ${target.rowCount}`,
          );
        }
        for (const name of subset) {
          const raw = batch.columns.get(name);
          // Reused arrays only for a row group's single batch (parquet-wasm returns one: batchSize = rows).
          const chunk = raw && toColumnChunk(raw, pool && count === 1 ? buffersFor(pool, name) : undefined);
          if (chunk) target.columns.set(name, chunk);
        }
      }
    } finally {
      stream.free();
    }
  }

  /**
   * Name the failing column and the cause: decode the row group's columns one by one with hyparquet (pure
   * JS, slower, but its errors are plain exceptions), only on this error path.
   */
  private async describeFailure(group: number, wanted: readonly string[], error: unknown): Promise<Error> {
    const where = `failed to decode row group ${group}`;
    const rowStart = this.rowGroupRows.slice(0, group).reduce((a, b) => a + b, 0);
    const rowEnd = rowStart + this.rowGroupRows[group];
    const file = asAsyncBuffer(this.source);
    try {
      const metadata = await parquetMetadataAsync(file);
      for (const name of wanted) {
        try {
          await parquetRead({ file, metadata, columns: [name], rowStart, rowEnd, compressors });
        } catch (columnError) {
          return new InvalidInputError(this.source.name, `column '${name}': ${where}: ${messageOf(columnError)}`, {
            cause: columnError,
          });
        }
      }
    } catch {
      // The footer already parsed once; fall through to the decoder's own message.
    }
    const label = wanted.length === 1 ? `column '${wanted[0]}'` : `columns ${wanted.map((w) => `'${w}'`).join(', ')}`;
    return new InvalidInputError(this.source.name, `${label}: ${where}: ${messageOf(error)}`, { cause: error });
  }
}
