"""Peer child process for Arrow IPC: DuckDB (Python, one thread) runs the same profile SQL over an Arrow IPC
file, memory-mapped with pyarrow (zero-copy), because the Node binding of DuckDB has no Arrow IPC reader
(its `arrow` extension would have to be downloaded).

Usage: python bench/duckdb-arrow.py FILE SQL_FILE
Prints one JSON line: {"seconds", "cpuSeconds", "row", "maxRssMB"} where row is the query's only row. Opening the file is timed too.
"""

import json
import resource
import sys
import time

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc

pa.set_cpu_count(1)
pa.set_io_thread_count(1)


def main():
    path, sql_path = sys.argv[1], sys.argv[2]
    with open(sql_path, encoding="utf-8") as f:
        sql = f.read().replace("{{source}}", "batch_table")
    con = duckdb.connect(config={"threads": 1})
    start = time.perf_counter()
    cpu_start = time.process_time()
    batch_table = ipc.open_file(pa.memory_map(path, "r")).read_all()
    con.register("batch_table", batch_table)
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    values = cursor.fetchone()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    row = dict(zip(names, values))
    # Keep only what the agreement check reads (histograms/quantiles are not JSON-friendly here).
    row = {k: v for k, v in row.items() if k == "rows" or k.endswith("_nonnull") or k.endswith("_mean")}
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds, "row": row, "maxRssMB": max_rss_mb}))


if __name__ == "__main__":
    main()
