#!/bin/sh
# Churn scenario: PSI drift check on today's batch, a GBM classifier, a PR-AUC gate.
# Runs the retrain loop twice on fixtures/loop/churn: the first run bootstraps an empty
# registry; the second sees the drifted batch, retrains on history + batch, shadow-tests the
# challenger on the batch's latest 600 labelled rows and promotes or rejects it.
#   OUT (default out/churn): registry, run folders and metrics go there; it is recreated.
set -eu
cd "$(dirname "$0")/../.."
. scripts/scenarios/lib.sh
scenario_setup churn
FIX=fixtures/loop/churn
export TARGET=churned TIME=event_time LABEL=churned
# The baseline is the live model's profile.json, which holds only its features.
export DRIFT_ARGS="--fail-share 0.2"
export TRAIN_ARGS="--exclude customer_id --id customer_id --min-rows 500"
export SHADOW_ARGS="--time event_time --last 600 --metric pr_auc --bootstrap 200"
export PROMOTE_ARGS="--keep 5 --actor churn-loop"

echo "== run 1: empty registry, train on the history"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" CURRENT_DATA="" loop

echo
echo "== run 2: today's batch arrives"
TRAIN_DATA="$FIX/history.parquet $FIX/batch.parquet" CURRENT_DATA="$FIX/batch.parquet" \
    SHADOW_DATA="$FIX/batch.parquet" loop

scenario_end
