#!/usr/bin/env python3
"""Scores recent data with the champion's and the challenger's detectors for shadow-test
(retrain.sh's SCORE_COMMAND): refit cannot run an external model, so the scores arrive as
columns.

usage: score.py --champion DIR|"" --challenger DIR --data PATH --out scored.parquet
"""
import argparse
import json
import os

import pandas as pd

from train import score


def load(directory):
    with open(os.path.join(directory, "model.json")) as f:
        return json.load(f)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--champion", default="")
    p.add_argument("--challenger", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    frame = pd.read_parquet(a.data)
    frame["challenger_score"] = score(frame, load(a.challenger))
    if a.champion:
        frame["champion_score"] = score(frame, load(a.champion))
    frame.to_parquet(a.out, index=False)


if __name__ == "__main__":
    main()
