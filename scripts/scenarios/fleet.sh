#!/bin/sh
# Fleet scenario (seed 001): fleet-diff decides, over three simulated days (bootstrap, a quiet
# day, the day new servers appear). Six servers appear that the live model never saw, which
# breaks the 100% coverage gate; the loop retrains on history + batch, the shadow test demands
# that the challenger know every server in the batch, promote swaps the `latest` link, and a
# rollback shows the way back.
set -eu
cd "$(dirname "$0")/../.."
. scripts/scenarios/lib.sh
scenario_setup fleet
FIX=fixtures/loop/fleet
export TARGET=failed_24h TIME=ts LABEL=failed_24h
export TRAIN_ARGS="--exclude server_id --entity server_id"
export SHADOW_ARGS="--time ts --last 400 --metric roc_auc --entity server_id --min-coverage 1.0 --bootstrap 200"
export PROMOTE_ARGS="--actor fleet-loop"

# Seed 001: MEDIUM fleet drift (20-35%) already means "retrain within 24 hours".
export RETRAIN_ON="fleet-diff=warn"

day 1 "bootstrap on the history"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" loop

day 2 "the fleet reports as the model knows it"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" \
    FLEET_ARGS="--data $FIX/history.parquet --entity server_id --time ts --min-coverage 1.0" loop

day 3 "the batch brings new servers"
TRAIN_DATA="$FIX/history.parquet $FIX/batch.parquet" SHADOW_DATA="$FIX/batch.parquet" \
    FLEET_ARGS="--data $FIX/batch.parquet --entity server_id --time ts --min-coverage 1.0" loop

echo
echo "== rollback: back to version 1, latest follows"
"$REFIT" rollback --reason "fleet demo" --actor fleet-loop
echo "latest -> $(readlink "$REFIT_REGISTRY/latest")"
scenario_end
