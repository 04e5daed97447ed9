"""Inputs of test/bin/driftgate.test.ts, written by pyarrow into OUT_DIR (a temp dir made by the test).

  reference.parquet  4000 rows: amount ~ N(50, 10), wait ~ U(0, 10), items ~ Poisson(4) (int64),
                     city in {paris, lyon, nice, lille} with shares .4/.3/.2/.1; 2% nulls in amount and city
  same.parquet       the same distributions, another seed (no drift expected)
  shifted.parquet    amount ~ N(65, 10) (1.5 sd), wait ~ U(4, 14), city shares reversed (drift expected)
  same.arrow         like same.parquet, as an Arrow IPC file
  empty.parquet      0 bytes
  random.parquet     4096 random bytes
  truncated.parquet  the first 60% of same.parquet (its footer is gone)

Usage: python test/bin/make-batches.py OUT_DIR
"""

import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

ROWS = 4000
CITIES = ["paris", "lyon", "nice", "lille"]


def table(seed, shift):
    rng = np.random.default_rng(seed)
    shares = [0.4, 0.3, 0.2, 0.1] if not shift else [0.1, 0.2, 0.3, 0.4]
    amount = rng.normal(50.0 + (15.0 if shift else 0.0), 10.0, ROWS)
    wait = rng.uniform(4.0 if shift else 0.0, 14.0 if shift else 10.0, ROWS)
    items = rng.poisson(4.0, ROWS).astype(np.int64)
    city = np.array(CITIES)[rng.choice(4, size=ROWS, p=shares)]
    amount_nulls = rng.random(ROWS) < 0.02
    city_nulls = rng.random(ROWS) < 0.02
    return pa.table(
        {
            "amount": pa.array(amount, mask=amount_nulls),
            "wait": pa.array(wait),
            "items": pa.array(items),
            "city": pa.array(city.tolist(), type=pa.string(), mask=city_nulls),
        }
    )


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    pq.write_table(table(1, False), os.path.join(out, "reference.parquet"), row_group_size=1000, compression="zstd")
    pq.write_table(table(2, False), os.path.join(out, "same.parquet"), row_group_size=1000, compression="snappy")
    pq.write_table(table(3, True), os.path.join(out, "shifted.parquet"), row_group_size=1000)
    with pa.OSFile(os.path.join(out, "same.arrow"), "wb") as sink, ipc.new_file(sink, table(2, False).schema) as w:
        w.write_table(table(2, False), max_chunksize=1000)
    open(os.path.join(out, "empty.parquet"), "wb").close()
    with open(os.path.join(out, "random.parquet"), "wb") as f:
        f.write(np.random.default_rng(4).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with open(os.path.join(out, "same.parquet"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated.parquet"), "wb") as f:
        f.write(data[: int(len(data) * 0.6)])


if __name__ == "__main__":
    main()
