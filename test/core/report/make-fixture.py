"""Generate test/core/report/drift-result-fixture.ts: a realistic 12-feature DriftResult for the report tests.

Run: /work/main/.venv/bin/python test/core/report/make-fixture.py > test/core/report/drift-result-fixture.ts
Seeded samples (numpy) -> bins, quantiles and metrics computed with scipy, written as literals,
so the report is exercised with numbers that hang together (the drift module computes the real ones).
"""
import json
import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

rng = np.random.default_rng(20261126)
N_REF, N_CUR = 50_000, 8_000
QS = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


def r(x, d=6):
    return float(f"{x:.{d}g}")


def psi(p, q, eps=1e-4):
    p = np.clip(p, eps, None)
    q = np.clip(q, eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


SIGNIFICANCE_LEVEL = 0.05


def severity(score, threshold, kind, significance_p, status):
    """compare's severityOf (functions/core/drift/judge-feature.ts): 1 = at the decision, -1 = not judged."""
    if status != "ok":
        return -1
    def log_ratio(p, level):
        return 0.0 if p >= 1 else float(np.log(max(p, 5e-324)) / np.log(level))
    if kind == "p-value":
        return r(log_ratio(score, threshold))
    return r(min(score / threshold, log_ratio(significance_p, SIGNIFICANCE_LEVEL)))


def numeric(name, ref, cur, test, threshold, source, null_ref=0.0, null_cur=0.0, explanation=""):
    lo, hi = np.quantile(ref, [0.005, 0.995])
    edges = np.linspace(lo, hi, 21)
    def counts(x):
        c = np.histogram(x, bins=np.concatenate([[-np.inf], edges, [np.inf]]))[0]
        return [int(v) for v in c]
    rc, cc = counts(ref), counts(cur)
    p = np.array(rc) / sum(rc)
    q = np.array(cc) / sum(cc)
    ks = stats.ks_2samp(ref, cur)
    wn = stats.wasserstein_distance(ref, cur) / np.std(ref)
    metrics = {
        "ksStat": r(ks.statistic), "ksPValue": r(ks.pvalue), "wassersteinNorm": r(wn),
        "psi": r(psi(p, q)), "jsDistance": r(jensenshannon(p, q, base=2)),
    }
    score = {"wasserstein": metrics["wassersteinNorm"], "ks": metrics["ksPValue"], "psi": metrics["psi"]}[test]
    kind = "p-value" if test == "ks" else "distance"
    drift = score < threshold if kind == "p-value" else score >= threshold
    out_of_range = float(np.mean((cur < ref.min()) | (cur > ref.max())))
    return {
        "name": name, "kind": "numeric", "drift": bool(drift), "status": "ok", "test": test,
        "score": score, "threshold": threshold, "thresholdSource": source, "scoreKind": kind,
        "severity": severity(score, threshold, kind, metrics["ksPValue"], "ok"),
        "nullShare": {"reference": null_ref, "current": null_cur},
        "count": {"reference": int(len(ref)), "current": int(len(cur))},
        "explanation": explanation,
        "metrics": metrics, "outOfRangeShare": r(out_of_range),
        "range": {"reference": [r(ref.min()), r(ref.max())], "current": [r(cur.min()), r(cur.max())]},
        "quantiles": [{"p": round(p_ * 100), "reference": r(a), "current": r(b)} for p_, a, b in zip(QS, np.quantile(ref, QS), np.quantile(cur, QS))],
        "bins": {"edges": [r(e) for e in edges], "reference": rc, "current": cc},
        "mean": {"reference": r(ref.mean()), "current": r(cur.mean())},
    }


def categorical(name, ref_vals, ref_p, cur_vals, cur_p, test, threshold, source, explanation, status="ok", n_cur=N_CUR, null_ref=0.0, null_cur=0.0):
    ref = rng.choice(ref_vals, size=N_REF, p=ref_p)
    cur = rng.choice(cur_vals, size=n_cur, p=cur_p)
    values = sorted(set(ref_vals) | set(cur_vals), key=lambda v: -max(np.mean(ref == v), np.mean(cur == v)))
    p = np.array([np.mean(ref == v) for v in values])
    q = np.array([np.mean(cur == v) for v in values])
    unseen = float(sum(q[i] for i, v in enumerate(values) if v not in ref_vals))
    table = np.array([[np.sum(ref == v) for v in values], [np.sum(cur == v) for v in values]])
    table = table[:, table.sum(axis=0) > 0]
    chi2 = stats.chi2_contingency(table)
    metrics = {"jsDistance": r(jensenshannon(p, q, base=2)), "psi": r(psi(p, q)), "chi2PValue": r(chi2.pvalue), "unseenShare": r(unseen)}
    score = {"jensenshannon": metrics["jsDistance"], "chi2": metrics["chi2PValue"]}[test]
    kind = "p-value" if test == "chi2" else "distance"
    drift = status == "ok" and (score < threshold if kind == "p-value" else score >= threshold)
    return {
        "name": name, "kind": "categorical", "drift": bool(drift), "status": status, "test": test,
        "score": score, "threshold": threshold, "thresholdSource": source, "scoreKind": kind,
        "severity": severity(score, threshold, kind, metrics["chi2PValue"], status),
        "nullShare": {"reference": null_ref, "current": null_cur},
        "count": {"reference": N_REF, "current": int(n_cur)},
        "explanation": explanation, "metrics": metrics,
        "categories": [{"value": v, "reference": r(a), "current": r(b), "unseen": v not in ref_vals} for v, a, b in zip(values[:10], p[:10], q[:10])],
    }


SCRIPT = "<script>window.__driftgatePwned = true</script>"
features = [
    numeric("delay", rng.gamma(2.0, 12.0, N_REF) - 5, rng.gamma(2.0, 12.0, N_CUR) + 10, "wasserstein", 0.25, "feature",
            explanation="Departure delay rose by about 15 minutes across the whole distribution."),
    numeric("fare", rng.lognormal(5.0, 0.4, N_REF), rng.lognormal(5.12, 0.5, N_CUR), "psi", 0.1, "feature",
            explanation="Fares are higher and more spread out: the median rose about 12%."),
    numeric("wind_speed", rng.weibull(2.0, N_REF) * 12, rng.weibull(1.85, N_CUR) * 12.2, "ks", 0.001, "feature",
            explanation="More calm and more very windy hours than in the reference."),
    numeric("distance", rng.lognormal(6.5, 0.6, N_REF), rng.lognormal(6.51, 0.6, N_CUR), "wasserstein", 0.4, "model",
            explanation="Flight distance is stable."),
    numeric("passengers", rng.poisson(140, N_REF).astype(float), rng.poisson(141, N_CUR).astype(float), "wasserstein", 0.4, "model",
            explanation="Passenger counts are stable."),
    numeric("temperature", rng.normal(14, 8, N_REF), rng.normal(14.6, 8, N_CUR), "wasserstein", 0.4, "model",
            explanation="Temperature moved slightly warmer, within the threshold."),
    numeric("humidity", np.clip(rng.normal(62, 15, N_REF), 0, 100), np.clip(rng.normal(63, 15, N_CUR), 0, 100), "wasserstein", 0.4, "model",
            null_ref=0.01, null_cur=0.09, explanation="Humidity is stable, but 9% of values are now missing (1% before)."),
    numeric("dep_hour", rng.integers(5, 23, N_REF).astype(float), rng.integers(5, 23, N_CUR).astype(float), "wasserstein", 0.4, "model",
            explanation="Departure hours are stable."),
    categorical("carrier", ["AA", "BB", "CC", "DD", "EE"], [0.34, 0.26, 0.2, 0.12, 0.08],
                ["AA", "BB", "CC", "DD", "EE", "ZZ", SCRIPT], [0.27, 0.22, 0.19, 0.1, 0.06, 0.13, 0.03], "jensenshannon", 0.1, "default",
                explanation="A new carrier ZZ appeared with 13% of flights, plus an odd value; AA lost 7 points."),
    categorical("origin", ["JFK", "LAX", "ORD", "ATL", "DFW", "SFO"], [0.22, 0.2, 0.18, 0.16, 0.14, 0.1],
                ["JFK", "LAX", "ORD", "ATL", "DFW", "SFO"], [0.21, 0.2, 0.19, 0.16, 0.14, 0.1], "jensenshannon", 0.1, "default",
                explanation="Origins are stable."),
    categorical("payment_type", ["card", "cash", "voucher"], [0.82, 0.12, 0.06], ["card", "cash", "voucher"], [0.83, 0.11, 0.06],
                "chi2", 0.001, "model", explanation="Payment types are stable."),
    categorical("promo_code", ["NONE", "SPRING", "VIP"], [0.9, 0.07, 0.03], ["NONE", "SPRING"], [0.95, 0.05], "jensenshannon", 0.1, "default",
                explanation="Only 40 current rows have a promo code: too few to judge.", status="insufficient-data", n_cur=40,
                null_ref=0.99, null_cur=0.995),
]


features.sort(key=lambda f: (not f["drift"], -f["severity"], f["name"]))
tested = [f for f in features if f["status"] == "ok"]
drifted = [f for f in tested if f["drift"]]
assert all((f["severity"] >= 1) == f["drift"] for f in tested), "severity >= 1 exactly when a feature drifts"
drift_index = max(f["severity"] for f in tested if f["scoreKind"] == "distance")
names = ", ".join(f"'{f['name']}'" for f in drifted[:3]) + (f" and {len(drifted) - 3} more" if len(drifted) > 3 else "")
result = {
    "schemaVersion": 1,
    "drift": True,
    "verdict": "drift",
    "action": "drift",
    "actionReason": f"Drift: {len(drifted)} of {len(tested)} judged features drifted (the rule needs 25%): {names}.",
    "incidents": [],
    "rule": {
        "kind": "action-classes",
        "description": f"Drift when at least 25% of tested features drift or a key feature (delay) drifts: {len(drifted)} of {len(tested)} tested features drifted and key feature delay drifted.",
    },
    "features": features,
    # Only an added column: a missing or retyped one would make the action data-quality (fixture.ts derives that case).
    "schema": {"missing": [], "added": ["booking_channel"], "retyped": []},
    "time": [{"name": "event_time", "reference": [1790812800000, 1795132800000], "current": [1795564800000, 1795651200000]}],
    "rowCount": {"reference": N_REF, "current": N_CUR},
    "summary": f"{len(drifted)} of {len(tested)} tested features drifted; delay rose about 15 minutes at the median and a new carrier ZZ has 13% of flights.",
    "score": r(len(drifted) / len(tested)),
    "driftIndex": r(drift_index),
}

print("/* Generated by make-fixture.py in this folder (seeded numpy + scipy); do not edit by hand. */")
print("import type { DriftResult } from '../../../functions/core/drift/types.js';")
print()
print("/** The category value that must render as text, never run. */")
print(f"export const SCRIPT_CATEGORY = {json.dumps(SCRIPT)};")
print()
print("/** A realistic 12-feature drift result (action drift): 3 numeric + 1 categorical drifted, unseen categories, one insufficient feature, an added column. */")
print(f"export const driftResultFixture: DriftResult = {json.dumps(result, indent=2)};")
