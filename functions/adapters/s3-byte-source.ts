/**
 * A ByteSource over one S3 object: one HeadObject for the size and ETag, then ranged GetObjects pinned to
 * that ETag, so a concurrent overwrite fails loudly instead of mixing bytes of two versions.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AdapterError, InvalidInputError } from '../core/errors.js';
import type { ByteSource } from '../core/ports.js';
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
export async function s3ByteSource(client: S3Client, bucket: string, key: string): Promise<S3ByteSource> {
  const name = `s3://${bucket}/${key}`;
  let size: number | undefined;
  let etag: string | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    size = head.ContentLength;
    etag = head.ETag;
  } catch (error) {
    if (httpStatusOf(error) === 404) {
      throw new InvalidInputError(name, 'no such object (HeadObject returned 404)', { cause: error });
    }
    throw new AdapterError('s3', `HeadObject ${name}`, { cause: error });
  }
  if (size === undefined || etag === undefined) {
    throw new AdapterError('s3', `HeadObject ${name}`, {
      cause: new Error('response lacks Content-Length or ETag'),
    });
  }
  return new PinnedS3Source(client, bucket, key, name, size, etag);
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
  ) {}

  get stats(): ReadStats {
    return { requests: this.requests, bytes: this.bytes };
  }

  async read(start: number, end: number): Promise<Uint8Array> {
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
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: range, IfMatch: this.etag }),
      );
      if (response.Body === undefined) throw new Error('response has no body');
      body = await response.Body.transformToByteArray();
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
