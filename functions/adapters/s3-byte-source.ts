/**
 * A ByteSource over one S3 object: one HeadObject for the size and ETag, then ranged GetObjects pinned to
 * that ETag, so a concurrent overwrite fails loudly instead of mixing bytes of two versions. Given the
 * version an event named (its version id, or its ETag), it reads exactly that version: an overwritten
 * object is then a version that is gone (ObjectChangedError), never the newer bytes under the old name.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AdapterError, InvalidInputError, ObjectChangedError } from '../core/errors.js';
import type { ByteSource, ObjectPin } from '../core/ports.js';
import { errorNameOf, httpStatusOf } from './aws-clients.js';

/** Counters of the ranged reads done so far (HeadObject not included). */
export interface ReadStats {
  /** Number of ranged GetObject requests. */
  readonly requests: number;
  /** Bytes received from those requests. */
  readonly bytes: number;
}

/** A ByteSource over an S3 object, with the ETag it is pinned to and its read counters. */
export interface S3ByteSource extends ByteSource {
  readonly bucket: string;
  readonly key: string;
  /** The ETag seen by HeadObject; every read requires the object to still have it. */
  readonly etag: string;
  readonly stats: ReadStats;
}

/**
 * Open `s3://bucket/key` for ranged reads pinned to its current ETag.
 * @example
 * const source = await s3ByteSource(s3, 'my-bucket', 'batches/m1/2026-01-01.parquet');
 * const footer = await source.read(source.byteLength - 8, source.byteLength);
 */
export async function s3ByteSource(client: S3Client, bucket: string, key: string, pin: ObjectPin = {}): Promise<S3ByteSource> {
  const name = `s3://${bucket}/${key}`;
  let size: number | undefined;
  let etag: string | undefined;
  const wanted = pin.etag === undefined ? undefined : quoted(pin.etag);
  try {
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ...(pin.versionId ? { VersionId: pin.versionId } : {}), ...(wanted ? { IfMatch: wanted } : {}) }),
    );
    size = head.ContentLength;
    etag = head.ETag;
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 412 || (status === 404 && (pin.versionId !== undefined || wanted !== undefined))) {
      throw new ObjectChangedError(name, `the version the event named (${pin.versionId ? `version ${pin.versionId}` : `ETag ${wanted}`}) is no longer stored: it was overwritten or deleted before it was read`, { cause: error });
    }
    if (status === 404) {
      throw new InvalidInputError(name, 'no such object (HeadObject returned 404)', { cause: error });
    }
    throw new AdapterError('s3', `HeadObject ${name}`, { cause: error });
  }
  if (size === undefined || etag === undefined) {
    throw new AdapterError('s3', `HeadObject ${name}`, {
      cause: new Error('response lacks Content-Length or ETag'),
    });
  }
  return new PinnedS3Source(client, bucket, key, name, size, etag, pin.versionId);
}

/** S3 compares ETags in their quoted form; notifications give them bare. */
function quoted(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}

class PinnedS3Source implements S3ByteSource {
  private requests = 0;
  private bytes = 0;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly key: string,
    readonly name: string,
    readonly byteLength: number,
    readonly etag: string,
    private readonly versionId?: string,
  ) {}

  get stats(): ReadStats {
    return { requests: this.requests, bytes: this.bytes };
  }

  async read(start: number, end: number, into?: Uint8Array): Promise<Uint8Array> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new RangeError(`${this.name}: invalid byte range [${start}, ${end})`);
    }
    const stop = Math.min(end, this.byteLength);
    if (start >= stop) return new Uint8Array(0);
    const range = `bytes=${start}-${stop - 1}`;
    const operation = `GetObject ${this.name} ${range}`;
    let body: Uint8Array;
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: range, IfMatch: this.etag, ...(this.versionId ? { VersionId: this.versionId } : {}) }),
      );
      if (response.Body === undefined) throw new Error('response has no body');
      body = into !== undefined && into.byteLength >= stop - start ? await streamInto(response.Body, into, stop - start) : await response.Body.transformToByteArray();
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 412 || status === 404 || errorNameOf(error) === 'PreconditionFailed') {
        throw new AdapterError('s3', operation, {
          cause: new Error(
            `${this.name} changed while it was being read: it no longer has ETag ${this.etag}` +
              (status === 404 ? ' (it was deleted)' : ' (it was overwritten)'),
            { cause: error },
          ),
        });
      }
      throw new AdapterError('s3', operation, { cause: error });
    } finally {
      this.requests += 1;
    }
    this.bytes += body.byteLength;
    if (body.byteLength !== stop - start) {
      throw new AdapterError('s3', operation, {
        cause: new Error(`expected ${stop - start} bytes, received ${body.byteLength}`),
      });
    }
    return body;
  }
}

/**
 * A response body copied chunk by chunk into `into` (the caller's reused buffer) instead of collected and
 * joined: a view of the bytes received. More than `expected` bytes is an error, before anything past it is written.
 */
async function streamInto(body: unknown, into: Uint8Array, expected: number): Promise<Uint8Array> {
  if (body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) {
    return (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
  }
  let length = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (length + chunk.byteLength > expected) throw new Error(`expected ${expected} bytes, received more`);
    into.set(chunk, length);
    length += chunk.byteLength;
  }
  return into.subarray(0, length);
}
