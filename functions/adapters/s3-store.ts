/**
 * ObjectStore over an S3 bucket (optionally under a key prefix). Conditional writes use S3's
 * If-None-Match / If-Match on PutObject; encryption is left to the bucket's default (SSE-S3 or SSE-KMS set
 * on the bucket), so no SSE headers are sent.
 *
 * Keys: reads (get, open, list) take any legal S3 key, because uploads may be named anything S3 accepts
 * ("batches/fraud//a.parquet", "batches/fraud/./b.parquet"); S3 keys are opaque strings and the SDK sends
 * them verbatim, so "prod/../x" is the object of that name, never "x". Writes keep the safe-key rule (no
 * empty, "." or ".." segments, no control characters): every key driftgate writes also means the same as
 * a file path, so the local folder store can hold it.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { AdapterError, InvalidInputError } from '../core/errors.js';
import type { ByteSource, ObjectPin, ObjectStore, StoredObject } from '../core/ports.js';
import { errorNameOf, httpStatusOf } from './aws-clients.js';
import { s3ByteSource } from './s3-byte-source.js';

/** How often a conditional write is retried after S3 answers 409 ConditionalRequestConflict. */
const CONFLICT_RETRIES = 3;
const CONFLICT_BACKOFF_MS = 50;

/** S3's limit on a key (the store's prefix included), in UTF-8 bytes. */
export const MAX_S3_KEY_BYTES = 1024;

/** A lone UTF-16 surrogate: it has no UTF-8 form, so no S3 key holds it. */
const LONE_SURROGATE = /\p{Cs}/u;
/** C0 and C1 control characters: legal in S3, refused in keys driftgate writes. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  json: 'application/json',
  html: 'text/html; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.file',
};

/** Tuning for S3Store. */
export interface S3StoreOptions {
  /**
   * Keys per ListObjectsV2 page (S3 caps it at 1000).
   * @default undefined — S3's default of 1000
   */
  readonly listPageSize?: number;
}

/**
 * The S3 implementation of the ObjectStore port.
 * @example
 * const store = new S3Store(createS3Client(), 'driftgate-state', 'prod/');
 * await store.putIfAbsent('proposals/m1/p1.json', JSON.stringify(proposal));
 */
export class S3Store implements ObjectStore {
  private readonly prefix: string;
  private readonly listPageSize: number | undefined;

  /** `prefix` is prepended to every key; a missing trailing `/` is added. */
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    prefix = '',
    options: S3StoreOptions = {},
  ) {
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.listPageSize = options.listPageSize;
  }

  /** Read an object with its ETag; undefined when the key does not exist. */
  async get(key: string): Promise<StoredObject | undefined> {
    const fullKey = this.readKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }));
      if (response.Body === undefined || response.ETag === undefined) {
        throw new Error('response lacks a body or an ETag');
      }
      return { body: await response.Body.transformToByteArray(), etag: response.ETag };
    } catch (error) {
      // Only a missing key is an expected outcome; a missing bucket (also 404) is a deployment error.
      if (errorNameOf(error) === 'NoSuchKey') return undefined;
      // S3 answers 403, not 404, for a missing key when the caller may not list the bucket unconditioned;
      // our roles may list only their own prefixes, so ask whether the key exists by listing exactly it.
      if (httpStatusOf(error) === 403 && !(await this.exists(fullKey))) return undefined;
      throw new AdapterError('s3', `GetObject ${this.uri(fullKey)}`, { cause: error });
    }
  }

  /** Whether a key exists, by listing exactly it (allowed by a ListBucket grant conditioned on its prefix). */
  private async exists(fullKey: string): Promise<boolean> {
    try {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullKey, MaxKeys: 1 }));
      return (page.Contents ?? []).some((o) => o.Key === fullKey);
    } catch {
      // Not allowed to list it either: a real denial, reported by the caller with the GetObject error.
      return true;
    }
  }

  /** Create the object only if the key is absent; false when it already exists. */
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    return this.conditionalPut(key, body, { IfNoneMatch: '*' });
  }

  /** Replace the object only if its ETag is still `etag`; false when it changed or was deleted. */
  async putIfMatch(key: string, body: Uint8Array | string, etag: string): Promise<boolean> {
    return this.conditionalPut(key, body, { IfMatch: etag });
  }

  /** Write unconditionally; the content type defaults from the key's extension. */
  async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    const fullKey = this.writeKey(key);
    try {
      await this.client.send(new PutObjectCommand(this.putInput(fullKey, body, contentType)));
    } catch (error) {
      throw new AdapterError('s3', `PutObject ${this.uri(fullKey)}`, { cause: error });
    }
  }

  /** Every key under `prefix` (relative to the store's prefix), sorted, following all result pages. */
  async list(prefix: string): Promise<string[]> {
    const fullPrefix = this.legalKey(prefix, 'prefix');
    const keys: string[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: fullPrefix,
            ContinuationToken: continuationToken,
            MaxKeys: this.listPageSize,
          }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key.slice(this.prefix.length));
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    } catch (error) {
      throw new AdapterError('s3', `ListObjectsV2 ${this.uri(fullPrefix)}`, { cause: error });
    }
    // S3 already lists in UTF-8 binary order; sort anyway so the port's contract holds for any backend.
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** A ranged, ETag-pinned byte source over one object. */
  async open(key: string, pin?: ObjectPin): Promise<ByteSource> {
    return s3ByteSource(this.client, this.bucket, this.readKey(key), pin);
  }

  private async conditionalPut(
    key: string,
    body: Uint8Array | string,
    condition: Pick<PutObjectCommandInput, 'IfMatch' | 'IfNoneMatch'>,
  ): Promise<boolean> {
    const fullKey = this.writeKey(key);
    const input = { ...this.putInput(fullKey, body), ...condition };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand(input));
        return true;
      } catch (error) {
        const status = httpStatusOf(error);
        // 412: the condition failed. 404 on If-Match: the object is gone, so it cannot match either.
        if (status === 412 || errorNameOf(error) === 'PreconditionFailed') return false;
        if (status === 404 && condition.IfMatch !== undefined && errorNameOf(error) === 'NoSuchKey') return false;
        // 409: another conditional write to the same key is in flight; S3 asks the caller to retry.
        if (status === 409 || errorNameOf(error) === 'ConditionalRequestConflict') {
          if (attempt < CONFLICT_RETRIES) {
            await sleep(CONFLICT_BACKOFF_MS * (attempt + 1));
            continue;
          }
          return false;
        }
        throw new AdapterError('s3', `PutObject ${this.uri(fullKey)}`, { cause: error });
      }
    }
  }

  private putInput(fullKey: string, body: Uint8Array | string, contentType?: string): PutObjectCommandInput {
    return {
      Bucket: this.bucket,
      Key: fullKey,
      Body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      ContentType: contentType ?? contentTypeFor(fullKey),
    };
  }

  /** The full key of an object to read: any legal S3 key. */
  private readKey(key: string): string {
    if (key === '' && this.prefix === '') throw new InvalidInputError('""', 'an S3 object key must not be empty');
    return this.legalKey(key, 'key');
  }

  /** The full key of an object to write: a legal S3 key that is also a safe relative path. */
  private writeKey(key: string): string {
    if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new InvalidInputError(
        key,
        'expected a relative object key without empty, "." or ".." segments (driftgate writes only keys that mean the same as a file path)',
      );
    }
    if (CONTROL_CHARACTER.test(key)) {
      throw new InvalidInputError(JSON.stringify(key), 'expected an object key without control characters');
    }
    return this.legalKey(key, 'key');
  }

  /** `this.prefix + key`, refused when S3 could not store it (a lone surrogate, over 1024 UTF-8 bytes). */
  private legalKey(key: string, what: 'key' | 'prefix'): string {
    const fullKey = this.prefix + key;
    if (LONE_SURROGATE.test(fullKey)) {
      throw new InvalidInputError(JSON.stringify(key), `an S3 ${what} must be valid Unicode (it has a lone UTF-16 surrogate)`);
    }
    const bytes = Buffer.byteLength(fullKey, 'utf8');
    if (bytes > MAX_S3_KEY_BYTES) {
      throw new InvalidInputError(`${key.slice(0, 64)}...`, `an S3 ${what} is at most ${MAX_S3_KEY_BYTES} UTF-8 bytes with the store's prefix, got ${bytes}`);
    }
    return fullKey;
  }

  private uri(fullKey: string): string {
    return `s3://${this.bucket}/${fullKey}`;
  }
}

/** The content type S3Store writes for a key, from its extension (application/octet-stream when unknown). */
export function contentTypeFor(key: string): string {
  const dot = key.lastIndexOf('.');
  const extension = dot < 0 ? '' : key.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
