# Shared by the scenario scripts: a fresh output folder and `loop`, which runs
# scripts/retrain.sh with the scenario's environment and says what its exit code means.
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

scenario_end() {
    echo
    "$REFIT" registry list
    last_run=$(ls -1d "$RUNS_DIR"/*/ | tail -n 1)
    "$REFIT" --quiet report "$last_run" --out "$OUT/last-run.html"
    echo
    echo "Registry: $REFIT_REGISTRY  Runs: $RUNS_DIR  Metrics: $METRICS_DIR"
    echo "The last run as one page: $OUT/last-run.html"
}
