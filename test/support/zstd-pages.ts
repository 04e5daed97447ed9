/**
 * Every zstd page body of a Parquet file, with its declared uncompressed size (a v2 page's uncompressed levels
 * left out), and the file's checked layout: test/adapters/wasm-zstd.test.ts and bench/zstd-pages.ts.
 */
import { checkParquetFooter, type ParquetLayout } from '../../functions/adapters/parquet-footer.js';
import { readThriftStruct } from '../../functions/adapters/parquet-thrift.js';

const ZSTD = 6;

export function zstdPagesOf(name: string, bytes: Uint8Array): { layout: ParquetLayout; pages: { body: Uint8Array; size: number }[] } {
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset + bytes.byteLength - 8, 4).getUint32(0, true);
  const footerStart = bytes.byteLength - 8 - footerLength;
  const layout = checkParquetFooter(name, bytes.subarray(footerStart, bytes.byteLength - 8), bytes.byteLength, footerStart, 2 ** 31);
  const pages: { body: Uint8Array; size: number }[] = [];
  for (const group of layout.rowGroups) {
    for (const chunk of group.chunks) {
      if (chunk.codec !== ZSTD) continue;
      for (let p = chunk.start; p < chunk.end; ) {
        const header = readThriftStruct(bytes, p);
        const size = header.int(2) ?? 0;
        const compressed = header.int(3) ?? 0;
        const v2 = header.struct(8);
        // v2: levels stay uncompressed before the compressed values; an uncompressed v2 page has no frame.
        const levels = v2 ? (v2.int(5) ?? 0) + (v2.int(6) ?? 0) : 0;
        if (v2 === undefined || v2.bool(7) !== false) pages.push({ body: bytes.subarray(header.end + levels, header.end + compressed), size: size - levels });
        p = header.end + compressed;
      }
    }
  }
  return { layout, pages };
}
