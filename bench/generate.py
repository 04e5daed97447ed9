"""Benchmark data for `npm run bench`, written by a real writer (pyarrow).

Usage: python bench/generate.py OUT_DIR ROWS [--variants parquet-zstd,parquet-snappy,arrow,parquet-snappy-4x,wide]

Writes, for ROWS rows x 12 columns (10 numeric with some nulls, 2 strings with ~50 categories):
  OUT_DIR/bench-<ROWS>-zstd.parquet, bench-<ROWS>-snappy.parquet, bench-<ROWS>.arrow (IPC file format),
  and for the 4x variant bench-<4*ROWS>-snappy.parquet.
Data is produced one chunk (1M rows) at a time, so memory stays flat whatever ROWS is; each chunk becomes
one row group (pyarrow's default cap is 1Mi rows) or one record batch. The `wide` variant is ROWS rows x 500
columns (450 numeric: normal, log-normal and int64 columns, 2 % nulls in every fourth; 50 strings over 400
values), zstd, 100k-row row groups (wide-<ROWS>x500-zstd.parquet; 1M rows is about 3.4 GB), written 100k rows
at a time with seed 5000 + chunk. Chunk i uses seed 1000 + i, so the
files are deterministic and the 4x file starts with the same rows as the 1x file. Existing files are kept
(the caller deletes bench/data/ to regenerate).
"""

import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

CHUNK = 1_000_000

# ~50 categories with a skewed (Zipf-like) frequency, and 48 with a flat one.
CITIES = [f"city-{i:02d}" for i in range(50)]
PRODUCTS = [f"product/{chr(65 + i % 26)}{i // 26}" for i in range(48)]

SCHEMA = pa.schema(
    [
        ("amount", pa.float64()),
        ("latency_ms", pa.float64()),
        ("score", pa.float64()),
        ("wait_s", pa.float64()),
        ("items", pa.int64()),
        ("account_id", pa.int64()),
        ("age", pa.int32()),
        ("price", pa.float64()),
        ("balance", pa.float64()),
        ("clicks", pa.int64()),
        ("city", pa.string()),
        ("product", pa.string()),
    ]
)


def with_nulls(rng, values, share, pa_type):
    mask = rng.random(len(values)) < share
    return pa.array(values, type=pa_type, mask=mask)


def strings(rng, choices, probs, share):
    idx = rng.choice(len(choices), size=CHUNK, p=probs).astype(np.int32)
    mask = rng.random(CHUNK) < share
    indices = pa.array(idx, type=pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(choices, type=pa.string())).cast(pa.string())


def chunk(i, rows):
    rng = np.random.default_rng(1000 + i)
    n = CHUNK
    zipf = 1.0 / np.arange(1, len(CITIES) + 1)
    zipf /= zipf.sum()
    flat = np.full(len(PRODUCTS), 1.0 / len(PRODUCTS))
    cols = [
        with_nulls(rng, rng.normal(50.0, 12.0, n), 0.01, pa.float64()),
        with_nulls(rng, rng.lognormal(3.0, 0.8, n), 0.0, pa.float64()),
        with_nulls(rng, rng.uniform(0.0, 1000.0, n), 0.05, pa.float64()),
        with_nulls(rng, rng.exponential(30.0, n), 0.02, pa.float64()),
        with_nulls(rng, rng.poisson(5.0, n).astype(np.int64), 0.02, pa.int64()),
        with_nulls(rng, rng.integers(0, 10_000_000, n, dtype=np.int64), 0.0, pa.int64()),
        with_nulls(rng, rng.integers(18, 91, n, dtype=np.int64).astype(np.int32), 0.03, pa.int32()),
        with_nulls(rng, np.round(rng.normal(100.0, 15.0, n), 2), 0.0, pa.float64()),
        with_nulls(rng, rng.normal(-200.0, 1500.0, n), 0.1, pa.float64()),
        with_nulls(rng, rng.geometric(0.2, n).astype(np.int64), 0.0, pa.int64()),
        strings(rng, CITIES, zipf, 0.01),
        strings(rng, PRODUCTS, flat, 0.0),
    ]
    table = pa.Table.from_arrays(cols, schema=SCHEMA)
    return table.slice(0, min(CHUNK, rows - i * CHUNK))


def chunks(rows):
    for i in range((rows + CHUNK - 1) // CHUNK):
        yield chunk(i, rows)


def write_parquet(path, rows, codec):
    tmp = path + ".tmp"
    with pq.ParquetWriter(tmp, SCHEMA, compression=codec) as writer:
        for t in chunks(rows):
            writer.write_table(t)
    os.replace(tmp, path)


def write_arrow(path, rows):
    tmp = path + ".tmp"
    with pa.OSFile(tmp, "wb") as sink, ipc.new_file(sink, SCHEMA) as writer:
        for t in chunks(rows):
            writer.write_table(t)
    os.replace(tmp, path)


WIDE_CHUNK = 100_000
WIDE_NUMERIC = 450
WIDE_STRINGS = 50
WIDE_VALUES = [f"v{i:03d}" for i in range(400)]


def wide_schema():
    fields = []
    for j in range(WIDE_NUMERIC):
        fields.append((f"n{j:03d}", pa.int64() if j % 3 == 2 else pa.float64()))
    for j in range(WIDE_STRINGS):
        fields.append((f"s{j:02d}", pa.string()))
    return pa.schema(fields)


def wide_chunk(i, rows):
    rng = np.random.default_rng(5000 + i)
    n = min(WIDE_CHUNK, rows - i * WIDE_CHUNK)
    cols = []
    for j in range(WIDE_NUMERIC):
        share = 0.02 if j % 4 == 0 else 0.0
        if j % 3 == 0:
            cols.append(with_nulls(rng, rng.normal(j, 1.0 + j % 7, n), share, pa.float64()))
        elif j % 3 == 1:
            cols.append(with_nulls(rng, rng.lognormal(1.0, 0.5, n), share, pa.float64()))
        else:
            cols.append(with_nulls(rng, rng.integers(0, 1_000_000, n, dtype=np.int64), share, pa.int64()))
    zipf = 1.0 / np.arange(1, len(WIDE_VALUES) + 1)
    zipf /= zipf.sum()
    for _ in range(WIDE_STRINGS):
        idx = rng.choice(len(WIDE_VALUES), size=n, p=zipf).astype(np.int32)
        mask = rng.random(n) < 0.01
        dictionary = pa.DictionaryArray.from_arrays(pa.array(idx, type=pa.int32(), mask=mask), pa.array(WIDE_VALUES, type=pa.string()))
        cols.append(dictionary.cast(pa.string()))
    return pa.Table.from_arrays(cols, schema=wide_schema())


def write_wide(path, rows):
    tmp = path + ".tmp"
    with pq.ParquetWriter(tmp, wide_schema(), compression="zstd") as writer:
        for i in range((rows + WIDE_CHUNK - 1) // WIDE_CHUNK):
            writer.write_table(wide_chunk(i, rows), row_group_size=WIDE_CHUNK)
    os.replace(tmp, path)


def main():
    out, rows = sys.argv[1], int(sys.argv[2])
    variants = ["parquet-zstd", "parquet-snappy", "arrow", "parquet-snappy-4x"]
    if len(sys.argv) > 4 and sys.argv[3] == "--variants":
        variants = sys.argv[4].split(",")
    os.makedirs(out, exist_ok=True)
    targets = {
        "parquet-zstd": (os.path.join(out, f"bench-{rows}-zstd.parquet"), lambda p: write_parquet(p, rows, "zstd")),
        "parquet-snappy": (os.path.join(out, f"bench-{rows}-snappy.parquet"), lambda p: write_parquet(p, rows, "snappy")),
        "arrow": (os.path.join(out, f"bench-{rows}.arrow"), lambda p: write_arrow(p, rows)),
        "parquet-snappy-4x": (
            os.path.join(out, f"bench-{4 * rows}-snappy.parquet"),
            lambda p: write_parquet(p, 4 * rows, "snappy"),
        ),
        "wide": (os.path.join(out, f"wide-{rows}x500-zstd.parquet"), lambda p: write_wide(p, rows)),
    }
    for name in variants:
        path, write = targets[name]
        if not os.path.exists(path):
            write(path)
        print(f"{name}\t{path}", flush=True)


if __name__ == "__main__":
    main()
