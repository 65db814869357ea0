#!/bin/sh
# Fleet over weeks (seed 001): servers leave, the loop notices and converges. fleet-diff decides
# against the live model's vocabulary; train-candidate drops servers silent for 30 days from
# the rows and the vocabulary, so the retrained model's vocabulary matches the fleet again:
#   week 1  bootstrap on the history (40 servers)                              -> promoted
#   week 2  all 40 report                                                       -> nothing to do
#   week 6  16 servers have been silent for 33 days: fleet drift 40%, HIGH      -> promoted
#           (a model of the 24 that remain)
#   week 7  the same 24 report                                                  -> nothing to do
#   OUT (default out/fleet-weeks): registry, run folders and metrics; it is recreated.
set -eu
cd "$(dirname "$0")/../.."
. scripts/scenarios/lib.sh
scenario_setup fleet-weeks
FIX=fixtures/loop/fleet-weeks
HISTORY=fixtures/loop/fleet/history.parquet
export TARGET=failed_24h TIME=ts LABEL=failed_24h
export TRAIN_ARGS="--exclude server_id --entity server_id --drop-entities-silent-for 30d"
export SHADOW_ARGS="--time ts --last 400 --metric roc_auc --entity server_id --min-coverage 1.0 --bootstrap 200"
export PROMOTE_ARGS="--actor fleet-loop"
export RETRAIN_ON="fleet-diff=warn"
fleet_args() {
    printf -- '--entity server_id --time ts --min-coverage 1.0'
    for f in "$@"; do printf -- ' --data %s' "$f"; done
}

day 1 "week 1: bootstrap on the history"
TRAIN_DATA="$HISTORY" SHADOW_DATA="$HISTORY" loop

day 8 "week 2: every server reports"
DATA="$HISTORY $FIX/week2.parquet"
# shellcheck disable=SC2086 # the data list is split on purpose
TRAIN_DATA="$DATA" SHADOW_DATA="$FIX/week2.parquet" FLEET_ARGS="$(fleet_args $DATA)" loop

day 36 "week 6: 16 servers have been silent since week 2"
DATA="$HISTORY $FIX/week2.parquet $FIX/week6.parquet"
# shellcheck disable=SC2086
TRAIN_DATA="$DATA" SHADOW_DATA="$FIX/week6.parquet" FLEET_ARGS="$(fleet_args $DATA)" loop

day 43 "week 7: the 24 remaining servers report"
DATA="$HISTORY $FIX/week2.parquet $FIX/week6.parquet $FIX/week7.parquet"
# shellcheck disable=SC2086
TRAIN_DATA="$DATA" SHADOW_DATA="$FIX/week7.parquet" FLEET_ARGS="$(fleet_args $DATA)" loop

scenario_end
