import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ByteSource } from '../../functions/adapters/s3-byte-source.js';
import { AdapterError, InvalidInputError } from '../../functions/core/errors.js';
import { awsTestClientConfig, countRequests, startMoto, venvPython, type MotoServer } from '../support/moto.js';

const BUCKET = 'driftgate-batches';
const ROWS = 200_000;

// Written by pyarrow, uncompressed, in 4 row groups: 'id' int64 0..ROWS-1, 'score' float64, 'label' string.
// Large enough (~4.3 MB) that reading one column cannot be served by hyparquet's 512 KiB footer prefetch.
const WRITE_PARQUET = `
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
n = int(sys.argv[2])
rng = np.random.default_rng(7)
table = pa.table({
    'id': pa.array(np.arange(n, dtype=np.int64)),
    'score': pa.array(rng.normal(size=n)),
    'label': pa.array([f'label-{i % 997:04d}' for i in range(n)]),
})
pq.write_table(table, sys.argv[1], compression='none', row_group_size=n // 4)
meta = pq.ParquetFile(sys.argv[1]).metadata
print(sum(meta.row_group(g).column(0).total_compressed_size for g in range(meta.num_row_groups)))
`;
/** hyparquet's first read: up to this many bytes from the end of the file (footer and metadata). */
const FOOTER_PREFETCH = 512 * 1024;

let moto: MotoServer;
let s3: S3Client;
let dir: string;
let parquetBytes: Uint8Array;
/** Bytes of the 'id' column chunks, summed over row groups (from pyarrow's metadata). */
let idColumnBytes: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'driftgate-s3-byte-source-'));
  const file = join(dir, 'batch.parquet');
  const written = spawnSync(venvPython, ['-c', WRITE_PARQUET, file, String(ROWS)], { encoding: 'utf8' });
  if (written.status !== 0) throw new Error(`pyarrow failed: ${written.stderr}`);
  parquetBytes = new Uint8Array(readFileSync(file));
  idColumnBytes = Number(written.stdout.trim());
  moto = await startMoto();
  s3 = new S3Client(awsTestClientConfig(moto.endpoint));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'batches/m1/batch.parquet', Body: parquetBytes }));
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Function: s3ByteSource', () => {
  it('reports the object size, its ETag and an s3:// name', async () => {
    // Prepare
    const key = 'batches/m1/batch.parquet';
    // Act
    const source = await s3ByteSource(s3, BUCKET, key);
    // Assess
    expect(source.byteLength).toBe(parquetBytes.byteLength);
    expect(source.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(source.name).toBe(`s3://${BUCKET}/${key}`);
    expect(source.stats).toEqual({ requests: 0, bytes: 0 });
  });

  it('returns exactly the bytes asked for, clamped at the end, and counts each GET', async () => {
    // Prepare
    const client = new S3Client(awsTestClientConfig(moto.endpoint));
    const gets = countRequests(client, 'GetObjectCommand');
    const source = await s3ByteSource(client, BUCKET, 'batches/m1/batch.parquet');
    const size = parquetBytes.byteLength;
    // Act
    const magic = await source.read(0, 4);
    const middle = await source.read(1000, 1777);
    const tail = await source.read(size - 8, size + 100);
    const empty = await source.read(size, size + 10);
    // Assess
    expect(new TextDecoder().decode(magic)).toBe('PAR1');
    expect(middle).toEqual(parquetBytes.subarray(1000, 1777));
    expect(tail).toEqual(parquetBytes.subarray(size - 8));
    expect(new TextDecoder().decode(tail.subarray(4))).toBe('PAR1');
    expect(empty.byteLength).toBe(0);
    // The empty range is answered without a request.
    expect(source.stats).toEqual({ requests: 3, bytes: 4 + 777 + 8 });
    expect(gets.count).toBe(3);
  });

  it('streams a ranged GET into the caller\'s buffer when it is large enough (no joined copy)', async () => {
    // Prepare
    const source = await s3ByteSource(s3, BUCKET, 'batches/m1/batch.parquet');
    const into = new Uint8Array(4096).fill(0xee);

    // Act
    const read = await source.read(1000, 3000, into);
    const fresh = await source.read(1000, 3000, new Uint8Array(10));

    // Assess
    expect(read.buffer).toBe(into.buffer);
    expect(read).toEqual(parquetBytes.subarray(1000, 3000));
    expect(into[2000]).toBe(0xee);
    expect(fresh).toEqual(parquetBytes.subarray(1000, 3000));
    expect(source.stats).toEqual({ requests: 2, bytes: 4000 });
  });

  it('rejects a negative or reversed range naming the object', async () => {
    // Prepare
    const source = await s3ByteSource(s3, BUCKET, 'batches/m1/batch.parquet');
    // Act
    const negative = source.read(-1, 10);
    const reversed = source.read(10, 5);
    // Assess
    await expect(negative).rejects.toThrow(`s3://${BUCKET}/batches/m1/batch.parquet: invalid byte range [-1, 10)`);
    await expect(reversed).rejects.toThrow(RangeError);
  });

  it('serves a Parquet reader: one column of a pyarrow file read with ranged GETs only', async () => {
    // Prepare
    const client = new S3Client(awsTestClientConfig(moto.endpoint));
    const gets = countRequests(client, 'GetObjectCommand');
    const source = await s3ByteSource(client, BUCKET, 'batches/m1/batch.parquet');
    let slices = 0;
    let sliceBytes = 0;
    const file: AsyncBuffer = {
      byteLength: source.byteLength,
      slice: async (start, end) => {
        const bytes = await source.read(start, end ?? source.byteLength);
        slices += 1;
        sliceBytes += bytes.byteLength;
        return bytes.slice().buffer;
      },
    };
    // Act
    const rows = await parquetReadObjects({ file, columns: ['id'] });
    // Assess
    expect(rows).toHaveLength(ROWS);
    expect(rows.every((row, i) => row.id === BigInt(i))).toBe(true);
    expect(source.stats).toEqual({ requests: slices, bytes: sliceBytes });
    expect(gets.count).toBe(slices);
    expect(slices).toBeGreaterThan(1);
    // Only the footer prefetch and the 'id' column chunks were fetched, not 'score' and 'label'.
    expect(idColumnBytes).toBeGreaterThan(0);
    expect(source.stats.bytes).toBeLessThanOrEqual(FOOTER_PREFETCH + idColumnBytes);
    expect(source.stats.bytes).toBeLessThan(parquetBytes.byteLength);
  });

  it('fails loudly, naming the object, when it is overwritten between two reads', async () => {
    // Prepare
    const key = 'batches/m1/overwritten.parquet';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: parquetBytes }));
    const source = await s3ByteSource(s3, BUCKET, key);
    await source.read(0, 4);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: parquetBytes.subarray(0, 1000) }));
    // Act
    const error = await source.read(4, 100).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as Error).message).toBe(
      `s3 GetObject s3://${BUCKET}/${key} bytes=4-99 failed: s3://${BUCKET}/${key} changed while it was being read: ` +
        `it no longer has ETag ${source.etag} (it was overwritten)`,
    );
    expect(source.stats.requests).toBe(2);
  });

  it('fails loudly when the object is deleted between two reads', async () => {
    // Prepare
    const key = 'batches/m1/deleted.parquet';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: parquetBytes }));
    const source = await s3ByteSource(s3, BUCKET, key);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    // Act
    const attempt = source.read(0, 4);
    // Assess
    await expect(attempt).rejects.toThrow(/changed while it was being read: .* \(it was deleted\)$/);
  });

  it('names the object when it does not exist', async () => {
    // Prepare
    const key = 'batches/m1/missing.parquet';
    // Act
    const error = await s3ByteSource(s3, BUCKET, key).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).file).toBe(`s3://${BUCKET}/${key}`);
    expect((error as Error).message).toBe(`s3://${BUCKET}/${key}: no such object (HeadObject returned 404)`);
  });
});
