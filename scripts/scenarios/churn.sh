#!/bin/sh
# Churn scenario: PSI drift check on today's batch, a GBM classifier, a PR-AUC gate.
# Runs the retrain loop twice on fixtures/loop/churn: the first run bootstraps an empty
# registry; the second sees the drifted batch, retrains on history + batch, shadow-tests the
# challenger on the batch's latest 600 labelled rows and promotes or rejects it.
#   OUT (default out/churn): registry, run folders and metrics go there; it is recreated.
set -eu
cd "$(dirname "$0")/../.."
OUT="${OUT:-out/churn}"
FIX=fixtures/loop/churn
rm -rf "$OUT"
mkdir -p "$OUT/metrics"

export REFIT="${REFIT:-refit}"
export REFIT_REGISTRY="$OUT/registry"
export RUNS_DIR="$OUT/runs"
export METRICS_DIR="$OUT/metrics"
export TARGET=churned TIME=event_time LABEL=churned
export DRIFT_ARGS="--exclude customer_id,event_time,churned --fail-share 0.2"
export TRAIN_ARGS="--exclude customer_id --id customer_id --min-rows 500"
export SHADOW_ARGS="--time event_time --last 600 --metric pr_auc --bootstrap 200"
export PROMOTE_ARGS="--keep 5 --actor churn-loop"

loop() {
    code=0
    sh scripts/retrain.sh || code=$?
    case "$code" in
        0) echo "== loop exit 0: nothing to do" ;;
        2) echo "== loop exit 2: challenger rejected, the live model stays" ;;
        10) echo "== loop exit 10: challenger promoted" ;;
        *) echo "== loop exit $code: error"; exit "$code" ;;
    esac
}

echo "== run 1: empty registry, train on the history"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" CURRENT_DATA="" loop

echo
echo "== run 2: today's batch arrives"
TRAIN_DATA="$FIX/history.parquet $FIX/batch.parquet" CURRENT_DATA="$FIX/batch.parquet" \
    SHADOW_DATA="$FIX/batch.parquet" loop

echo
"$REFIT" registry list
echo
echo "Registry: $REFIT_REGISTRY  Runs: $RUNS_DIR  Metrics: $METRICS_DIR"
