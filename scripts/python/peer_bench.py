#!/usr/bin/env python3
"""The Python a user would otherwise run, timed on the same files as `make bench` (scripts/bench.sh).

  peer_bench.py drift BASELINE CURRENT
      numpy PSI (10 baseline-quantile bins) on every numeric column; scipy's ks_2samp and
      wasserstein_distance on every numeric column; chi-square on every text column.
  peer_bench.py proxy PREDICTIONS OUTCOMES
      pandas: merge predictions with outcomes observed 30 days after the prediction, then
      scikit-learn's ROC-AUC, average precision, log loss and Brier score; the same with a
      Polars join when polars is installed.

Prints one line of `name seconds` per tool (wall time of the whole job, reading included, as
refit's is), or `name SKIPPED reason` when its package is missing. Needs pyarrow and numpy.
"""
import sys
import time


def timed(name, job):
    started = time.perf_counter()
    try:
        job()
    except ImportError as e:
        print(f"{name} SKIPPED {e.name or e}")
        return
    print(f"{name} {time.perf_counter() - started:.3f}")


def columns(path):
    import pyarrow.parquet as pq
    import pyarrow.types as t

    table = pq.read_table(path)
    numeric = {}
    text = {}
    for field in table.schema:
        column = table.column(field.name)
        if t.is_floating(field.type) or t.is_integer(field.type):
            numeric[field.name] = column.to_numpy().astype("float64")
        elif t.is_string(field.type) or t.is_large_string(field.type):
            values = column.to_numpy(zero_copy_only=False)
            text[field.name] = values[values != None]  # noqa: E711 (element-wise)
    return numeric, text


def numeric_pairs(base, cur):
    """Each numeric column both files hold, as finite values, when neither side is empty."""
    import numpy as np

    for name, b in base.items():
        if name not in cur:
            continue
        b = b[np.isfinite(b)]
        c = cur[name][np.isfinite(cur[name])]
        if len(b) and len(c):
            yield b, c


def drift_numpy_psi(baseline, current):
    import numpy as np

    base, _ = columns(baseline)
    cur, _ = columns(current)
    for b, c in numeric_pairs(base, cur):
        edges = np.unique(np.quantile(b, np.linspace(0, 1, 11)[1:-1]))
        bp = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1) / len(b)
        cp = np.bincount(np.searchsorted(edges, c, side="right"), minlength=len(edges) + 1) / len(c)
        bp, cp = np.clip(bp, 1e-4, None), np.clip(cp, 1e-4, None)
        float(np.sum((cp - bp) * np.log(cp / bp)))


def drift_scipy(baseline, current):
    import numpy as np
    from scipy import stats

    base, base_text = columns(baseline)
    cur, cur_text = columns(current)
    for b, c in numeric_pairs(base, cur):
        stats.ks_2samp(b, c)
        stats.wasserstein_distance(b, c)
    for name, b in base_text.items():
        if name not in cur_text:
            continue
        bv, bc = np.unique(b, return_counts=True)
        cv, cc = np.unique(cur_text[name], return_counts=True)
        keys = sorted(set(bv) | set(cv))
        bm, cm = dict(zip(bv, bc)), dict(zip(cv, cc))
        stats.chi2_contingency([[bm.get(k, 0) for k in keys], [cm.get(k, 0) for k in keys]])


def score(y, s):
    """The metrics score-proxy reports, with scikit-learn."""
    from sklearn import metrics

    metrics.roc_auc_score(y, s)
    metrics.average_precision_score(y, s)
    metrics.log_loss(y, s.clip(1e-15, 1 - 1e-15))
    metrics.brier_score_loss(y, s)


def proxy_pandas(predictions, outcomes):
    import pandas as pd

    p = pd.read_parquet(predictions)
    o = pd.read_parquet(outcomes)
    p["observed_at"] = pd.to_datetime(p["predicted_at"]) + pd.Timedelta(days=30)
    o["observed_at"] = pd.to_datetime(o["observed_at"])
    j = p.merge(o, on=["customer_id", "observed_at"], how="inner")
    score(j["churned"].to_numpy(), j["churn_score"].to_numpy())


def proxy_polars(predictions, outcomes):
    import polars as pl

    p = pl.read_parquet(predictions).with_columns(
        (pl.col("predicted_at") + pl.duration(days=30)).alias("observed_at")
    )
    o = pl.read_parquet(outcomes)
    j = p.join(o, on=["customer_id", "observed_at"], how="inner")
    score(j["churned"].to_numpy(), j["churn_score"].to_numpy())


def main(argv):
    if len(argv) != 4 or argv[1] not in ("drift", "proxy"):
        sys.exit(__doc__)
    job, left, right = argv[1:]
    if job == "drift":
        timed("numpy_psi", lambda: drift_numpy_psi(left, right))
        timed("scipy_ks_wasserstein_chi2", lambda: drift_scipy(left, right))
    else:
        timed("pandas_sklearn", lambda: proxy_pandas(left, right))
        timed("polars_sklearn", lambda: proxy_polars(left, right))


if __name__ == "__main__":
    main(sys.argv)
