"""Synthetic draws with known truth for `npm run bench:detection`, written as Parquet by pyarrow.

Run by bench/detection.ts with bench/.venv-detection/bin/python:  generate.py OUT_DIR SPEC_JSON
SPEC_JSON: {"sizes": {n: {"aa": reps, "change": reps}}, "quality": {"n": 1000, "reps": 5}, "seed": 1}
Every dataset is a reference of n rows and a current of n rows (A/A halves when nothing changed), ten columns:
  normal (N(50, 8)), lognormal (e^N(0, 0.8)), heavy (Student t, 3 dof), discrete (Poisson 3), far (N(1000, 7):
  far from zero relative to its spread), bimodal (two normals), zipf (200 categories, s = 1.1), and a correlated
  group size_a/size_b/size_c (one latent value plus 5 % noise each: they move together).
Scenarios (one changed column per dataset, rotating over the numeric shapes by repetition):
  aa; shift-0.25 / shift-0.5 / shift-1 (the column + k·σ); scale-1.5 (deviations from the median × 1.5; the
  discrete column stays integral by stochastic rounding, so its mean moves by exactly that in expectation); newcat-0.2 (20 % of zipf
  replaced by a never-seen category). Data-quality cases at one n: nulls-0.3 (30 % of a column null), dropped
  (a column missing), retyped (an int column written as strings).
Writes OUT_DIR/manifest.json: one entry per dataset with its files, scenario, changed column and, for the
shift-0.5 and aa cases, scipy's ks_2samp statistic and wasserstein_distance / σ_ref (numpy std) per numeric column.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

NUMERIC = ["normal", "lognormal", "heavy", "discrete", "far", "bimodal", "size_a"]
SHAPES_FOR_CHANGE = ["normal", "lognormal", "heavy", "discrete", "far", "bimodal"]
ZIPF_K = 200


def draw(g, n):
    latent = g.normal(100, 20, n)
    bimodal = np.where(g.uniform(size=n) < 0.4, g.normal(-3, 1, n), g.normal(3, 1, n))
    zipf_w = 1.0 / np.arange(1, ZIPF_K + 1) ** 1.1
    zipf = g.choice(ZIPF_K, n, p=zipf_w / zipf_w.sum())
    return {
        "normal": g.normal(50, 8, n),
        "lognormal": g.lognormal(0, 0.8, n),
        "heavy": g.standard_t(3, n),
        "discrete": g.poisson(3, n).astype(np.int64),
        "far": g.normal(1000, 7, n),
        "bimodal": bimodal,
        "zipf": np.array([f"c{i:03d}" for i in zipf], dtype=object),
        "size_a": latent * (1 + 0.05 * g.normal(size=n)),
        "size_b": latent * (1 + 0.05 * g.normal(size=n)),
        "size_c": latent * (1 + 0.05 * g.normal(size=n)),
    }


def integral(g, x, like):
    """Keep an integer column integral (else the file would retype it): stochastic rounding keeps the mean."""
    if like.dtype.kind != "i":
        return x
    return np.floor(x + g.uniform(size=len(x))).astype(np.int64)


def change(g, cols, scenario, column):
    cols = dict(cols)
    if scenario.startswith("shift-"):
        k = float(scenario.split("-")[1])
        x = cols[column]
        sd = {"normal": 8, "lognormal": float(np.std(x)), "heavy": float(np.sqrt(3)), "discrete": float(np.sqrt(3)), "far": 7, "bimodal": float(np.std(x))}[column]
        cols[column] = integral(g, x + k * sd, x)
    elif scenario == "scale-1.5":
        x = cols[column]
        m = float(np.median(x))
        cols[column] = integral(g, m + (x.astype(float) - m) * 1.5, x)
    elif scenario == "newcat-0.2":
        z = cols["zipf"].copy()
        z[g.uniform(size=len(z)) < 0.2] = "never-seen"
        cols["zipf"] = z
    return cols


def table(cols, quality=None, column=None):
    arrays, names = [], []
    for name, values in cols.items():
        if quality == "dropped" and name == column:
            continue
        if quality == "retyped" and name == column:
            arrays.append(pa.array([str(v) for v in values], pa.string()))
        elif quality == "nulls-0.3" and name == column:
            mask = np.random.default_rng(7).uniform(size=len(values)) < 0.3
            arrays.append(pa.array(values, mask=mask))
        elif values.dtype == object:
            arrays.append(pa.array(values.tolist(), pa.string()))
        else:
            arrays.append(pa.array(values))
        names.append(name)
    return pa.table(arrays, names=names)


def scipy_truth(ref, cur):
    out = {}
    for name in NUMERIC:
        r = np.asarray(ref[name], float)
        c = np.asarray(cur[name], float)
        out[name] = {"ks": float(stats.ks_2samp(r, c).statistic), "wassersteinNorm": float(stats.wasserstein_distance(r, c) / np.std(r))}
    return out


def main():
    out = Path(sys.argv[1])
    spec = json.loads(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    g = np.random.default_rng(spec.get("seed", 1))
    manifest = []

    def write(name, ref_cols, cur_cols, entry, quality=None, column=None):
        ref_path = out / f"{name}.ref.parquet"
        cur_path = out / f"{name}.cur.parquet"
        pq.write_table(table(ref_cols), ref_path)
        pq.write_table(table(cur_cols, quality, column), cur_path)
        manifest.append({"id": name, "reference": str(ref_path), "current": str(cur_path), **entry})

    for n_text, reps in spec["sizes"].items():
        n = int(n_text)
        for rep in range(reps["aa"]):
            ref, cur = draw(g, n), draw(g, n)
            entry = {"n": n, "scenario": "aa", "column": None, "rep": rep}
            if rep < 2 and n >= 1000:
                entry["scipy"] = scipy_truth(ref, cur)
            write(f"n{n}-aa-{rep}", ref, cur, entry)
        for scenario in ["shift-0.25", "shift-0.5", "shift-1", "scale-1.5", "newcat-0.2"]:
            for rep in range(reps["change"]):
                column = "zipf" if scenario == "newcat-0.2" else SHAPES_FOR_CHANGE[rep % len(SHAPES_FOR_CHANGE)]
                ref = draw(g, n)
                cur = change(g, draw(g, n), scenario, column)
                entry = {"n": n, "scenario": scenario, "column": column, "rep": rep}
                if scenario == "shift-0.5" and n >= 1000 and rep < len(SHAPES_FOR_CHANGE):
                    entry["scipy"] = scipy_truth(ref, cur)
                write(f"n{n}-{scenario}-{rep}", ref, cur, entry)
    q = spec["quality"]
    for quality, column in [("nulls-0.3", "normal"), ("dropped", "lognormal"), ("retyped", "discrete")]:
        for rep in range(q["reps"]):
            ref, cur = draw(g, q["n"]), draw(g, q["n"])
            write(f"n{q['n']}-{quality}-{rep}", ref, cur, {"n": q["n"], "scenario": quality, "column": column, "rep": rep, "quality": True}, quality, column)
    (out / "manifest.json").write_text(json.dumps(manifest))
    print(f"{len(manifest)} datasets in {out}")


main()
