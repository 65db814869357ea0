#!/bin/sh
# The retrain loop (DESIGN.md), branching on refit's exit codes only:
#   drift-check / score-proxy / fleet-diff decide -> train-candidate -> shadow-test -> promote
#
# Configuration is environment variables, so crontab lines and Kubernetes CronJobs set them:
#   REFIT_REGISTRY   registry directory (required)
#   TRAIN_DATA       training data for a challenger, space-separated paths/quoted globs (required)
#   TARGET, TIME     target and time columns (required)
#   CURRENT_DATA     today's batch for drift-check against the live model's profile.json
#   DRIFT_ARGS       extra drift-check flags (e.g. "--exclude customer_id")
#   PROXY_ARGS       score-proxy flags (predictions, outcomes, join, --max-drop); skipped if empty
#   FLEET_ARGS       fleet-diff flags (--data, --entity, --time); skipped if empty
#   ALWAYS_RETRAIN=1 retrain on every run (scheduled retraining), whatever the checks say
#   TRAIN_ARGS       extra train-candidate flags (features, --model, --timeout, ...)
#   TRAIN_COMMAND    an external trainer for train-candidate --command (one argument)
#   SCORE_COMMAND    for models refit cannot run: writes {out} = {data} plus challenger_score
#                    (and champion_score when there is a champion) from the model directories
#                    {champion} and {challenger}; shadow-test then compares those columns
#   SHADOW_DATA, LABEL, SHADOW_ARGS   shadow-test data, label column and flags (metric, gates)
#   PROMOTE_ARGS     extra promote flags (--keep 5, --alias, ...)
#   NOTIFY_URL       serving reload endpoint for promote --notify
#   RUNS_DIR         where dated run folders go (default: runs)
#   METRICS_DIR      node_exporter textfile-collector directory (default: the run folder)
#   REFIT            the refit binary (default: refit on PATH)
#
# Exit codes (the loop's own contract; see README):
#   0  nothing to do: no check asked for a retrain (or too little data to train)
#   1  error: bad input, I/O, another loop running; the registry is unchanged
#   2  a challenger was trained and rejected (shadow test or promotion refused)
#   10 a challenger was promoted
set -eu

REFIT="${REFIT:-refit}"
: "${REFIT_REGISTRY:?set REFIT_REGISTRY to the registry directory}"
: "${TRAIN_DATA:?set TRAIN_DATA to the training data}"
: "${TARGET:?set TARGET to the target column}"
: "${TIME:?set TIME to the time column}"
RUNS_DIR="${RUNS_DIR:-runs}"
export REFIT_REGISTRY

mkdir -p "$RUNS_DIR"
# One loop at a time: flock when available (util-linux), else an atomic mkdir.
LOCK="$RUNS_DIR/.retrain.lock"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK"
    if ! flock -n 9; then
        echo "retrain: another loop holds $LOCK" >&2
        exit 1
    fi
else
    if ! mkdir "$LOCK.d" 2>/dev/null; then
        echo "retrain: another loop holds $LOCK.d" >&2
        exit 1
    fi
    trap 'rmdir "$LOCK.d"' EXIT
fi

RUN="$RUNS_DIR/$(date -u +%Y%m%dT%H%M%SZ)"
n=0
while [ -e "$RUN" ]; do n=$((n + 1)); RUN="$RUNS_DIR/$(date -u +%Y%m%dT%H%M%SZ)-$n"; done
mkdir -p "$RUN"
METRICS_DIR="${METRICS_DIR:-$RUN}"
mkdir -p "$METRICS_DIR"

log() { echo "retrain: $*" | tee -a "$RUN/summary.txt" >&2; }

# step NAME ARGS...: runs refit with the step's report and metrics file; sets $code.
step() {
    name="$1"; shift
    code=0
    # shellcheck disable=SC2086 # word splitting of *_ARGS is intended
    "$REFIT" --quiet --report "$RUN/$name.json" --metrics-file "$METRICS_DIR/refit_$name.prom" "$@" \
        2>>"$RUN/$name.log" || code=$?
    if [ "$code" = 1 ]; then
        log "$name: error (exit 1): $(tail -n 3 "$RUN/$name.log" | tr '\n' ' ')"
        log "outcome: error; registry unchanged; reports in $RUN"
        exit 1
    fi
}

data_flags() { for d in $1; do printf -- '--data\n%s\n' "$d"; done; }

# 1. Do we need a challenger?
retrain=""
if [ ! -f "$REFIT_REGISTRY/current.json" ]; then
    retrain="the registry has no live model"
fi
if [ -z "$retrain" ] && [ -n "${CURRENT_DATA:-}" ]; then
    # shellcheck disable=SC2086
    step drift-check drift-check --baseline "$REFIT_REGISTRY/latest/profile.json" \
        --current "$CURRENT_DATA" ${DRIFT_ARGS:-}
    [ "$code" = 2 ] && retrain="drift-check: the data drifted"
    log "drift-check: exit $code"
fi
if [ -z "$retrain" ] && [ -n "${PROXY_ARGS:-}" ]; then
    # shellcheck disable=SC2086
    step score-proxy score-proxy $PROXY_ARGS
    [ "$code" = 2 ] && retrain="score-proxy: the live model decayed"
    log "score-proxy: exit $code"
fi
if [ -z "$retrain" ] && [ -n "${FLEET_ARGS:-}" ]; then
    # shellcheck disable=SC2086
    step fleet-diff fleet-diff --model "$REFIT_REGISTRY/latest" $FLEET_ARGS
    [ "$code" = 2 ] && retrain="fleet-diff: the fleet moved past the model's vocabulary"
    log "fleet-diff: exit $code"
fi
if [ -z "$retrain" ] && [ "${ALWAYS_RETRAIN:-0}" = 1 ]; then
    retrain="scheduled retraining (ALWAYS_RETRAIN=1)"
fi
if [ -z "$retrain" ]; then
    log "outcome: nothing to do; reports in $RUN"
    exit 0
fi
log "retraining: $retrain"

# 2. Train a challenger.
# shellcheck disable=SC2046,SC2086
step train-candidate train-candidate $(data_flags "$TRAIN_DATA") --target "$TARGET" --time "$TIME" \
    --out "$RUN/candidate" ${TRAIN_COMMAND:+--command "$TRAIN_COMMAND"} ${TRAIN_ARGS:-}
if [ ! -d "$RUN/candidate" ]; then
    log "train-candidate wrote no model (insufficient data); outcome: nothing to do"
    exit 0
fi

# 3. Shadow test against the live model (none yet: floors only).
champion="--champion $REFIT_REGISTRY"
champion_dir="$REFIT_REGISTRY/latest"
if [ ! -f "$REFIT_REGISTRY/current.json" ]; then
    champion="--no-champion"
    champion_dir=""
fi
shadow_data="${SHADOW_DATA:-${CURRENT_DATA:-}}"
score_flags=""
if [ -n "${SCORE_COMMAND:-}" ]; then
    cmd=$(printf '%s' "$SCORE_COMMAND" | sed -e "s|{champion}|'$champion_dir'|g" \
        -e "s|{challenger}|'$RUN/candidate'|g" -e "s|{data}|'$shadow_data'|g" \
        -e "s|{out}|'$RUN/scored.parquet'|g")
    if ! sh -c "$cmd" >>"$RUN/score.log" 2>&1; then
        log "score: error: $(tail -n 3 "$RUN/score.log" | tr '\n' ' ')"
        log "outcome: error; registry unchanged; reports in $RUN"
        exit 1
    fi
    shadow_data="$RUN/scored.parquet"
    score_flags="--challenger-scores challenger_score"
    [ -n "$champion_dir" ] && score_flags="$score_flags --champion-scores champion_score"
fi
# shellcheck disable=SC2086
step shadow-test shadow-test $champion --challenger "$RUN/candidate" \
    --data "$shadow_data" --label "${LABEL:-$TARGET}" $score_flags ${SHADOW_ARGS:-}
log "shadow-test: exit $code"

# 4. Promote: promote itself refuses (and audits the rejection) unless the report passed.
notify=""
[ -n "${NOTIFY_URL:-}" ] && notify="--notify $NOTIFY_URL"
# shellcheck disable=SC2086
step promote promote --candidate "$RUN/candidate" --shadow-report "$RUN/shadow-test.json" \
    --link $notify ${PROMOTE_ARGS:-}
case "$code" in
    0|3)
        log "outcome: promoted $(sed -n 's/.*"to": \([0-9]*\).*/version \1/p' "$RUN/promote.json" | head -n 1); reports in $RUN"
        exit 10 ;;
    *)
        log "outcome: challenger rejected; the live model stays; reports in $RUN"
        exit 2 ;;
esac
