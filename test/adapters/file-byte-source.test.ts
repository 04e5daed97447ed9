import { truncate } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bufferByteSource, fileByteSource } from '../../functions/adapters/file-byte-source.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { tempDir, writeTempFile } from '../support/fixtures.js';

const bytes = new Uint8Array(Array.from({ length: 1000 }, (_, i) => i % 251));
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('file-byte-source-'));
});
afterEach(async () => {
  await cleanup();
});

describe('Function: fileByteSource', () => {
  it('reads byte ranges, end exclusive and clamped to the file size', async () => {
    // Prepare
    const path = await writeTempFile(dir, 'data.bin', bytes);

    // Act
    const source = await fileByteSource(path);
    const middle = await source.read(10, 20);
    const tail = await source.read(990, 5000);
    const empty = await source.read(1000, 1000);

    // Assess
    expect(source.name).toBe(path);
    expect(source.byteLength).toBe(1000);
    expect([...middle]).toEqual([...bytes.subarray(10, 20)]);
    expect([...tail]).toEqual([...bytes.subarray(990)]);
    expect(empty.byteLength).toBe(0);
  });

  it('reads into the caller\'s buffer when it is large enough, and into a fresh one otherwise', async () => {
    // Prepare
    const path = await writeTempFile(dir, 'data.bin', bytes);
    const source = await fileByteSource(path);
    const into = new Uint8Array(64).fill(0xee);
    const small = new Uint8Array(4);

    // Act
    const read = await source.read(100, 140, into);
    const fresh = await source.read(0, 10, small);

    // Assess
    expect(read.buffer).toBe(into.buffer);
    expect(read.byteOffset).toBe(0);
    expect([...read]).toEqual([...bytes.subarray(100, 140)]);
    expect(into[40]).toBe(0xee);
    expect(fresh.buffer).not.toBe(small.buffer);
    expect([...fresh]).toEqual([...bytes.subarray(0, 10)]);
  });

  it('names a missing file in an InvalidInputError', async () => {
    // Prepare
    const path = `${dir}/missing.parquet`;

    // Act
    const attempt = fileByteSource(path);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toThrow(`${path}: no such file`);
  });

  it('rejects a folder', async () => {
    // Act
    const attempt = fileByteSource(dir);

    // Assess
    await expect(attempt).rejects.toThrow(`${dir}: not a regular file`);
  });

  it('reports a short read when the file shrank after it was opened', async () => {
    // Prepare
    const path = await writeTempFile(dir, 'shrinks.bin', bytes);
    const source = await fileByteSource(path);
    await truncate(path, 100);

    // Act
    const attempt = source.read(50, 200);

    // Assess
    await expect(attempt).rejects.toThrow(/short read: expected 150 bytes at offset 50, got 50/);
  });

  it('rejects an inverted range', async () => {
    // Prepare
    const source = await fileByteSource(await writeTempFile(dir, 'a.bin', bytes));

    // Act
    const attempt = source.read(20, 10);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(RangeError);
  });
});

describe('Function: bufferByteSource', () => {
  it('serves clamped views of the buffer', async () => {
    // Prepare
    const source = bufferByteSource('mem', bytes);

    // Act
    const head = await source.read(0, 4);
    const past = await source.read(998, 2000);

    // Assess
    expect(source.byteLength).toBe(1000);
    expect([...head]).toEqual([0, 1, 2, 3]);
    expect([...past]).toEqual([998 % 251, 999 % 251]);
  });
});
