"""Writes the end-to-end test's Parquet files with pyarrow (a real writer), deterministically.

usage: python make-batches.py OUT_DIR

- reference.parquet   4000 rows: amount ~ N(50, 10), age ~ round(N(40, 12)), country in de/fr/us (30/30/40 %)
- drift-1.parquet,
  drift-2.parquet     1500 rows each: amount ~ N(65, 10) (a 1.5 sd shift), country 10/20/70 %, age unchanged
- corrupt.parquet     a Parquet header and footer magic around garbage: unreadable
"""
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def table(rng: np.random.Generator, rows: int, amount_mean: float, country_p: list[float]) -> pa.Table:
    return pa.table(
        {
            "amount": pa.array(rng.normal(amount_mean, 10.0, rows), type=pa.float64()),
            "age": pa.array(np.round(rng.normal(40.0, 12.0, rows)).astype(np.int64), type=pa.int64()),
            "country": pa.array(rng.choice(["de", "fr", "us"], size=rows, p=country_p)),
        }
    )


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table(np.random.default_rng(1), 4000, 50.0, [0.3, 0.3, 0.4]), out / "reference.parquet", row_group_size=1000)
    for i, seed in enumerate([2, 3], start=1):
        pq.write_table(table(np.random.default_rng(seed), 1500, 65.0, [0.1, 0.2, 0.7]), out / f"drift-{i}.parquet", row_group_size=500)
    garbage = np.random.default_rng(4).integers(0, 256, 2048, dtype=np.uint8).tobytes()
    (out / "corrupt.parquet").write_bytes(b"PAR1" + garbage + b"PAR1")


if __name__ == "__main__":
    main()
