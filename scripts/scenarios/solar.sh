#!/bin/sh
# Solar scenario: regression (kwh per site-hour), scheduled retraining, an MAE gate that
# accepts a challenger up to 10% worse than the champion (seed 002), and --keep 5 versions.
# Six runs: a bootstrap, then five scheduled retrains on history + the later batch (each with
# its own seed); the sixth promotion prunes version 1.
set -eu
cd "$(dirname "$0")/../.."
. scripts/scenarios/lib.sh
scenario_setup solar
FIX=fixtures/loop/solar
export TARGET=kwh TIME=ts LABEL=kwh
export SHADOW_DATA="$FIX/batch.parquet"
export SHADOW_ARGS="--time ts --last 480 --metric mae --tolerance-rel 0.10 --bootstrap 200"
export PROMOTE_ARGS="--keep 5 --actor solar-loop"

day 1 "bootstrap on the history"
TRAIN_DATA="$FIX/history.parquet" TRAIN_ARGS="--task regression --exclude site_id" loop
for seed in 1 2 3 4 5; do
    day $((seed + 1)) "scheduled retrain (seed $seed)"
    ALWAYS_RETRAIN=1 TRAIN_DATA="$FIX/history.parquet $FIX/batch.parquet" \
        TRAIN_ARGS="--task regression --exclude site_id --seed $seed --iterations 60" loop
done
scenario_end
