/**
 * Ports: the interfaces the core and the services need from the outside world. Adapters implement them;
 * nothing here does I/O.
 */
import type { ColumnBatch } from './columns.js';
import type { LifecycleEvent, RetrainRequested } from './events/lifecycle.js';
import type { SignatureOptions } from './signature/builder.js';
import type { DatasetSignature } from './signature/types.js';

/**
 * Random-access bytes of one object (a file on disk, an S3 object through ranged GETs, a buffer in a test).
 * Modelled on hyparquet's AsyncBuffer.
 */
export interface ByteSource {
  /** A name for messages: a path or `s3://bucket/key`. */
  readonly name: string;
  readonly byteLength: number;
  /**
   * Bytes [start, end) — `end` exclusive, clamped to byteLength. Given `into` (at least end - start bytes), a
   * source may read into it and return a view of its start: the caller owns `into` and reuses it once done with
   * the bytes (the Parquet reader's read buffers), so a source must not keep it. A source may ignore it.
   */
  read(start: number, end: number, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * Stored bytes worth keeping in flight beyond the next read (a reader's next column chunks, read while the
   * current one is decoded): what hides this source's latency. An object store's GETs take tens of ms each;
   * a local file's reads return from the page cache in about a millisecond, so the next read is enough.
   * @default the reader's own (16 MiB for Parquet column parts, parquet-reader.ts)
   */
  readonly readAheadBytes?: number;
}

/** The version of an object an event named: its S3 version id and/or its ETag. */
export interface ObjectPin {
  readonly versionId?: string;
  readonly etag?: string;
}

/** A stored document with the version token used for conditional updates (an S3 ETag, a file hash). */
export interface StoredObject {
  readonly body: Uint8Array;
  readonly etag: string;
}

/**
 * Key/value object store with the conditional writes every state change relies on.
 * Keys are `/`-separated relative paths (see README "Key layout").
 */
export interface ObjectStore {
  get(key: string): Promise<StoredObject | undefined>;
  /** Create only if absent (S3 If-None-Match: *). Returns false when the key already exists. */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** Replace only if the current etag matches (S3 If-Match). Returns false on a mismatch (412). */
  putIfMatch(key: string, body: Uint8Array | string, etag: string): Promise<boolean>;
  /** Unconditional write, for immutable or derived documents (reports). */
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** Keys under a prefix, sorted lexicographically. */
  list(prefix: string): Promise<string[]>;
  /**
   * A byte source over one stored object, for the column reader. With `pin`, exactly that version is read
   * (S3: the version id, else If-Match on the ETag); a version that is gone throws ObjectChangedError.
   */
  open(key: string, pin?: ObjectPin): Promise<ByteSource>;
}

/** A message to humans (SNS notices topic; console or a file locally). */
export interface Notice {
  readonly modelId: string;
  readonly proposalId: string;
  readonly subject: string;
  readonly text: string;
}

export interface Notifier {
  /** Resolves once the notice was accepted for delivery; the returned id is recorded as proof. */
  send(notice: Notice): Promise<{ messageId: string }>;
}

/** The event retraining systems subscribe to: its zod schema is in events/lifecycle.ts (one place). */
export type { RetrainRequested } from './events/lifecycle.js';

export interface EventSink {
  publish(event: RetrainRequested): Promise<{ messageId: string }>;
}

/** Where lifecycle events go (an EventBridge bus): every event type, RetrainRequested included. */
export interface LifecycleEventSink {
  publish(event: LifecycleEvent): Promise<{ messageId: string }>;
}

/** Structured log sink: one object per step (the handlers route it to the Powertools logger). */
export type Log = (entry: Record<string, unknown>) => void;

/**
 * Signs batch files: reads each source (Parquet or Arrow IPC) into a signature and merges them. The
 * adapter is `signSources` (adapters/sign-sources.ts); use cases take it as a port, so service code
 * never imports a reader.
 */
export type SignSources = (
  sources: readonly ByteSource[],
  options: Pick<SignatureOptions, 'roles' | 'reference' | 'slices' | 'frames'> & {
    /** Only units [start, end) of each file (row groups / record batches): one scale-out work item. */
    readonly range?: { readonly start: number; readonly end: number };
    /** Sees every batch read, with the source it came from (the review sample, service/ingest-batch.ts). @default none */
    readonly onBatch?: (source: string, batch: ColumnBatch) => void;
  },
) => Promise<DatasetSignature>;
