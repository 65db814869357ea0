#!/bin/sh
# Anomaly scenario: a model refit does not train itself. train-candidate runs an external
# trainer (scripts/scenarios/anomaly/train.py, a z-score detector) via --command; refit checks
# its directory and writes metadata.json and profile.json. Since refit cannot run that model,
# SCORE_COMMAND scores the 200 most recent labelled rows with both detectors and shadow-test
# compares the score columns. Needs a Python with numpy, pandas and pyarrow: PYTHON, else the
# venv from `make interop-setup`, else python3.
set -eu
cd "$(dirname "$0")/../.."
. scripts/scenarios/lib.sh
scenario_setup anomaly
FIX=fixtures/loop/anomaly
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    [ -x "$HOME/.cache/refit-venv/bin/python" ] && PYTHON="$HOME/.cache/refit-venv/bin/python"
fi
HERE=scripts/scenarios/anomaly
export TARGET=anomaly TIME=ts LABEL=anomaly
# Seed 004: retrain once enough new labelled data has accumulated.
export MIN_NEW_ROWS=500
export TRAIN_COMMAND="$PYTHON $HERE/train.py --data {data} --out {out} --target {target} --time {time} --cutoff {cutoff}"
export TRAIN_ARGS="--timeout 5m"
export SCORE_COMMAND="$PYTHON $HERE/score.py --champion {champion} --challenger {challenger} --data {data} --out {out}"
export SHADOW_ARGS="--time ts --last 200 --metric pr_auc --bootstrap 200"
export PROMOTE_ARGS="--actor anomaly-loop"

day 1 "bootstrap with the external detector"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" loop
day 2 "no new readings landed"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" loop
day 3 "800 new labelled readings: retrain on history + batch, shadow test on the latest 200"
TRAIN_DATA="$FIX/history.parquet $FIX/batch.parquet" SHADOW_DATA="$FIX/batch.parquet" loop
scenario_end
