/**
 * Parquet through parquet-wasm's async ParquetFile over a Blob view of the ByteSource (asBlob): it reads the
 * footer, then for each row group only the column chunks asked for (one ranged read per chunk or run of
 * adjacent chunks). Each row group is decoded a few columns at a time (COLUMNS_PER_DECODE) to Arrow arrays
 * in wasm memory and copied straight out of that memory through the Arrow C data interface (no IPC
 * serialisation), then freed: the wasm heap, which never shrinks, stays bounded by a few decoded columns of
 * one row group, and the converted chunks by two row groups (the one consumed and the one read ahead). With
 * BatchOptions.columnParts (what signSources asks for) a row group is handed out one column chunk at a time
 * instead, into one reused buffer set: memory is then one decoded column chunk plus the stored bytes read
 * ahead, whatever the width (measured: 100k rows x 500 columns, 634-641 -> 258 MB peak RSS). See
 * columnar-reader.ts for why parquet-wasm. parquet-wasm sees the footer through withDictionaryFooter
 * (parquet-dictionary-footer.ts): dictionary-encoded string columns come out as dictionary arrays.
 * Hostile input: the footer is checked (parquet-footer.ts) before parquet-wasm parses it, and each column chunk
 * is read by this reader, its page headers checked (parquet-pages.ts), then served to parquet-wasm from memory:
 * nothing a file declares is allocated before it was checked against the file and the memory budget, and the
 * rows decoded must be the rows declared.
 */
import type { ParquetFile } from 'parquet-wasm';
import type { ColumnBatch, ColumnChunk, ColumnField, CountedCategories, CountedChunk } from '../core/columns.js';
import { AdapterError, InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
import { readCRecordBatch, readCSchema, type CSchema } from './arrow-c-data.js';
import { toColumnChunk } from './arrow-columns.js';
import { columnFieldOf, type RawType } from './arrow-types.js';
import { memoryBudgetOf, messageOf, overBudget, rangeOf, selectColumns, type BatchFile, type BatchOptions, type ReadUnit, type ReaderOptions } from './batch-file.js';
import { asAsyncBuffer, asBlob, recordFailures, type ReadFailures } from './byte-views.js';
import { FRESH_ARRAYS, IdleSets, ReadBuffers, buffersFor, type ChunkBuffers } from './chunk-buffers.js';
import { checkParquetFooter, type ParquetChunk, type ParquetLayout } from './parquet-footer.js';
import { footerSchema, type FooterField } from './parquet-schema.js';
import { NativeScratch, NotNative, decodeNativeChunk, decodeNativeCounted, nativeLayoutOf } from './parquet-native.js';
import { checkChunkPages } from './parquet-pages.js';
import { WasmPanicError, withParquetWasm, type ParquetWasm } from './parquet-wasm-host.js';

/**
 * Open a Parquet file whose magic bytes were already checked: its footer is checked (parquet-footer.ts) before
 * parquet-wasm parses it, and each column chunk's pages (parquet-pages.ts) before parquet-wasm decodes them.
 */
export async function openParquet(source: ByteSource, options: ReaderOptions = {}): Promise<BatchFile> {
  const budget = memoryBudgetOf(options);
  const layout = await readLayout(source, budget);
  const failures: ReadFailures = {};
  const prefetched = new PrefetchedSource(source);
  if (options.parquetDecoder !== 'wasm') {
    // The schema from the footer: parquet-wasm (and the footer it is shown) only if a chunk needs it.
    const footer = footerFieldsOf(layout);
    if (footer !== undefined) {
      const fields = footer.map((f) => columnFieldOf(f.name, f.type, f.nullable));
      return new ParquetBatchFile(source, undefined, prefetched, layout, budget, undefined, 0, fields, failures, new Map(footer.map((f) => [f.name, f.type])));
    }
  }
  const blob = await wasmBlob(prefetched, failures);
  try {
    const opened = await withParquetWasm(async (module, generation) => {
      const file = await module.ParquetFile.fromFile(blob);
      const info = readFileInfo(module, file);
      return { file, generation, ...info };
    });
    if (opened.rowCount !== layout.numRows || opened.rowGroupRows.join() !== layout.rowGroups.map((g) => g.numRows).join()) {
      throw new InvalidInputError(source.name, 'unreadable Parquet footer: its row counts read differently by parquet-wasm');
    }
    const fields = opened.schema.children.map((child) => columnFieldOf(child.name, child.type, child.nullable));
    // The Arrow type parquet-wasm reads each column as: what a natively decoded chunk must equal.
    const native = options.parquetDecoder === 'wasm' ? undefined : new Map(opened.schema.children.map((child) => [child.name, child.type]));
    return new ParquetBatchFile(source, blob, prefetched, layout, budget, opened.file, opened.generation, fields, failures, native);
  } catch (error) {
    if (failures.first !== undefined) throw failures.first;
    if (error instanceof AdapterError || error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(source.name, `unreadable Parquet footer: ${messageOf(error)}`, { cause: error });
  }
}

/** What parquet-wasm reads: the file behind the footer it should see (PrefetchedSource.patchFooter), its read failures recorded. */
async function wasmBlob(prefetched: PrefetchedSource, failures: ReadFailures): Promise<Blob> {
  await prefetched.patchFooter();
  return asBlob(recordFailures(prefetched, failures));
}

/**
 * The columns and Arrow types of the checked footer (parquet-schema.ts), or undefined when its rules do not
 * settle them (or the names repeat): parquet-wasm's schema is then used.
 */
function footerFieldsOf(layout: ParquetLayout): readonly FooterField[] | undefined {
  try {
    const fields = footerSchema(layout);
    return fields && new Set(fields.map((f) => f.name)).size === fields.length ? fields : undefined;
  } catch {
    // A footer field of an unexpected thrift type: parquet-wasm reads the schema (and reports it).
    return undefined;
  }
}

/** Read the footer (usually from the cached tail) and check it against the file and the budget. */
async function readLayout(source: ByteSource, budget: number): Promise<ParquetLayout> {
  const size = source.byteLength;
  const tail = await source.read(size - 8, size);
  const footerLength = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(0, true);
  if (footerLength > budget) throw overBudget(source.name, 'the footer', 'footer length', footerLength, budget);
  const footerStart = size - 8 - footerLength;
  if (footerStart < 4) {
    throw new InvalidInputError(source.name, `truncated: footer length ${footerLength} exceeds file size (${size} bytes)`);
  }
  return checkParquetFooter(source.name, await source.read(footerStart, size - 8), size, footerStart, budget);
}

/**
 * The source parquet-wasm reads through: while a row group's column chunks are being decoded, reads inside
 * them are served from the bytes already read and checked (so the decoder decodes exactly what was checked,
 * and nothing is read twice); everything else goes to the source.
 */
class PrefetchedSource implements ByteSource {
  readonly name: string;
  private inner: ByteSource;
  private patched = false;
  private ranges: readonly { readonly start: number; readonly bytes: Uint8Array }[] = [];

  constructor(private readonly source: ByteSource) {
    this.name = source.name;
    this.inner = source;
  }

  get byteLength(): number {
    return this.inner.byteLength;
  }

  /**
   * From now on, the footer parquet-wasm should see (withDictionaryFooter, loaded here: its apache-arrow only
   * when parquet-wasm is needed). Once, before parquet-wasm first reads the file.
   */
  async patchFooter(): Promise<void> {
    if (this.patched) return;
    const { withDictionaryFooter } = await import('./parquet-dictionary-footer.js');
    this.inner = await withDictionaryFooter(this.source);
    this.patched = true;
  }

  /** Serve reads from `ranges` until `clear`. */
  serve(ranges: readonly { readonly start: number; readonly bytes: Uint8Array }[]): void {
    this.ranges = ranges;
  }

  clear(): void {
    this.ranges = [];
  }

  read(start: number, end: number): Promise<Uint8Array> {
    for (const range of this.ranges) {
      if (start >= range.start && end <= range.start + range.bytes.byteLength) {
        return Promise.resolve(range.bytes.subarray(start - range.start, end - range.start));
      }
    }
    return this.inner.read(start, end);
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
 * hyparquet's decompressors, zstd bounded by the page's declared (and budget-checked) uncompressed size:
 * hyparquet-compressors' own zstd allocates whatever size the frame header claims. Loaded on the error path only.
 */
async function boundedCompressors(): Promise<Record<string, (input: Uint8Array, outputLength: number) => Uint8Array>> {
  const { compressors, decompressZstd } = await import('hyparquet-compressors');
  return { ...compressors, ZSTD: (input: Uint8Array, outputLength: number) => decompressZstd(input, new Uint8Array(outputLength)) };
}

/**
 * Columns decoded per parquet-wasm call. Measured 2026-11-26 with bench/sign-child.ts on the 5M-row bench
 * files (12 columns, 1M-row groups; load average 5–8, so ±15%): peak RSS 575–587 MB with all 12 per call;
 * 1 → 400–420 MB, 2 → 420–434, 3 → 436–448, 4 → 470–494; CPU time showed no trend above the noise.
 */
const COLUMNS_PER_DECODE = 2;

/**
 * Columns per part with BatchOptions.columnParts: one, so memory is one decoded column chunk (and parquet-wasm's
 * heap, which never shrinks, one column's decode).
 */
const COLUMNS_PER_PART = 1;

/** Stored bytes read ahead beyond the next part by default (ByteSource.readAheadBytes): S3 GETs stay in flight while a part is decoded. */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;
/** Parts read ahead at most (concurrent ranged reads). */
const READ_AHEAD_PARTS = 8;

/** The work buffers of one column-parts read, reused from read to read in this thread (IdleSets). */
interface PartBuffers {
  /** Per-slot chunk arrays (slots, not column names: a part's columns). */
  readonly slots: Map<string, ChunkBuffers>;
  readonly readBuffers: ReadBuffers;
  readonly scratch: NativeScratch;
}

const PART_BUFFERS = new IdleSets<PartBuffers>(() => ({ slots: new Map(), readBuffers: new ReadBuffers(2 * READ_AHEAD_BYTES), scratch: new NativeScratch() }));

/** Stored bytes read and checked: from `start`, in a read buffer (`owned`) when the source read into one. */
interface CheckedRange {
  readonly start: number;
  readonly bytes: Uint8Array;
  readonly owned?: Uint8Array;
}

/** One decoded batch of a row group: its rows, and per column a chunk (or, in column parts, a counted chunk). */
interface DecodedBatch {
  rowCount: number;
  columns: Map<string, ColumnChunk>;
  counted?: Map<string, CountedChunk | CountedCategories>;
}

class ParquetBatchFile implements BatchFile {
  readonly format = 'parquet' as const;
  readonly name: string;
  readonly rowCount: number;
  private readonly rowGroupRows: readonly number[];
  private readonly scratch = new NativeScratch();
  private byColumn: { group: number; map: ReadonlyMap<string, readonly ParquetChunk[]> } | undefined;

  constructor(
    private readonly source: ByteSource,
    /** What parquet-wasm reads (the patched footer): made when parquet-wasm first opens the file. */
    private blob: Blob | undefined,
    private readonly prefetched: PrefetchedSource,
    private readonly layout: ParquetLayout,
    private readonly budget: number,
    /** parquet-wasm's handle: undefined until a chunk needs parquet-wasm (reopenOn). */
    private file: ParquetFile | undefined,
    private generation: number,
    readonly schema: readonly ColumnField[],
    private readonly failures: ReadFailures,
    /** Column -> Arrow type, for the chunks parquet-native.ts decodes; undefined: parquet-wasm decodes every chunk. */
    private readonly nativeTypes: ReadonlyMap<string, RawType> | undefined,
  ) {
    this.name = source.name;
    this.rowCount = layout.numRows;
    this.rowGroupRows = layout.rowGroups.map((g) => g.numRows);
  }

  async *batches(columns?: readonly string[], options: BatchOptions = {}): AsyncIterable<ColumnBatch> {
    // `other` columns (lists, structs, binary) have no chunk form: never decode them.
    const convertible = new Set(this.schema.filter((f) => f.type !== 'other').map((f) => f.name));
    const wanted = selectColumns(this.source.name, this.schema, columns).filter((c) => convertible.has(c));
    const { start, end } = rangeOf(this.source.name, options.range, this.rowGroupRows.length, 'row group');
    if (wanted.length === 0) {
      for (let g = start; g < end; g++) yield { rowCount: this.rowGroupRows[g], columns: new Map() };
      return;
    }
    if (options.columnParts === true) {
      yield* this.columnParts(wanted, start, end, options.reuseBuffers === true, options.countedColumns);
      return;
    }
    // Read ahead one row group: its ranged reads (S3 GETs) are in flight while the caller works on the
    // current one. At most two row groups are held: the one being consumed and the next.
    // With reuseBuffers, two sets of arrays alternate: group g+1 is converted into one while the caller
    // consumes group g from the other, and g+2 reuses g's only after the caller asked for g+1.
    const pools = options.reuseBuffers ? [new Map<string, ChunkBuffers>(), new Map<string, ChunkBuffers>()] : undefined;
    let next = this.startRowGroup(start, end, wanted, pools?.[0]);
    for (let g = start; g < end; g++) {
      const current = await next;
      next = this.startRowGroup(g + 1, end, wanted, pools?.[(g + 1 - start) % 2]);
      yield* current;
    }
  }

  /**
   * Row groups [start, end) handed out one column chunk at a time (ColumnBatch.part; the last part of a group
   * carries its rows): memory holds one decoded column chunk (in one reused buffer set when `reuse`)
   * and the stored bytes of the chunks read ahead, whatever the width. The stored bytes of the next chunks
   * are read while the current one is decoded and consumed (the next part, and beyond it up to the source's
   * readAheadBytes: READ_AHEAD_BYTES unless the source says less, as a local file does), so ranged GETs on S3
   * overlap the work as the row-group read-ahead did.
   */
  private async *columnParts(
    wanted: readonly string[],
    start: number,
    end: number,
    reuse: boolean,
    counted: ReadonlySet<string> | undefined,
  ): AsyncIterable<ColumnBatch> {
    const parts: { group: number; columns: readonly string[]; bytes: number; last: boolean }[] = [];
    for (let g = start; g < end; g++) {
      const byColumn = this.layout.rowGroups[g].chunks;
      const stored = new Map<string, number>();
      for (const chunk of byColumn) stored.set(chunk.leaf.column, (stored.get(chunk.leaf.column) ?? 0) + (chunk.end - chunk.start));
      for (let first = 0; first < wanted.length; first += COLUMNS_PER_PART) {
        const columns = wanted.slice(first, first + COLUMNS_PER_PART);
        const bytes = columns.reduce((n, c) => n + (stored.get(c) ?? 0), 0);
        parts.push({ group: g, columns, bytes, last: first + COLUMNS_PER_PART >= wanted.length });
      }
    }
    // This thread's idle work buffers (PART_BUFFERS), given back when the parts end: one set of per-slot
    // buffers (part k+1 is decoded only once the caller asked for it, i.e. was done with part k), the read
    // buffers and the decoder's scratch.
    const held = PART_BUFFERS.take();
    const pool = reuse ? held.slots : undefined;
    const { readBuffers, scratch } = held;
    const reads: (Promise<CheckedRange[]> | undefined)[] = [];
    // Stored bytes in flight beyond part `next` (which is always read): the source's latency decides (ByteSource.readAheadBytes).
    const readAhead = this.source.readAheadBytes ?? READ_AHEAD_BYTES;
    let issued = 0;
    let inFlight = 0;
    const issue = (next: number): void => {
      while (issued < parts.length && (issued <= next || (issued - next < READ_AHEAD_PARTS && inFlight + parts[issued].bytes <= readAhead))) {
        const { group, columns, bytes } = parts[issued];
        const read = this.readCheckedChunks(group, columns, readBuffers);
        // Observed now so a failure while the caller is busy is not an unhandled rejection; awaited later.
        read.catch(() => undefined);
        reads[issued] = read;
        inFlight += bytes;
        issued++;
      }
    };
    try {
      for (let k = 0; k < parts.length; k++) {
        issue(k);
        const part = parts[k];
        const ranges = reads[k];
        reads[k] = undefined;
        const batch = await this.decodePart(part.group, part.columns, ranges ?? Promise.resolve([]), pool, counted, scratch);
        inFlight -= part.bytes;
        // This part's stored bytes are free once decoded (decodePart resolved `ranges`): decoded chunks never
        // refer to them (both decoders copy values out). The next part is read into them while the caller works.
        for (const range of (await ranges) ?? []) if (range.owned) readBuffers.give(range.owned);
        issue(k + 1);
        for (let b = 0; b < batch.length; b++) {
          const unitRows = part.last && b === batch.length - 1 ? { unitRows: this.rowGroupRows[part.group] } : {};
          const countedColumns = batch[b].counted;
          yield { rowCount: batch[b].rowCount, columns: batch[b].columns, part: unitRows, ...(countedColumns ? { counted: countedColumns } : {}) };
        }
      }
    } finally {
      // Reads still in flight (the caller stopped early, or a part failed) fill buffers they took out of the
      // set: those are never given back to it, so the next read cannot be handed one of them.
      PART_BUFFERS.give(held);
    }
  }

  /**
   * Decode `columns` of row group `group` from their checked bytes: the record batches parquet-wasm returns
   * (one: batchSize = rows), their rows checked against the footer's; errors as readRowGroup's.
   */
  private async decodePart(
    group: number,
    columns: readonly string[],
    ranges: Promise<{ start: number; bytes: Uint8Array }[]>,
    pool: Map<string, ChunkBuffers> | undefined,
    counted: ReadonlySet<string> | undefined,
    scratch: NativeScratch,
  ): Promise<DecodedBatch[]> {
    this.failures.first = undefined;
    const rows = this.rowGroupRows[group];
    try {
      const checked = await ranges;
      // Slots, not column names, key the reused buffers: memory is one part's columns, however many columns.
      const slots = pool && new Map(columns.map((c, i) => [c, buffersFor(pool, String(i))]));
      const out: DecodedBatch[] = [];
      await this.decodeInto(group, rows, columns, out, slots, checked, counted, scratch);
      return this.checkedRows(group, rows, out);
    } catch (error) {
      throw await this.failureOf(group, columns, error);
    }
  }

  /** Row groups with their rows, stored bytes (column chunks) and decoded bytes (uncompressed), from the checked footer. */
  units(): Promise<readonly ReadUnit[]> {
    return Promise.resolve(
      this.layout.rowGroups.map((group) => ({
        rows: group.numRows,
        bytes: group.chunks.reduce((n, c) => n + (c.end - c.start), 0),
        decodedBytes: group.chunks.reduce((n, c) => n + c.uncompressedSize, 0),
      })),
    );
  }

  private startRowGroup(group: number, end: number, wanted: readonly string[], pool: Map<string, ChunkBuffers> | undefined): Promise<ColumnBatch[]> {
    if (group >= end) return Promise.resolve([]);
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
    let subset: readonly string[] = wanted;
    try {
      // A few columns per decode: the wasm heap (which never shrinks) then holds a few decoded columns,
      // not the whole row group. The column subsets are disjoint, so each column chunk is read once.
      const out: { rowCount: number; columns: Map<string, ColumnChunk> }[] = [];
      for (let first = 0; first < wanted.length; first += COLUMNS_PER_DECODE) {
        subset = wanted.slice(first, first + COLUMNS_PER_DECODE);
        await this.decodeInto(group, rows, subset, out, pool);
      }
      return this.checkedRows(group, rows, out);
    } catch (error) {
      throw await this.failureOf(group, subset, error);
    }
  }

  /** The footer's row count against the data: a contradiction is an error, never a silently different count. */
  private checkedRows<T extends { rowCount: number }>(group: number, rows: number, out: T[]): T[] {
    const decoded = out.reduce((n, b) => n + b.rowCount, 0);
    if (decoded !== rows) {
      throw new InvalidInputError(this.source.name, `row group ${group}: its pages decoded to ${decoded} rows, the footer declares ${rows} (num_rows)`);
    }
    return out;
  }

  /** What a failed decode of `columns` of row group `group` throws: the first recorded failure, a named error as is, else described. */
  private async failureOf(group: number, columns: readonly string[], error: unknown): Promise<unknown> {
    if (this.failures.first !== undefined) return this.failures.first;
    if (error instanceof AdapterError || error instanceof InvalidInputError) return error;
    return this.describeFailure(group, columns, error);
  }

  /**
   * parquet-wasm's handle on this file, opened on first use (a file whose schema came from the footer and whose
   * chunks all decode natively never opens it), and again on a new instance after a panic replaced the old one.
   * The first open checks parquet-wasm reads the footer's row counts.
   */
  private async reopenOn(module: ParquetWasm, generation: number): Promise<ParquetFile> {
    if (this.file !== undefined && generation === this.generation) return this.file;
    const first = this.file === undefined;
    if (this.blob === undefined) {
      this.blob = await wasmBlob(this.prefetched, this.failures);
    }
    const file = await module.ParquetFile.fromFile(this.blob);
    if (first) {
      const info = readFileInfo(module, file);
      if (info.rowCount !== this.layout.numRows || info.rowGroupRows.join() !== this.rowGroupRows.join()) {
        throw new InvalidInputError(this.source.name, 'unreadable Parquet footer: its row counts read differently by parquet-wasm');
      }
    }
    this.file = file;
    this.generation = generation;
    return file;
  }

  /** Decode `subset` of row group `group` and add its chunks to `out` (one entry per record batch). */
  private async decodeInto(
    group: number,
    rows: number,
    subset: readonly string[],
    out: DecodedBatch[],
    pool: Map<string, ChunkBuffers> | undefined,
    checked?: { start: number; bytes: Uint8Array }[],
    counted?: ReadonlySet<string>,
    scratch = this.scratch,
  ): Promise<void> {
    const ranges = checked ?? (await this.readCheckedChunks(group, subset));
    const rest = this.decodeNative(group, rows, subset, ranges, out, pool, counted, scratch);
    if (rest.length > 0) await withParquetWasm((module, generation) => this.decodeWasm(module, generation, group, rows, subset, rest, ranges, out, pool));
  }

  /** Decode `rest` (of `subset`) with parquet-wasm from the checked `ranges`, into `out`. */
  private async decodeWasm(
    module: ParquetWasm,
    generation: number,
    group: number,
    rows: number,
    subset: readonly string[],
    rest: readonly string[],
    ranges: readonly CheckedRange[],
    out: DecodedBatch[],
    pool: Map<string, ChunkBuffers> | undefined,
  ): Promise<void> {
    const file = await this.reopenOn(module, generation);
    this.prefetched.serve(ranges);
    let table;
    try {
      table = await file.read({ rowGroups: [group], columns: [...rest], batchSize: Math.max(1, rows) });
    } finally {
      this.prefetched.clear();
    }
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
        for (const name of rest) {
          const raw = batch.columns.get(name);
          // Reused arrays only for a row group's single batch (parquet-wasm returns one: batchSize = rows).
          const chunk = raw && toColumnChunk(raw, pool && count === 1 ? buffersFor(pool, name) : undefined);
          if (!chunk) throw new InvalidInputError(this.source.name, `column '${name}': failed to decode row group ${group}: the decoder returned no values`);
          target.columns.set(name, chunk);
        }
      }
    } finally {
      stream.free();
    }
  }

  /**
   * Decode the columns of `subset` that parquet-native.ts can (one flat chunk of a layout it handles) from their
   * checked bytes into `out` (one batch of the group's rows); returns the others, for parquet-wasm.
   */
  private decodeNative(
    group: number,
    rows: number,
    subset: readonly string[],
    ranges: readonly { start: number; bytes: Uint8Array }[],
    out: DecodedBatch[],
    pool: Map<string, ChunkBuffers> | undefined,
    counted: ReadonlySet<string> | undefined,
    scratch: NativeScratch,
  ): readonly string[] {
    if (this.nativeTypes === undefined) return subset;
    const byColumn = this.chunksByColumn(group);
    const rest: string[] = [];
    for (const name of subset) {
      const chunks = byColumn.get(name);
      const type = this.nativeTypes.get(name);
      const chunk = chunks?.length === 1 ? chunks[0] : undefined;
      const layout = chunk && type && nativeLayoutOf(chunk, type);
      const range = chunk && ranges.find((r) => chunk.start >= r.start && chunk.end <= r.start + r.bytes.byteLength);
      if (!chunk || !layout || !range) {
        rest.push(name);
        continue;
      }
      let decoded: ColumnChunk | CountedChunk | CountedCategories;
      try {
        const bytes = range.bytes.subarray(chunk.start - range.start, chunk.end - range.start);
        decoded =
          (counted?.has(name) === true ? decodeNativeCounted(this.source.name, chunk, layout, bytes, rows, scratch) : undefined) ??
          decodeNativeChunk(this.source.name, chunk, layout, bytes, rows, scratch, pool ? buffersFor(pool, name) : FRESH_ARRAYS);
      } catch (error) {
        if (!(error instanceof NotNative)) throw error;
        rest.push(name);
        continue;
      }
      if (out.length === 0) out.push({ rowCount: rows, columns: new Map() });
      if (decoded.kind === 'counted' || decoded.kind === 'counted-categories') (out[0].counted ??= new Map()).set(name, decoded);
      else out[0].columns.set(name, decoded);
    }
    return rest;
  }

  /**
   * The column chunks of `subset` in row group `group`, read (adjacent chunks in one read, as parquet-wasm
   * reads them) and their pages checked against the footer and the budget.
   */
  private async readCheckedChunks(group: number, subset: readonly string[], buffers?: ReadBuffers): Promise<CheckedRange[]> {
    const byColumn = this.chunksByColumn(group);
    const chunks = subset.flatMap((c) => byColumn.get(c) ?? []).sort((a, b) => a.start - b.start);
    const ranges: CheckedRange[] = [];
    for (let i = 0; i < chunks.length; ) {
      let j = i + 1;
      while (j < chunks.length && chunks[j].start === chunks[j - 1].end) j++;
      const start = chunks[i].start;
      const end = chunks[j - 1].end;
      const into = buffers?.take(end - start);
      const bytes = await this.source.read(start, end, into);
      // The source read into `into` (its start) or returned its own bytes: only `into` goes back to `buffers`.
      const owned = into !== undefined && bytes.buffer === into.buffer ? into : undefined;
      if (into !== undefined && owned === undefined) buffers?.give(into);
      if (bytes.byteLength !== end - start) {
        throw new InvalidInputError(this.source.name, `truncated: column chunks [${start}, ${end}) read ${bytes.byteLength} bytes`);
      }
      for (let k = i; k < j; k++) {
        const chunk = chunks[k];
        checkChunkPages(this.source.name, chunk, bytes.subarray(chunk.start - start, chunk.end - start), this.budget);
      }
      ranges.push({ start, bytes, ...(owned ? { owned } : {}) });
      i = j;
    }
    return ranges;
  }

  /** The column chunks of row group `group` by top-level column (built once per group: wide files have thousands). */
  private chunksByColumn(group: number): ReadonlyMap<string, readonly ParquetChunk[]> {
    if (this.byColumn?.group !== group) {
      const map = new Map<string, ParquetChunk[]>();
      for (const chunk of this.layout.rowGroups[group].chunks) {
        const list = map.get(chunk.leaf.column);
        if (list) list.push(chunk);
        else map.set(chunk.leaf.column, [chunk]);
      }
      this.byColumn = { group, map };
    }
    return this.byColumn.map;
  }

  /**
   * Name the failing column and the cause: decode the failing columns one by one with hyparquet (pure JS,
   * slower, but its errors are plain exceptions), only on this error path; a parquet-wasm panic that hyparquet
   * does not reproduce is pinned to its column by decoding each column alone with parquet-wasm.
   */
  private async describeFailure(group: number, subset: readonly string[], error: unknown): Promise<Error> {
    const where = `failed to decode row group ${group}`;
    const rowStart = this.rowGroupRows.slice(0, group).reduce((a, b) => a + b, 0);
    const rowEnd = rowStart + this.rowGroupRows[group];
    const file = asAsyncBuffer(this.source);
    try {
      // Loaded here only: hyparquet and its decompressors cost every reader memory it rarely needs.
      const [{ parquetMetadataAsync, parquetRead }, compressors] = await Promise.all([import('hyparquet'), boundedCompressors()]);
      const metadata = await parquetMetadataAsync(file);
      for (const name of subset) {
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
    const reason = error instanceof WasmPanicError ? `parquet-wasm panicked (${messageOf(error.cause)}): its pages are corrupt` : messageOf(error);
    const culprit = error instanceof WasmPanicError && subset.length > 1 ? await this.panickingColumn(group, subset) : undefined;
    const columns = culprit === undefined ? subset : [culprit];
    const label = columns.length === 1 ? `column '${columns[0]}'` : `columns ${columns.map((w) => `'${w}'`).join(', ')}`;
    return new InvalidInputError(this.source.name, `${label}: ${where}: ${reason}`, { cause: error });
  }

  /** The first column of `subset` whose chunk alone makes parquet-wasm panic. */
  private async panickingColumn(group: number, subset: readonly string[]): Promise<string | undefined> {
    for (const name of subset) {
      try {
        await withParquetWasm(async (module, generation) => {
          const file = await this.reopenOn(module, generation);
          const table = await file.read({ rowGroups: [group], columns: [name], batchSize: Math.max(1, this.rowGroupRows[group]) });
          table.free();
        });
      } catch (error) {
        if (error instanceof WasmPanicError) return name;
      }
    }
    return undefined;
  }
}
