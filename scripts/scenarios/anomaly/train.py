#!/usr/bin/env python3
"""An external trainer for refit (`train-candidate --command`): a z-score anomaly detector.

usage: train.py --data A.parquet [B.parquet ...] --out DIR --target anomaly --time ts --cutoff TIME

Fits each feature's mean and standard deviation on the normal rows before refit's cutoff
(the holdout is every row at or after it, as refit requires), and writes what refit requires in DIR: a model file (model.json, this detector's own
format) and holdout.parquet with `label` and `score` (a probability-like anomaly score).
"""
import argparse
import json
import os

import numpy as np
import pandas as pd

FEATURES = ["vibration", "pressure", "current"]


def score(frame, model):
    z = [(frame[f].to_numpy() - model["mean"][i]) / model["std"][i] for i, f in enumerate(FEATURES)]
    distance = np.sqrt(np.mean(np.square(z), axis=0))
    return 1 / (1 + np.exp(-3 * (distance - model["pivot"])))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--time", required=True)
    p.add_argument("--cutoff", required=True)
    a = p.parse_args()
    frame = pd.concat([pd.read_parquet(path) for path in a.data], ignore_index=True)
    times = pd.to_datetime(frame[a.time], utc=True)
    cutoff = pd.Timestamp(a.cutoff)
    train, holdout = frame[(times < cutoff).to_numpy()], frame[(times >= cutoff).to_numpy()]
    normal = train[train[a.target] == 0]
    model = {
        "kind": "zscore-detector/1",
        "features": FEATURES,
        "mean": [float(normal[f].mean()) for f in FEATURES],
        "std": [float(normal[f].std()) for f in FEATURES],
        "pivot": 1.5,
    }
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(model, f, indent=1)
    pd.DataFrame({
        a.time: holdout[a.time].to_numpy(),
        "label": holdout[a.target].to_numpy().astype(bool),
        "score": score(holdout, model),
    }).to_parquet(os.path.join(a.out, "holdout.parquet"), index=False)
    print(f"z-score detector: {len(train)} training rows, {len(holdout)} holdout rows")


if __name__ == "__main__":
    main()
