#!/bin/sh
# The daily drift check (seed 004: daily at 01:00): today's batch against the live model's
# profile.json, a dated report per day (UTC) with the newest KEEP_REPORTS kept, and a
# Prometheus textfile. POSIX sh: it runs under busybox sh in the image.
#
# Configuration is environment variables, so crontab lines and Kubernetes CronJobs set them:
#   REFIT_REGISTRY   registry directory (required); the live version is read from current.json
#   CURRENT_DATA     the batch to check: a file or a quoted glob of shards (required)
#   DRIFT_ARGS       extra drift-check flags (e.g. "--exclude customer_id", "--fail-on warn")
#   REPORTS_DIR      where drift-check-YYYY-MM-DD.json reports go (default: reports)
#   KEEP_REPORTS     dated reports kept, newest first (default: 30)
#   METRICS_DIR      node_exporter textfile-collector directory for refit_drift_daily.prom
#                    (default: REPORTS_DIR)
#   METRICS_JOB      the refit_job label on its samples (default: drift_daily), which keeps
#                    them apart from the retrain loop's drift-check series
#   PUSHGATEWAY      also push the metrics to this Prometheus Pushgateway URL (group
#                    job=METRICS_JOB): for Kubernetes, where no node_exporter reads the volume
#   REFIT            the refit binary (default: refit on PATH)
#
# Exit codes are drift-check's: 0 OK, 1 error (also a missing setting or no live model),
# 2 drift FAIL, 3 WARN when DRIFT_ARGS has --fail-on warn.
set -eu

fail() {
    echo "drift-daily: $*" >&2
    exit 1
}

# Not ${VAR:?}: dash and busybox sh exit 2 on it, which reads as drift FAIL.
[ -n "${REFIT_REGISTRY:-}" ] || fail "set REFIT_REGISTRY to the registry directory"
[ -n "${CURRENT_DATA:-}" ] || fail "set CURRENT_DATA to today's batch (a file or a quoted glob)"
REFIT="${REFIT:-refit}"
REPORTS_DIR="${REPORTS_DIR:-reports}"
METRICS_DIR="${METRICS_DIR:-$REPORTS_DIR}"
KEEP_REPORTS="${KEEP_REPORTS:-30}"
METRICS_JOB="${METRICS_JOB:-drift_daily}"
case "$KEEP_REPORTS" in
    '' | *[!0-9]* | 0) fail "KEEP_REPORTS must be a whole number of at least 1, not '$KEEP_REPORTS'" ;;
esac

# The live version's own directory, not the optional `latest` link (promote --link).
pointer="$REFIT_REGISTRY/current.json"
[ -f "$pointer" ] || fail "no live model: $pointer does not exist (promote a model first)"
version_dir=$(sed -n 's/.*"path"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$pointer" | head -n 1)
printf '%s\n' "$version_dir" | grep -Eq '^versions/v[0-9]{6,}$' \
    || fail "$pointer: \"path\" is '$version_dir', not versions/vNNNNNN"
baseline="$REFIT_REGISTRY/$version_dir/profile.json"

mkdir -p "$REPORTS_DIR" "$METRICS_DIR"
day=$(date -u +%Y-%m-%d)
report="$REPORTS_DIR/drift-check-$day.json"

code=0
# shellcheck disable=SC2086 # word splitting of DRIFT_ARGS is intended
"$REFIT" drift-check --baseline "$baseline" --current "$CURRENT_DATA" \
    --report "$report" --metrics-file "$METRICS_DIR/refit_drift_daily.prom" \
    --metrics-job "$METRICS_JOB" ${PUSHGATEWAY:+--pushgateway "$PUSHGATEWAY"} ${DRIFT_ARGS:-} || code=$?
echo "drift-daily: drift-check exit $code; baseline $baseline; report $report" >&2

# Retention: the names sort by date, so all but the last KEEP_REPORTS go.
set -- "$REPORTS_DIR"/drift-check-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].json
if [ -e "$1" ] && [ "$#" -gt "$KEEP_REPORTS" ]; then
    excess=$(($# - KEEP_REPORTS))
    while [ "$excess" -gt 0 ]; do
        rm -f -- "$1"
        shift
        excess=$((excess - 1))
    done
fi
exit "$code"
