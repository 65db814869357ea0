#!/bin/sh
# The retrain loop (README "The retrain loop"), branching on refit's exit codes only:
#   checks (staleness, drift-check, score-proxy, fleet-diff) -> triggers -> train-candidate
#   -> shadow-test -> promote, and every run recorded in the registry's run ledger (runs.jsonl)
#   with the loop's Prometheus metrics derived from it.
#
# Configuration is environment variables, so crontab lines and Kubernetes CronJobs set them:
#   REFIT_REGISTRY   registry directory (required); runs.jsonl, the ledger, lives there
#   TRAIN_DATA       training data for a challenger, space-separated paths/quoted globs (required)
#   TARGET, TIME     target and time columns (required)
#   CURRENT_DATA     today's batch for drift-check against the live model's profile.json
#   VALIDATE_DATA    data `refit validate` checks first, against the data contract (default:
#                    CURRENT_DATA; skipped when both are empty). A FAIL stops the run before any
#                    check or training: outcome invalid_data
#   CONTRACT         the contract (default: the live model's contract.json); VALIDATE_ARGS extra
#                    validate flags
#   DRIFT_ARGS       extra drift-check flags (e.g. "--exclude customer_id")
#   PROXY_ARGS       score-proxy flags (predictions, outcomes, join, --max-drop); skipped if empty
#   FLEET_ARGS       fleet-diff flags (--data, --entity, --time); skipped if empty
#   RETRAIN_ON       which verdicts trigger, per check: "fail" (default) or "warn" as well, e.g.
#                    "fleet-diff=warn drift-check=fail" (seed 001: MEDIUM fleet drift retrains)
#   MAX_MODEL_AGE    trigger when the live model was trained longer ago than this (e.g. 30d)
#   MIN_NEW_ROWS     trigger when NEW_DATA (default: TRAIN_DATA) holds at least this many
#                    labelled rows newer than the live model's training data
#   ALWAYS_RETRAIN=1 retrain on every run (scheduled retraining), whatever the checks say
#   TRAIN_ARGS       extra train-candidate flags (features, --model, --min-rows, --timeout, ...)
#   TRAIN_COMMAND    an external trainer for train-candidate --command (one argument)
#   SCORE_COMMAND    for models refit cannot run: writes {out} = {data} plus challenger_score
#                    (and champion_score when there is a champion) from the model directories
#                    {champion} and {challenger}; shadow-test then compares those columns
#   SHADOW_DATA, LABEL, SHADOW_ARGS   shadow-test data, label column and flags (metric, gates)
#   PROMOTE_ARGS     extra promote flags (--keep 5, --alias, ...)
#   NOTIFY_URL       serving reload endpoint for promote --notify (http:// or https://)
#   WEBHOOK_URL      where the loop's events go: triggered, rejected, promoted,
#                    insufficient_data, invalid_data, error (with the reasons and the run folder)
#   WEBHOOK_FORMAT   json (default) or slack (a Slack-compatible {"text": ...} payload)
#   NOTIFY_CA        PEM bundle of a private CA for https NOTIFY_URL / WEBHOOK_URL
#   DRY_RUN=1        run the checks and print what the loop would do; change nothing (no
#                    training, no promotion, no ledger line, no metrics, no notifications)
#   RUNS_DIR         where dated run folders go (default: runs)
#   KEEP_RUNS        run folders kept, newest first (default 30; 0 keeps all)
#   METRICS_DIR      node_exporter textfile-collector directory (default: RUNS_DIR): the loop's
#                    refit_loop.prom, and the checks' refit_loop_<check>.prom
#   METRICS_JOB      the refit_job label on every sample the loop writes (default:
#                    retrain_loop); give each loop sharing a METRICS_DIR its own, and its own dir
#   PUSHGATEWAY      also push the loop's and the checks' metrics to this Prometheus
#                    Pushgateway URL (group job=METRICS_JOB, step=<step>)
#   REFIT            the refit binary (default: refit on PATH)
#
# Exit codes (the loop's own contract, one per outcome in the ledger; see README):
#   0  nothing_to_do: no trigger fired (and every DRY_RUN=1 run that did not fail)
#   1  error: bad input, I/O, another loop running; the registry is unchanged
#   2  rejected: a challenger was trained and the shadow test or promote refused it
#   4  insufficient_data: a trigger fired but there were too few usable rows to train
#   5  invalid_data: the data broke its contract (refit validate FAIL); nothing was trained
#   10 promoted: a challenger became the live model
set -eu

REFIT="${REFIT:-refit}"
# A missing setting is an error (exit 1): `${VAR:?}` would exit 2, which means "rejected" here.
require() {
    eval "value=\${$1:-}"
    if [ -z "$value" ]; then
        echo "retrain: set $1 to $2" >&2
        exit 1
    fi
}
require REFIT_REGISTRY "the registry directory"
require TRAIN_DATA "the training data"
require TARGET "the target column"
require TIME "the time column"
RUNS_DIR="${RUNS_DIR:-runs}"
DRY_RUN="${DRY_RUN:-0}"
METRICS_JOB="${METRICS_JOB:-retrain_loop}"
export REFIT_REGISTRY

started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [ "$DRY_RUN" = 1 ]; then
    # Touch nothing: the checks' reports go to a scratch folder that is removed at exit.
    RUN=$(mktemp -d "${TMPDIR:-/tmp}/refit-dry-run.XXXXXX")
    trap 'rm -rf "$RUN"' EXIT
else
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
    METRICS_DIR="${METRICS_DIR:-$RUNS_DIR}"
    mkdir -p "$METRICS_DIR"
fi

log() { echo "retrain: $*" | tee -a "$RUN/summary.txt" >&2; }

# notify EVENT MESSAGE: the loop's event to WEBHOOK_URL; a failure is logged, never fatal.
notify() {
    [ -n "${WEBHOOK_URL:-}" ] || return 0
    # shellcheck disable=SC2086 # optional flags
    "$REFIT" --quiet notify --notify "$WEBHOOK_URL" --notify-format "${WEBHOOK_FORMAT:-json}" \
        ${NOTIFY_CA:+--notify-ca "$NOTIFY_CA"} --event "$1" --message "$2" \
        --field "run=$RUN" --field "registry=$REFIT_REGISTRY" 2>>"$RUN/notify.log" ||
        log "warning: the $1 event was not delivered to WEBHOOK_URL (see $RUN/notify.log)"
}

# Every trigger that fired, one per line.
triggers=""
reason=""
fired() { triggers="$triggers$1
"; log "trigger: $1"; }

# finish OUTCOME [STEP MESSAGE]: records the run in the ledger, writes the loop's metrics,
# notifies, prunes old run folders and exits with the outcome's code.
finish() {
    outcome="$1"
    case "$outcome" in
        nothing_to_do) code=0 ;; error) code=1 ;; rejected) code=2 ;;
        insufficient_data) code=4 ;; invalid_data) code=5 ;; promoted) code=10 ;;
    esac
    if [ "$DRY_RUN" = 1 ]; then
        [ "$outcome" = error ] && exit 1
        exit 0
    fi
    # One --trigger per line of $triggers (no globbing of their text).
    set -f
    old_ifs=$IFS
    IFS='
'
    set --
    for t in $triggers; do set -- "$@" --trigger "$t"; done
    IFS=$old_ifs
    set +f
    if [ "$outcome" = error ]; then
        set -- "$@" --error-step "$error_step" --error-message "$error_message"
    fi
    if ! "$REFIT" --quiet --report "$RUN/runs-record.json" \
        --metrics-file "$METRICS_DIR/refit_loop.prom" --metrics-job "$METRICS_JOB" \
        ${PUSHGATEWAY:+--pushgateway "$PUSHGATEWAY" --pushgateway-label step=runs_record} runs record "$RUN" \
        --outcome "$outcome" --started-at "$started_at" "$@" 2>>"$RUN/runs-record.log"; then
        log "error: the run was not recorded in the ledger: $(tail -n 3 "$RUN/runs-record.log" | tr '\n' ' ')"
        code=1
    fi
    case "$outcome" in
        nothing_to_do) ;;
        error) notify error "$error_step failed: $error_message" ;;
        invalid_data) notify invalid_data "$(head -n 1 "$RUN/validate.txt")" ;;
        *) notify "$outcome" "$reason" ;;
    esac
    prune_runs
    exit "$code"
}

# Keeps the newest KEEP_RUNS run folders (their names sort by time).
prune_runs() {
    keep="${KEEP_RUNS:-30}"
    [ "$keep" -gt 0 ] 2>/dev/null || return 0
    total=$(find "$RUNS_DIR" -mindepth 1 -maxdepth 1 -type d -name '2*' | wc -l)
    [ "$total" -gt "$keep" ] || return 0
    find "$RUNS_DIR" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort |
        head -n $((total - keep)) | while read -r old; do rm -rf "$old"; done
}

error_step=""
error_message=""
# Killed (a CronJob's deadline, kubectl delete, Ctrl-C): the run is still recorded as an error.
# sh runs the trap once the step in the foreground has ended (it gets the signal too).
# shellcheck disable=SC2317 # invoked by the traps below
on_signal() {
    trap - TERM INT
    error_step="${name:-retrain}"
    error_message="killed by SIG$1 during ${name:-the loop}"
    log "error: $error_message; registry unchanged; reports in $RUN"
    finish error
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
# step NAME ARGS...: runs refit with the step's report (and text on NAME.txt); sets $code.
# The checks' metrics go to METRICS_DIR; the other steps' stay in the run folder.
step() {
    name="$1"; shift
    metrics="$RUN/$name.prom"
    case "$name" in
        validate|staleness|score-proxy|fleet-diff)
            [ "$DRY_RUN" = 1 ] || metrics="$METRICS_DIR/refit_loop_$name.prom" ;;
    esac
    code=0
    # shellcheck disable=SC2086 # word splitting of *_ARGS is intended
    # Pushed only where the file goes to METRICS_DIR (the checks), each step in its own group.
    push=""
    [ "$metrics" = "$RUN/$name.prom" ] || push="${PUSHGATEWAY:-}"
    "$REFIT" --report "$RUN/$name.json" --metrics-file "$metrics" --metrics-job "$METRICS_JOB" \
        ${push:+--pushgateway "$push" --pushgateway-label "step=$name"} "$@" \
        >"$RUN/$name.txt" 2>>"$RUN/$name.log" || code=$?
    if [ "$code" = 1 ] || [ "$code" -gt 3 ]; then
        error_step="$name"
        error_message="exit $code: $(tail -n 3 "$RUN/$name.log" | tr '\n' ' ')"
        log "$name: error ($error_message)"
        log "outcome: error; registry unchanged; reports in $RUN"
        finish error
    fi
}

# check NAME ARGS...: a step whose FAIL (or WARN, when RETRAIN_ON says so) is a trigger.
check() {
    name="$1"
    policy=fail
    for rule in $(printf '%s' "${RETRAIN_ON:-}" | tr ',' ' '); do
        case "$rule" in
            "$name=warn") policy=warn ;;
            "$name=fail") policy=fail ;;
            all=warn|warn) policy=warn ;;
        esac
    done
    shift
    if [ "$policy" = warn ]; then
        step "$name" --fail-on warn "$@"
    else
        step "$name" "$@"
    fi
    log "$name: exit $code"
    case "$code" in
        2|3) fired "$(head -n 1 "$RUN/$name.txt")" ;;
    esac
}

data_flags() { for d in $1; do printf -- '--data\n%s\n' "$d"; done; }

live=1
if [ ! -f "$REFIT_REGISTRY/current.json" ]; then
    live=""
    fired "bootstrap: the registry has no live model"
fi
# 1. Does the data keep its contract (seed 001's validation phase)? Broken data stops the run.
validate_data="${VALIDATE_DATA:-${CURRENT_DATA:-}}"
contract="${CONTRACT:-}"
if [ -z "$contract" ] && [ -f "$REFIT_REGISTRY/latest/contract.json" ]; then
    contract="$REFIT_REGISTRY/latest/contract.json"
fi
if [ -n "$validate_data" ] && [ -n "$contract" ]; then
    # shellcheck disable=SC2046,SC2086
    step validate validate --contract "$contract" $(data_flags "$validate_data") ${VALIDATE_ARGS:-}
    log "validate: exit $code"
    if [ "$code" = 2 ]; then
        [ "$DRY_RUN" = 1 ] && echo "dry run: the data breaks its contract: $(head -n 1 "$RUN/validate.txt")"
        log "outcome: invalid data ($(head -n 1 "$RUN/validate.txt")); nothing trained; reports in $RUN"
        finish invalid_data
    fi
fi
# 2. Do we need a challenger? Every check runs, so the ledger has the whole picture.
if [ -n "$live" ] && { [ -n "${MAX_MODEL_AGE:-}" ] || [ -n "${MIN_NEW_ROWS:-}" ]; }; then
    # shellcheck disable=SC2046
    check staleness staleness ${MAX_MODEL_AGE:+--max-age "$MAX_MODEL_AGE"} \
        ${MIN_NEW_ROWS:+--min-new-rows "$MIN_NEW_ROWS"} \
        $( [ -n "${MIN_NEW_ROWS:-}" ] && data_flags "${NEW_DATA:-$TRAIN_DATA}") \
        ${MIN_NEW_ROWS:+--time "$TIME"} ${MIN_NEW_ROWS:+--label "${LABEL:-$TARGET}"}
fi
if [ -n "$live" ] && [ -n "${CURRENT_DATA:-}" ]; then
    # shellcheck disable=SC2086
    check drift-check drift-check --baseline "$REFIT_REGISTRY/latest/profile.json" \
        --current "$CURRENT_DATA" ${DRIFT_ARGS:-}
fi
if [ -n "$live" ] && [ -n "${PROXY_ARGS:-}" ]; then
    # shellcheck disable=SC2086
    check score-proxy score-proxy $PROXY_ARGS
fi
if [ -n "$live" ] && [ -n "${FLEET_ARGS:-}" ]; then
    # shellcheck disable=SC2086
    check fleet-diff fleet-diff --model "$REFIT_REGISTRY/latest" $FLEET_ARGS
fi
if [ "${ALWAYS_RETRAIN:-0}" = 1 ]; then
    fired "schedule: ALWAYS_RETRAIN=1"
fi
reason=$(printf '%s' "$triggers" | awk 'NR > 1 { printf " | " } { printf "%s", $0 }')
if [ -z "$triggers" ]; then
    [ "$DRY_RUN" = 1 ] && echo "dry run: nothing to do (no trigger fired); nothing changed"
    log "outcome: nothing to do; reports in $RUN"
    finish nothing_to_do
fi
if [ "$DRY_RUN" = 1 ]; then
    echo "dry run: would retrain because: $reason"
    echo "dry run: would train on $TRAIN_DATA, shadow-test and promote if it passes; nothing changed"
    finish nothing_to_do
fi
log "retraining: $reason"
notify triggered "$reason"

# 3. Train a challenger.
# shellcheck disable=SC2046,SC2086
step train-candidate train-candidate $(data_flags "$TRAIN_DATA") --target "$TARGET" --time "$TIME" \
    --out "$RUN/candidate" ${TRAIN_COMMAND:+--command "$TRAIN_COMMAND"} ${TRAIN_ARGS:-}
if [ ! -d "$RUN/candidate" ]; then
    log "train-candidate: $(head -n 1 "$RUN/train-candidate.txt")"
    log "outcome: insufficient data; registry unchanged; reports in $RUN"
    finish insufficient_data
fi

# 4. Shadow test against the live model (none yet: floors only).
champion="--champion $REFIT_REGISTRY"
champion_dir="$REFIT_REGISTRY/latest"
if [ -z "$live" ]; then
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
        error_step=score
        error_message="SCORE_COMMAND failed: $(tail -n 3 "$RUN/score.log" | tr '\n' ' ')"
        log "score: error: $error_message"
        log "outcome: error; registry unchanged; reports in $RUN"
        finish error
    fi
    shadow_data="$RUN/scored.parquet"
    score_flags="--challenger-scores challenger_score"
    [ -n "$champion_dir" ] && score_flags="$score_flags --champion-scores champion_score"
fi
# shellcheck disable=SC2086
step shadow-test shadow-test $champion --challenger "$RUN/candidate" \
    --data "$shadow_data" --label "${LABEL:-$TARGET}" $score_flags ${SHADOW_ARGS:-}
log "shadow-test: exit $code"

# 5. Promote: promote itself refuses (and audits the rejection) unless the report passed. The
# triggers are its --reason, so promotion.json and audit.jsonl say why the model changed.
# shellcheck disable=SC2086
step promote promote --candidate "$RUN/candidate" --shadow-report "$RUN/shadow-test.json" \
    --link --reason "$reason" ${NOTIFY_URL:+--notify "$NOTIFY_URL"} \
    ${NOTIFY_CA:+--notify-ca "$NOTIFY_CA"} ${PROMOTE_ARGS:-}
case "$code" in
    0|3)
        log "outcome: promoted $(sed -n 's/.*"to": *\([0-9]*\).*/version \1/p' "$RUN/promote.json" | head -n 1); reports in $RUN"
        finish promoted ;;
    *)
        log "outcome: challenger rejected; the live model stays; reports in $RUN"
        finish rejected ;;
esac
