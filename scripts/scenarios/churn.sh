#!/bin/sh
# Churn scenario (seed 000): a daily PSI drift check on the landed batch, a GBM classifier, a
# PR-AUC gate, a 30-day model-age limit and a minimum of usable rows. Five simulated days on
# fixtures/loop/churn:
#   day 1  empty registry: bootstrap on the history                         -> promoted
#   day 2  the landed data looks like the training data                     -> nothing to do
#   day 3  the feed delivers only 150 drifted rows: drift fires, too few    -> insufficient data
#   day 4  today's full batch: drift fires, and so does the PR-AUC estimated from the live
#          model's scores before any label (CBPE); retrain on history + batch -> promoted/rejected
#   day 44 40 days on, the model-age trigger fires; the landing zone holds only the history
#          (the batch's partition went to cold storage): the challenger is worse -> rejected
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
export MAX_MODEL_AGE=30d

day 1 "empty registry, train on the history"
TRAIN_DATA="$FIX/history.parquet" SHADOW_DATA="$FIX/history.parquet" CURRENT_DATA="" loop

day 2 "the landed data looks like the training data"
TRAIN_DATA="$FIX/history.parquet" CURRENT_DATA="$FIX/history.parquet" \
    SHADOW_DATA="$FIX/history.parquet" loop

day 3 "the feed delivered 150 rows"
TRAIN_DATA="$FIX/trickle.parquet" CURRENT_DATA="$FIX/trickle.parquet" \
    SHADOW_DATA="$FIX/trickle.parquet" loop

day 4 "today's batch arrives; its churn labels are 30 days away"
# Serving logged the live model's scores of today's customers; their outcomes come in 30
# days (seed 004's label delay), so score-proxy estimates PR-AUC from the scores (CBPE,
# against the live model's holdout) and fails on an estimated drop beyond 0.05.
"$REFIT" --quiet predict --model "$REFIT_REGISTRY/latest" --data "$FIX/batch.parquet" \
    --id customer_id --out "$OUT/batch-scores.parquet"
PROXY_ARGS="--estimate --predictions $OUT/batch-scores.parquet --score score \
    --model $REFIT_REGISTRY/latest --baseline-metrics $REFIT_REGISTRY/latest/metadata.json \
    --metric pr_auc --max-drop 0.05" \
TRAIN_DATA="$FIX/history.parquet $FIX/batch.parquet" CURRENT_DATA="$FIX/batch.parquet" \
    SHADOW_DATA="$FIX/batch.parquet" loop

day 44 "the model is older than MAX_MODEL_AGE; only the history is left to train on"
TRAIN_DATA="$FIX/history.parquet" CURRENT_DATA="" SHADOW_DATA="$FIX/batch.parquet" loop

scenario_end
