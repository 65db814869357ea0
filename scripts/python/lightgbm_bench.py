#!/usr/bin/env python3
"""`make bench` reference: LightGBM with default parameters on the same data and the same
time-based holdout as `refit train-candidate` (latest 20% of rows by `day`, a day never
straddling the split). Prints "SECONDS ROC_AUC" for reading, training and scoring together,
which is what refit's wall time covers too.

usage: lightgbm_bench.py TRAIN.parquet
"""
import sys
import time

import lightgbm
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def main():
    started = time.perf_counter()
    frame = pd.read_parquet(sys.argv[1])
    day = frame.pop("day").to_numpy()
    y = frame.pop("churned").to_numpy().astype(int)
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object:
            frame[column] = frame[column].astype("category")
    cutoff = np.sort(day)[len(day) - int(np.ceil(0.2 * len(day)))]
    train, holdout = day < cutoff, day >= cutoff
    model = lightgbm.LGBMClassifier(verbose=-1)
    model.fit(frame[train], y[train])
    scores = model.predict_proba(frame[holdout])[:, 1]
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.2f} {roc_auc_score(y[holdout], scores):.4f}")


if __name__ == "__main__":
    main()
