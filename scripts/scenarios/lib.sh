# Shared by the scenario scripts: a fresh output folder, `loop`, which runs scripts/retrain.sh
# (executed directly, as cron and the image do) with the scenario's environment and says what
# its exit code means, and `day`, which names the simulated day a loop run belongs to.
# Sourced after `cd` to the repository root; OUT defaults to out/<scenario>.
scenario_setup() {
    OUT="${OUT:-out/$1}"
    rm -rf "$OUT"
    mkdir -p "$OUT/metrics"
    export REFIT="${REFIT:-refit}"
    export REFIT_REGISTRY="$OUT/registry"
    export RUNS_DIR="$OUT/runs"
    export METRICS_DIR="$OUT/metrics"
}

# day N TEXT: a heading; REFIT_NOW (the clock staleness measures model age with) moves to N-1
# days after the first run, so model-age triggers fire without waiting weeks.
day() {
    REFIT_NOW=$(date -u -d "@$(( $(date -u +%s) + ($1 - 1) * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
    export REFIT_NOW
    echo
    echo "== day $1: $2"
}

loop() {
    code=0
    scripts/retrain.sh || code=$?
    case "$code" in
        0) echo "== loop exit 0: nothing to do" ;;
        2) echo "== loop exit 2: challenger rejected, the live model stays" ;;
        4) echo "== loop exit 4: insufficient data, nothing trained (alerting)" ;;
        10) echo "== loop exit 10: challenger promoted" ;;
        *) echo "== loop exit $code: error"; exit "$code" ;;
    esac
}

scenario_end() {
    echo
    "$REFIT" runs list
    echo
    "$REFIT" registry list
    last_run=$(find "$RUNS_DIR" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort | tail -n 1)
    "$REFIT" --quiet report "$last_run" --registry "$REFIT_REGISTRY" --out "$OUT/last-run.html"
    echo
    echo "Registry: $REFIT_REGISTRY  Runs: $RUNS_DIR  Metrics: $METRICS_DIR"
    echo "The last run and the loop's timeline as one page: $OUT/last-run.html"
}
