#!/bin/sh
# Recsys scenario (seed 003): scheduled retraining on every run (no check decides), judged as a
# ranking per user: NDCG@10 against the champion (the bootstrap resamples users) and the
# seed's gate as a floor ("if precision < 0.05, keep the old model": --min-metric
# precision_at_10=0.05), and a reload notification to the serving side when NOTIFY_URL is set
# (a failed notify is a WARN, the promotion stands).
set -eu
cd "$(dirname "$0")/../.."
. scripts/scenarios/lib.sh
scenario_setup recsys
FIX=fixtures/loop/recsys
export TARGET=clicked TIME=ts LABEL=clicked
export ALWAYS_RETRAIN=1
export TRAIN_ARGS="--exclude impression_id,user_id --id impression_id --group user_id"
export SHADOW_ARGS="--time ts --last 800 --group user_id --metric ndcg_at_10 --min-metric precision_at_10=0.05 --tolerance 0.01 --bootstrap 200"
export PROMOTE_ARGS="--keep 3 --actor recsys-loop"

day 1 "bootstrap"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" loop
day 2 "scheduled retrain with today's impressions"
TRAIN_DATA="$FIX/history.parquet $FIX/batch.parquet" SHADOW_DATA="$FIX/batch.parquet" loop
day 3 "scheduled retrain on today's impressions alone, held to the same floor"
TRAIN_DATA="$FIX/batch.parquet" SHADOW_DATA="$FIX/batch.parquet" loop
scenario_end
