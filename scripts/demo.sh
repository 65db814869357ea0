#!/bin/sh
# `make demo`: profile the bundled training data, then run drift-check against a day that looks
# like training and a day that drifted, branching on exit codes as a cron job would.
set -eu
REFIT="${REFIT:-refit}"
FIX="fixtures/drift"
OUT="out/demo"
mkdir -p "$OUT"

echo "== refit profile: baseline profile of the training data"
"$REFIT" profile --data "$FIX/baseline.parquet" --exclude customer_id --out "$OUT/profile.json"

run_check() {
    name="$1"; current="$2"
    echo
    echo "== refit drift-check: $name"
    set +e
    "$REFIT" drift-check --baseline "$OUT/profile.json" --current "$current" \
        --exclude customer_id --report "$OUT/drift-$name.json" --metrics-file "$OUT/drift-$name.prom"
    code=$?
    set -e
    case "$code" in
        0) echo "-> exit 0: no drift, nothing to do" ;;
        2) echo "-> exit 2: drift FAIL, a retrain loop would train a challenger now" ;;
        3) echo "-> exit 3: WARN (only with --fail-on warn)" ;;
        *) echo "-> exit $code: error, no verdict"; exit "$code" ;;
    esac
}

run_check same-as-training "$FIX/current_same.parquet"
run_check drifted "$FIX/current.parquet"

echo
echo "Reports: $OUT/drift-*.json  Metrics: $OUT/drift-*.prom  Profile: $OUT/profile.json"
