#!/bin/sh
# `make bench`: drift-check's wall time and peak memory as ratios to a bare Polars scan of the
# same Parquet columns, both measured here, now. Prints ratios, never fails on slowness.
#   BENCH_ROWS=5000000  rows per side (default 5,000,000 x 15 features)
#   BENCH_RUNS=3        repetitions; the best run of each counts
set -eu
ROWS="${BENCH_ROWS:-5000000}"
RUNS="${BENCH_RUNS:-3}"
TARGET="${CARGO_TARGET_DIR:-target}"
DATA="bench-data/$ROWS"

if [ ! -x /usr/bin/time ]; then
    echo "bench: installing GNU time (peak memory)" >&2
    apt-get install -y time >/dev/null 2>&1 || { echo "bench: need /usr/bin/time (Debian package 'time')" >&2; exit 1; }
fi

cargo build --release --locked --bin refit --example bench_gen --example bench_scan
REFIT="$TARGET/release/refit"
if [ ! -f "$DATA/current.parquet" ]; then
    "$TARGET/release/examples/bench_gen" "$DATA" "$ROWS"
fi

# best_of CMD...: prints "seconds peak_kib" of the fastest of $RUNS runs.
best_of() {
    best=""
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        /usr/bin/time -f "%e %M" -o /tmp/refit-bench-time "$@" >/dev/null 2>/tmp/refit-bench-err || {
            code=$?
            # drift-check exits 2 on drift: that is its verdict, not a failure of the run.
            [ "$code" -eq 2 ] || { cat /tmp/refit-bench-err >&2; exit 1; }
        }
        line=$(tail -n 1 /tmp/refit-bench-time)
        if [ -z "$best" ] || [ "$(echo "$line $best" | awk '{print ($1 < $3)}')" = 1 ]; then best="$line"; fi
        i=$((i + 1))
    done
    echo "$best"
}

decoded=$("$TARGET/release/examples/bench_scan" "$DATA/baseline.parquet" "$DATA/current.parquet")
scan=$(best_of "$TARGET/release/examples/bench_scan" "$DATA/baseline.parquet" "$DATA/current.parquet")
drift=$(best_of "$REFIT" drift-check --quiet --baseline "$DATA/baseline.parquet" --current "$DATA/current.parquet")

echo "$scan $drift $decoded $ROWS" | awk '{
    printf "bench: %d rows x 15 features per side, best of '"$RUNS"'\n", $6
    printf "  bare polars scan   %6.2f s  peak %7.0f MiB\n", $1, $2 / 1024
    printf "  refit drift-check  %6.2f s  peak %7.0f MiB\n", $3, $4 / 1024
    printf "  decoded columns    %16.0f MiB\n", $5 / 1048576
    printf "  time ratio   drift-check / scan    = %.2fx (target <= 1.5x)\n", $3 / $1
    printf "  memory ratio drift-check / decoded = %.2fx (target <= 2x)\n", ($4 * 1024) / $5
}'
