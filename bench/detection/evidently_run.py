"""The peer: Evidently's DataDriftPreset with its defaults on the same Parquet draws, in the same run.

Run by bench/detection.ts:  evidently_run.py MANIFEST_JSON
Prints one JSON line per dataset: {"id", "datasetDrift", "drifted": [columns], "seconds"} or {"id", "error"}.
Columns are typed as Evidently would infer them from the reference (numeric, categorical for strings).
"""
import json
import sys
import time
import warnings

import pandas as pd
import pyarrow.parquet as pq
from evidently import Dataset, DataDefinition, Report
from evidently.presets import DataDriftPreset

warnings.filterwarnings("ignore")


def load(path):
    return pq.read_table(path).to_pandas()


def run(entry):
    ref = load(entry["reference"])
    cur = load(entry["current"])
    numeric = [c for c in ref.columns if pd.api.types.is_numeric_dtype(ref[c])]
    categorical = [c for c in ref.columns if c not in numeric]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    start = time.perf_counter()
    report = Report([DataDriftPreset()])
    snapshot = report.run(Dataset.from_pandas(cur, data_definition=definition), Dataset.from_pandas(ref, data_definition=definition))
    result = snapshot.dict()
    seconds = time.perf_counter() - start
    drifted = []
    dataset_drift = None
    for metric in result["metrics"]:
        name = metric.get("metric_name", "")
        config = metric.get("config", {})
        value = metric.get("value")
        if name.startswith("DriftedColumnsCount"):
            dataset_drift = value["share"] >= config.get("drift_share", 0.5)
        elif name.startswith("ValueDrift("):
            threshold = config.get("threshold")
            # p-value tests drift below the threshold, distances at or above it (Evidently's own rule).
            is_p = "p_value" in str(config.get("method", ""))
            if value is not None and threshold is not None and ((value < threshold) if is_p else (value >= threshold)):
                drifted.append(config["column"])
    return {"id": entry["id"], "datasetDrift": bool(dataset_drift), "drifted": sorted(drifted), "seconds": seconds}


def main():
    manifest = json.loads(open(sys.argv[1]).read())
    for entry in manifest:
        try:
            print(json.dumps(run(entry)), flush=True)
        except Exception as error:  # a case Evidently cannot run is reported, not hidden
            print(json.dumps({"id": entry["id"], "error": f"{type(error).__name__}: {error}"[:300]}), flush=True)


main()
