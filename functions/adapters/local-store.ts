import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { AdapterError, InvalidInputError, ObjectChangedError } from '../core/errors.js';
import type { ByteSource, ObjectPin, ObjectStore, StoredObject } from '../core/ports.js';
import { fileRangeSource } from './file-byte-source.js';

/**
 * The embedded default store: a local folder, one file per key (see functions/core/lifecycle/keys.ts).
 *
 * - Writes are atomic: a temp file in the same folder, then rename (readers never see half a document).
 * - etag = sha256 of the content, so it is the same across processes and restarts.
 * - putIfAbsent links the finished temp file to the key (`link` fails with EEXIST): a race has one winner.
 * - putIfMatch takes a per-key lock file (`open(..., 'wx')`, retried with backoff; a lock older than
 *   STALE_LOCK_MS is taken over), compares the etag, renames, releases: compare-and-swap across processes.
 * Temp and lock files start with "." and never show in `list`.
 *
 * A key is a relative file path here, so some legal S3 keys have no file: an empty segment
 * ("batches/m/x//y.parquet"), a "." or ".." segment (a path would resolve it to another file, or out of
 * the folder), a segment starting with "." (kept for temp and lock files), a NUL, a segment over 255
 * bytes. Such a key is refused with an InvalidInputError naming it and why; the S3 store reads them.
 */
export const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;
/** The longest file name most file systems hold, in bytes. */
const MAX_NAME_BYTES = 255;

/** Why the local folder cannot hold `key` as a file, or undefined when it can. */
function unrepresentable(key: string): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (key.startsWith('/')) return 'it is absolute (starts with "/")';
  if (key.includes('\0')) return 'it contains a NUL character, which no file name can';
  const segments = key.split('/');
  if (segments.includes('')) return 'it has an empty segment ("//" or a trailing "/")';
  if (segments.some((p) => p === '.' || p === '..')) return 'it has a "." or ".." segment, which a file path resolves to another place';
  if (segments.some((p) => p.startsWith('.'))) return 'it has a segment starting with "." (the store keeps its temp and lock files so)';
  if (segments.some((p) => Buffer.byteLength(p, 'utf8') > MAX_NAME_BYTES)) return `it has a segment longer than ${MAX_NAME_BYTES} bytes, the longest file name`;
  return undefined;
}

/** A key as an error names it: quoted when it holds characters a terminal would act on. */
function keyName(key: string): string {
  return /^[\x20-\x7e]*$/.test(key) && key.length > 0 ? key : JSON.stringify(key);
}

/** The sha256 of a file's content, streamed: its etag without holding the file in memory. */
async function fileEtag(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The sha256 of bytes, hex: the local etag. */
export function contentEtag(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

export class LocalStore implements ObjectStore {
  readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  /** The file path of a key; an InvalidInputError for a key no file can stand for (see the class comment). */
  pathOf(key: string): string {
    const why = unrepresentable(key);
    if (why !== undefined) {
      throw new InvalidInputError(
        keyName(key),
        `the local folder store cannot hold this key as a file: ${why}; expected a relative key without empty, ".", ".." or "."-prefixed segments`,
      );
    }
    return path.join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const file = this.pathOf(key);
    try {
      const body = new Uint8Array(await fs.readFile(file));
      return { body, etag: contentEtag(body) };
    } catch (err) {
      if (isCode(err, 'ENOENT')) return undefined;
      throw new AdapterError('local-store', `get ${key}`, { cause: err });
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const target = this.pathOf(key);
    const temp = await this.writeTemp(target, toBytes(body));
    try {
      await fs.rename(temp, target);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw new AdapterError('local-store', `put ${key}`, { cause: err });
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const target = this.pathOf(key);
    const temp = await this.writeTemp(target, toBytes(body));
    try {
      await fs.link(temp, target);
      return true;
    } catch (err) {
      if (isCode(err, 'EEXIST')) return false;
      throw new AdapterError('local-store', `putIfAbsent ${key}`, { cause: err });
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  async putIfMatch(key: string, body: Uint8Array | string, etag: string): Promise<boolean> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const lock = path.join(path.dirname(target), `.${path.basename(target)}.lock`);
    await this.acquire(lock, key);
    try {
      const current = await this.get(key);
      if (!current || current.etag !== etag) return false;
      const temp = await this.writeTemp(target, toBytes(body));
      try {
        await fs.rename(temp, target);
      } catch (err) {
        await fs.rm(temp, { force: true });
        throw new AdapterError('local-store', `putIfMatch ${key}`, { cause: err });
      }
      return true;
    } finally {
      await fs.rm(lock, { force: true });
    }
  }

  async list(prefix: string): Promise<string[]> {
    // Walk from the deepest folder the prefix names, then filter by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    // The folders the prefix names must be files' folders, so "../" can never walk out of the root.
    const start = dirKey ? path.dirname(this.pathOf(`${dirKey}/x`)) : this.root;
    const keys: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
        throw new AdapterError('local-store', `list ${prefix}`, { cause: err });
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const key = keyPrefix ? `${keyPrefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(path.join(dir, entry.name), key);
        } else if (key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await walk(start, dirKey);
    return keys.sort();
  }

  async open(key: string, pin?: ObjectPin): Promise<ByteSource> {
    const file = this.pathOf(key);
    let size: number;
    try {
      size = (await fs.stat(file)).size;
    } catch (err) {
      if (pin?.etag !== undefined && isCode(err, 'ENOENT')) throw new ObjectChangedError(key, 'the version the event named is no longer stored: it was deleted before it was read', { cause: err });
      throw new AdapterError('local-store', `open ${key}`, { cause: err });
    }
    // A folder has no version ids; the content hash is its etag (see contentEtag).
    if (pin?.etag !== undefined && (await fileEtag(file)) !== pin.etag) {
      throw new ObjectChangedError(key, `the version the event named (etag ${pin.etag}) is no longer stored: it was overwritten before it was read`);
    }
    return fileRangeSource(file, size);
  }

  private async writeTemp(target: string, bytes: Uint8Array): Promise<string> {
    await fs.mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    await fs.writeFile(temp, bytes, { flag: 'wx' });
    return temp;
  }

  private async acquire(lock: string, key: string): Promise<void> {
    const started = Date.now();
    let wait = 2;
    for (;;) {
      try {
        const handle = await fs.open(lock, 'wx');
        await handle.close();
        return;
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw new AdapterError('local-store', `lock ${key}`, { cause: err });
      }
      try {
        const stat = await fs.stat(lock);
        if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) {
          // A holder that died leaves its lock behind; take it over.
          await fs.rm(lock, { force: true });
          continue;
        }
      } catch {
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) {
        throw new AdapterError('local-store', `lock ${key}`, { cause: new Error(`lock held for more than ${LOCK_WAIT_MS} ms`) });
      }
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
      wait = Math.min(wait * 2, 100);
    }
  }
}
