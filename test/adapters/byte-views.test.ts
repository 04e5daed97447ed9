import { describe, expect, it } from 'vitest';
import { asAsyncBuffer, asBlob, asFileHandle, recordFailures, type ReadFailures } from '../../functions/adapters/byte-views.js';
import { bufferByteSource } from '../../functions/adapters/file-byte-source.js';
import type { ByteSource } from '../../functions/core/ports.js';

const BYTES = Uint8Array.from({ length: 16 }, (_, i) => i * 10);

function failingSource(errors: Error[]): ByteSource {
  return { name: 'failing.bin', byteLength: 16, read: () => Promise.reject(errors.shift() ?? new Error('again')) };
}

describe('Function: asAsyncBuffer', () => {
  it('slices [start, end) as a whole ArrayBuffer, to the end when end is left out', async () => {
    // Prepare
    const file = asAsyncBuffer(bufferByteSource('x.bin', BYTES));

    // Act
    const middle = await file.slice(2, 5);
    const rest = await file.slice(13);

    // Assess
    expect(file.byteLength).toBe(16);
    expect([...new Uint8Array(middle)]).toEqual([20, 30, 40]);
    expect(middle.byteLength).toBe(3);
    expect([...new Uint8Array(rest)]).toEqual([130, 140, 150]);
  });
});

describe('Function: asBlob', () => {
  it('slices like a Blob: nested windows, negative indices from the end, clamped and never inverted', async () => {
    // Prepare
    const blob = asBlob(bufferByteSource('x.bin', BYTES));

    // Act
    const tail = blob.slice(-4);
    const inner = tail.slice(1, 3);
    const clamped = blob.slice(14, 99);
    const inverted = blob.slice(9, 3);

    // Assess
    expect(blob.size).toBe(16);
    expect([...new Uint8Array(await tail.arrayBuffer())]).toEqual([120, 130, 140, 150]);
    expect([...new Uint8Array(await inner.arrayBuffer())]).toEqual([130, 140]);
    expect([...new Uint8Array(await clamped.arrayBuffer())]).toEqual([140, 150]);
    expect(inverted.size).toBe(0);
  });
});

describe('Function: asFileHandle', () => {
  it('reports the size and reads `length` bytes at `position` into the buffer at `offset`', async () => {
    // Prepare
    const handle = asFileHandle(bufferByteSource('x.bin', BYTES));
    const buffer = new Uint8Array(6);

    // Act
    const info = await handle.stat();
    const result = await handle.read(buffer, 2, 3, 5);

    // Assess
    expect(info.size).toBe(16);
    expect(result.bytesRead).toBe(3);
    expect([...buffer]).toEqual([0, 0, 50, 60, 70, 0]);
  });
});

describe('Function: recordFailures', () => {
  it('rethrows each read error unchanged and keeps the first one', async () => {
    // Prepare
    const first = new Error('S3 said no');
    const second = new Error('S3 said no again');
    const failures: ReadFailures = {};
    const source = recordFailures(failingSource([first, second]), failures);

    // Act
    const errors = await Promise.all([source.read(0, 4).catch((e: unknown) => e), source.read(4, 8).catch((e: unknown) => e)]);

    // Assess
    expect(errors).toEqual([first, second]);
    expect(failures.first).toBe(first);
    expect(source.name).toBe('failing.bin');
    expect(source.byteLength).toBe(16);
  });
});
