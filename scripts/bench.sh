#!/bin/sh
# `make bench`: each command's wall time and peak memory as ratios to a bare Polars scan of the
# same Parquet files, both measured here, now. Prints ratios; never fails because of slowness.
#   BENCH_ROWS=5000000      rows per side for drift-check and score-proxy
#   BENCH_ENTITIES=50000    fleet-diff entities (x BENCH_ROWS_PER_ENTITY=100 rows each)
#   BENCH_RUNS=3            repetitions; the fastest run of each counts
#   BENCH_TRAIN_ROWS=1000000  train-candidate rows (vs LightGBM defaults, when installable)
#   BENCH_SCALE_ROWS=50000000  rows per side for the scale run (10 shards a side; 0 skips it)
#   BENCH_FANOUT_SHARDS=16 BENCH_FANOUT_ROWS=5000000  the fan-out run: that many partitions of
#                           that many rows, profiled by parallel processes and merged, next to
#                           one process over all of them (0 shards skips it; ~100 MB per 1M rows)
#   BENCH_FANOUT_PARALLEL=N  processes at a time (default: the cores, as pods would be)
#   BENCH_ONLY=drift|scale|fanout|proxy|fleet|train|shadow|registry  run one benchmark
set -eu
ROWS="${BENCH_ROWS:-5000000}"
ENTITIES="${BENCH_ENTITIES:-50000}"
PER_ENTITY="${BENCH_ROWS_PER_ENTITY:-100}"
RUNS="${BENCH_RUNS:-3}"
ONLY="${BENCH_ONLY:-}"
SCALE_ROWS="${BENCH_SCALE_ROWS:-50000000}"
TARGET="${CARGO_TARGET_DIR:-target}"

if [ ! -x /usr/bin/time ]; then
    echo "bench: installing GNU time (peak memory)" >&2
    apt-get install -y time >/dev/null 2>&1 || { echo "bench: need /usr/bin/time (Debian package 'time')" >&2; exit 1; }
fi

cargo build --release --locked --bin refit --example bench_gen --example bench_scan
REFIT="$TARGET/release/refit"
GEN="$TARGET/release/examples/bench_gen"
SCAN="$TARGET/release/examples/bench_scan"
TMP="${TMPDIR:-/tmp}/refit-bench.$$"
trap 'rm -rf "$TMP".*' EXIT

# best_of CMD...: prints "seconds peak_kib" of the fastest of $RUNS runs.
best_of() {
    best_of_n "$RUNS" "$@"
}

# best_of_n N CMD...: the same over N runs.
best_of_n() {
    n="$1"
    shift
    best=""
    i=0
    while [ "$i" -lt "$n" ]; do
        code=0
        /usr/bin/time -f "%e %M" -o "$TMP.time" "$@" >/dev/null 2>"$TMP.err" || code=$?
        # Exit 2 and 3 are verdicts (FAIL, WARN), not failures of the run.
        case "$code" in 0|2|3) ;; *) cat "$TMP.err" >&2; exit 1 ;; esac
        line=$(tail -n 1 "$TMP.time")
        if [ -z "$best" ] || [ "$(echo "$line $best" | awk '{print ($1 < $3)}')" = 1 ]; then best="$line"; fi
        i=$((i + 1))
    done
    echo "$best"
}

# The Python a user would otherwise run (scripts/python/peer_bench.py), in a venv of its own
# from PyPI; skipped with a note when it cannot be installed.
PEER_VENV="${REFIT_BENCH_VENV:-$HOME/.cache/refit-bench-venv}"
ensure_peer_venv() {
    if [ ! -x "$PEER_VENV/bin/python" ] || ! "$PEER_VENV/bin/python" -c "import lightgbm, scipy, sklearn, polars" 2>/dev/null; then
        { python3 -m venv "$PEER_VENV" && "$PEER_VENV/bin/python" -m pip install --quiet \
            --disable-pip-version-check lightgbm==4.6.0 pandas pyarrow scikit-learn scipy polars; } >/dev/null 2>&1 || true
    fi
}

# peers JOB LEFT RIGHT REFIT_SECONDS: each peer's time on the same files, and refit's speed-up.
peers() {
    ensure_peer_venv
    if ! "$PEER_VENV/bin/python" -c "import pyarrow, numpy" 2>/dev/null; then
        echo "  Python peers: SKIPPED (could not install them into $PEER_VENV)"
        return 0
    fi
    "$PEER_VENV/bin/python" scripts/python/peer_bench.py "$1" "$2" "$3" 2>/dev/null | awk -v refit="$4" '{
        if ($2 == "SKIPPED") printf "  %-26s SKIPPED (%s not installed)\n", $1, $3
        else printf "  %-26s %7.2f s   refit is %.1fx faster\n", $1, $2, $2 / refit
    }'
}

# compare NAME TARGET_RATIO "SCAN FILES" REFIT ARGS...
compare() {
    name="$1"; target="$2"; files="$3"; shift 3
    # shellcheck disable=SC2086 # the file list is split on purpose
    decoded=$("$SCAN" $files)
    # shellcheck disable=SC2086
    scan=$(best_of "$SCAN" $files)
    run=$(best_of "$REFIT" "$@" --quiet)
    echo "$scan $run $decoded" | awk -v name="$name" -v target="$target" -v runs="$RUNS" '{
        printf "%s (best of %d)\n", name, runs
        printf "  bare polars scan  %7.2f s  peak %7.0f MiB   (decoded columns %.0f MiB)\n", $1, $2 / 1024, $5 / 1048576
        printf "  refit             %7.2f s  peak %7.0f MiB\n", $3, $4 / 1024
        printf "  time ratio   refit / scan    = %.2fx (target <= %sx)\n", $3 / $1, target
        printf "  memory ratio refit / decoded = %.2fx\n", ($4 * 1024) / $5
    }'
}

if [ -z "$ONLY" ] || [ "$ONLY" = drift ]; then
    D="bench-data/drift-$ROWS"
    [ -f "$D/current.parquet" ] || "$GEN" drift "$D" "$ROWS"
    compare "drift-check: $ROWS rows x 15 features per side (memory target <= 2x decoded)" 1.5 \
        "$D/baseline.parquet $D/current.parquet" \
        drift-check --baseline "$D/baseline.parquet" --current "$D/current.parquet"
    peers drift "$D/baseline.parquet" "$D/current.parquet" "${run%% *}"
fi
if { [ -z "$ONLY" ] || [ "$ONLY" = scale ]; } && [ "$SCALE_ROWS" != 0 ]; then
    # Each feature is decoded on its own: peak memory should follow what one feature needs
    # (per worker thread), and time should grow linearly with rows. One run at each size.
    echo "scale: drift-check and profile at $ROWS and $SCALE_ROWS rows per side (one run each)"
    D="bench-data/drift-$ROWS"
    [ -f "$D/current.parquet" ] || "$GEN" drift "$D" "$ROWS"
    L="bench-data/drift-$SCALE_ROWS"
    [ -f "$L/current/part-009.parquet" ] || "$GEN" drift "$L" "$SCALE_ROWS" 10
    for size in small large; do
        if [ "$size" = small ]; then
            rows="$ROWS"; base="$D/baseline.parquet"; cur="$D/current.parquet"
        else
            rows="$SCALE_ROWS"; base="$L/baseline/*.parquet"; cur="$L/current/*.parquet"
        fi
        # One numeric feature of both sides, decoded: the unit the memory bound is about.
        feature=$((rows * 8 * 2))
        # shellcheck disable=SC2086 # the scan takes the shards as files: globs expand here
        # Two scans, the first warming the page cache for everything after it.
        scan=$(best_of_n 2 "$SCAN" $base $cur)
        drift=$(best_of_n 1 "$REFIT" drift-check --baseline "$base" --current "$cur" --quiet)
        prof=$(best_of_n 1 "$REFIT" profile --data "$base" --out "$TMP.profile.json" --quiet)
        echo "$rows $feature $scan $drift $prof" | awk '{
            m = $1 / 1e6; f = $2 / 1048576
            printf "  %dM rows  scan %6.2f s  drift-check %6.2f s (%.3f s per 1M rows, %.2fx scan) peak %5.0f MiB (%.1fx one feature)\n", m, $3, $5, $5 / m, $5 / $3, $6 / 1024, $6 / 1024 / f
            printf "  %dM rows                 profile     %6.2f s (%.3f s per 1M rows)              peak %5.0f MiB (%.1fx one feature)\n", m, $7, $7 / m, $8 / 1024, $8 / 1024 / f
        }'
    done
fi
FANOUT_SHARDS="${BENCH_FANOUT_SHARDS:-16}"
if { [ -z "$ONLY" ] || [ "$ONLY" = fanout ]; } && [ "$FANOUT_SHARDS" != 0 ]; then
    # issue 20: profiles as the unit of distributed work. Each partition is profiled against
    # the baseline's bins by its own process (a pod of an Indexed Job), the profiles are
    # merged; one process over every partition is the comparison. Peak memory is per process.
    FANOUT_ROWS="${BENCH_FANOUT_ROWS:-5000000}"
    PARALLEL="${BENCH_FANOUT_PARALLEL:-$(nproc)}"
    total=$((FANOUT_SHARDS * FANOUT_ROWS))
    F="bench-data/fanout-$FANOUT_SHARDS-$FANOUT_ROWS"
    last=$(printf '%s/part-%03d.parquet' "$F" $((FANOUT_SHARDS - 1)))
    [ -f "$last" ] || "$GEN" partitions "$F" "$total" "$FANOUT_SHARDS"
    D="bench-data/drift-$ROWS"
    [ -f "$D/baseline.parquet" ] || "$GEN" drift "$D" "$ROWS"
    echo "fanout: $FANOUT_SHARDS partitions x $FANOUT_ROWS rows x 15 features, $PARALLEL processes at a time, vs one process over $total rows"
    "$REFIT" --quiet profile --data "$D/baseline.parquet" --out "$TMP.base.json"
    mkdir -p "$TMP.parts"
    # shellcheck disable=SC2086 # the scan takes the partitions as files
    scan=$(best_of_n 2 "$SCAN" $F/part-*.parquet)
    start=$(date +%s.%N)
    seq 0 $((FANOUT_SHARDS - 1)) | xargs -P "$PARALLEL" -I{} sh -c '
        part=$(printf "%03d" "{}")
        /usr/bin/time -f "%e %M" -o "$3/part-$part.time" "$1" --quiet profile \
            --data "$2/part-$part.parquet" --edges-from "$4" --out "$3/part-$part.json"
    ' sh "$REFIT" "$F" "$TMP.parts" "$TMP.base.json"
    profiled=$(date +%s.%N)
    merge=$(best_of_n 1 "$REFIT" --quiet profile merge "$TMP.parts"/part-*.json --out "$TMP.merged.json")
    finish=$(date +%s.%N)
    single=$(best_of_n 1 "$REFIT" --quiet profile --data "$F/part-*.parquet" --edges-from "$TMP.base.json" --out "$TMP.single.json")
    peak=$(cat "$TMP.parts"/part-*.time | awk '$2 > m { m = $2 } END { print m }')
    cpu=$(cat "$TMP.parts"/part-*.time | awk '{ s += $1 } END { print s }')
    same=$(python3 -c 'import json, sys
def counts(path):
    p = json.load(open(path))
    return p["rows"], [{k: v for k, v in f.items() if k != "sketch"} for f in p["features"]]
print("equal" if counts(sys.argv[1]) == counts(sys.argv[2]) else "DIFFERENT")' "$TMP.merged.json" "$TMP.single.json")
    # Fields: 1 start, 2 profiled, 3 finished, 4-5 merge s/KiB, 6-7 single s/KiB, 8 peak KiB per
    # process, 9 process seconds, 10-11 scan s/KiB.
    echo "$start $profiled $finish $merge $single $peak $cpu $scan" | awk '{
        printf "  parallel: %6.2f s wall (profiles %.2f s + merge %.2f s), peak %5.0f MiB per process, %.1f s of process time\n", $3 - $1, $2 - $1, $4, $8 / 1024, $9
        printf "  single:   %6.2f s wall, peak %5.0f MiB (a scan of every partition: %.2f s)\n", $6, $7 / 1024, $10
        printf "  parallel/single: %.2fx time, %.2fx peak memory per process\n", ($3 - $1) / $6, $8 / $7
    }'
    echo "  merged profile vs one process: counts $same"
    # The same partitions as a baseline too large for one process: two passes (each part on its
    # own bins, `profile edges`, each part on the shared edges, merge). How far each cut is from
    # its quantile comes from the merged counts (exact), next to the bound edges.json states.
    rm -rf "$TMP.parts" "$TMP.pass1" "$TMP.pass2"
    mkdir -p "$TMP.pass1" "$TMP.pass2"
    start=$(date +%s.%N)
    for pass in 1 2; do
        seq 0 $((FANOUT_SHARDS - 1)) | xargs -P "$PARALLEL" -I{} sh -c '
            part=$(printf "%03d" "{}")
            edges=""
            [ "$4" = 2 ] && edges="--edges-from $3.edges.json"
            # shellcheck disable=SC2086 # no edges in pass one
            /usr/bin/time -f "%e %M" -o "$3.pass$4/part-$part.time" "$1" --quiet profile \
                --data "$2/part-$part.parquet" $edges --out "$3.pass$4/part-$part.json"
        ' sh "$REFIT" "$F" "$TMP" "$pass"
        [ "$pass" = 1 ] && "$REFIT" --quiet profile edges "$TMP.pass1"/part-*.json --out "$TMP.edges.json"
    done
    "$REFIT" --quiet profile merge "$TMP.pass2"/part-*.json --out "$TMP.twopass.json"
    finish=$(date +%s.%N)
    peak=$(cat "$TMP.pass1"/part-*.time "$TMP.pass2"/part-*.time | awk '$2 > m { m = $2 } END { print m }')
    python3 -c 'import json, sys
profile, edges = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bounds = {f["name"]: f["max_rank_error"] for f in edges["features"] if f["kind"] == "numeric"}
worst, bound, rows = 0, 0, 0
for f in profile["features"]:
    if f["kind"] != "numeric" or len(f["counts"]) < 2:
        continue
    n, below = sum(f["counts"]), 0
    for k, count in enumerate(f["counts"][:-1]):
        below += count
        worst = max(worst, abs(below - (n - 1) * (k + 1) / profile["buckets"]))
    bound, rows = max(bound, bounds[f["name"]]), n
print(f"  two-pass baseline: {float(sys.argv[3]):6.2f} s wall, peak {int(sys.argv[4]) / 1024:5.0f} MiB per process; "
      f"cuts within {worst:.0f} rows of their quantiles ({100 * worst / rows:.3f}%), stated bound {bound} ({100 * bound / rows:.3f}%)")
' "$TMP.twopass.json" "$TMP.edges.json" "$(echo "$start $finish" | awk '{ print $2 - $1 }')" "$peak"
    rm -rf "$TMP.pass1" "$TMP.pass2"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = proxy ]; then
    P="bench-data/proxy-$ROWS"
    [ -f "$P/outcomes.parquet" ] || "$GEN" proxy "$P" "$ROWS"
    compare "score-proxy: $ROWS predictions joined at a 30-day horizon" 2 \
        "$P/predictions.parquet $P/outcomes.parquet" \
        score-proxy --predictions "$P/predictions.parquet" --outcomes "$P/outcomes.parquet" \
        --on customer_id --score churn_score --label churned \
        --prediction-time predicted_at --outcome-time observed_at --horizon 30d
    peers proxy "$P/predictions.parquet" "$P/outcomes.parquet" "${run%% *}"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = fleet ]; then
    F="bench-data/fleet-$ENTITIES-$PER_ENTITY"
    [ -f "$F/telemetry.parquet" ] || "$GEN" fleet "$F" "$ENTITIES" "$PER_ENTITY"
    compare "fleet-diff: $ENTITIES entities x $PER_ENTITY rows" 2 \
        "$F/telemetry.parquet" \
        fleet-diff --data "$F/telemetry.parquet" --entity server_id --time timestamp --vocabulary "$F/vocabulary.json"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = train ]; then
    TROWS="${BENCH_TRAIN_ROWS:-1000000}"
    T="bench-data/train-$TROWS"
    [ -f "$T/train.parquet" ] || "$GEN" train "$T" "$TROWS"
    echo "train-candidate: $TROWS rows x 20 features (17 numeric, 3 categorical), 80/20 time split"
    best=""
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        rm -rf "$TMP.model"
        /usr/bin/time -f "%e %M" -o "$TMP.time" "$REFIT" --quiet --format json --report "$TMP.report" \
            train-candidate --data "$T/train.parquet" --target churned --time day --out "$TMP.model" \
            --min-rows 0 >/dev/null
        line="$(tail -n 1 "$TMP.time") $(sed -n 's/.*"roc_auc": \([0-9.]*\).*/\1/p' "$TMP.report" | head -n 1)"
        if [ -z "$best" ] || [ "$(echo "$line $best" | awk '{print ($1 < $4)}')" = 1 ]; then best="$line"; fi
        i=$((i + 1))
    done
    rm -rf "$TMP.model"
    echo "$best" | awk '{ printf "  refit (forust gbm, 100 rounds)  %7.2f s  peak %6.0f MiB  holdout ROC-AUC %s\n", $1, $2 / 1024, $3 }'
    # LightGBM defaults from PyPI in a venv of its own; skipped with a note when unavailable.
    ensure_peer_venv
    LGB_VENV="$PEER_VENV"
    if "$LGB_VENV/bin/python" -c "import lightgbm" 2>/dev/null; then
        lgb=$("$LGB_VENV/bin/python" scripts/python/lightgbm_bench.py "$T/train.parquet")
        echo "$best $lgb" | awk '{
            printf "  LightGBM defaults (Python)      %7.2f s                  holdout ROC-AUC %s\n", $4, $5
            printf "  time ratio refit / LightGBM = %.2fx (target <= 1.5x); ROC-AUC gap = %+.4f (target within 0.005)\n", $1 / $4, $3 - $5
        }'
    else
        echo "  LightGBM: SKIPPED (could not install lightgbm from PyPI into $LGB_VENV)"
    fi
fi
if [ -z "$ONLY" ] || [ "$ONLY" = shadow ]; then
    TROWS="${BENCH_TRAIN_ROWS:-1000000}"
    T="bench-data/train-$TROWS"
    [ -f "$T/train.parquet" ] || "$GEN" train "$T" "$TROWS"
    S="bench-data/shadow-$TROWS"
    if [ ! -f "$S/challenger/metadata.json" ]; then
        mkdir -p "$S"
        "$REFIT" --quiet train-candidate --data "$T/train.parquet" --target churned --time day \
            --out "$S/challenger" --force --iterations 50
        "$REFIT" --quiet train-candidate --data "$T/train.parquet" --target churned --time day \
            --out "$S/champion" --force --model linear
    fi
    # Scoring alone: both models' predict over the same rows (run one after the other).
    p1=$(best_of "$REFIT" predict --model "$S/champion" --data "$T/train.parquet" --out "$TMP.p1.parquet")
    p2=$(best_of "$REFIT" predict --model "$S/challenger" --data "$T/train.parquet" --out "$TMP.p2.parquet")
    run=$(best_of "$REFIT" shadow-test --champion "$S/champion" --challenger "$S/challenger" \
        --data "$T/train.parquet" --label churned --bootstrap 1000)
    echo "$p1 $p2 $run" | awk -v rows="$TROWS" -v runs="$RUNS" '{
        printf "shadow-test: %d rows, two models, 1000 paired bootstrap resamples of pr_auc (best of %d)\n", rows, runs
        printf "  predict champion + challenger  %7.2f s\n", $1 + $3
        printf "  shadow-test                    %7.2f s  peak %6.0f MiB\n", $5, $6 / 1024
        printf "  time ratio shadow-test / scoring alone = %.2fx (target <= 3x)\n", $5 / ($1 + $3)
    }'
fi
if [ -z "$ONLY" ] || [ "$ONLY" = registry ]; then
    # promote and rollback with 1,000 versions already in the registry (built once, reused).
    R="bench-data/registry-1000"
    C="bench-data/registry-candidate"
    if [ ! -d "$C" ]; then
        "$REFIT" --quiet train-candidate --data fixtures/train/churn.parquet --target churned \
            --time event_time --exclude spend,customer_id,device_id --model linear --out "$C"
    fi
    if [ ! -f "$R/current.json" ] || [ "$(ls "$R/versions" | wc -l)" -lt 1000 ]; then
        rm -rf "$R"
        i=0
        while [ "$i" -lt 1000 ]; do
            "$REFIT" --quiet promote --registry "$R" --candidate "$C" --force --reason bench
            i=$((i + 1))
        done
    fi
    promote=$(best_of "$REFIT" promote --registry "$R" --candidate "$C" --force --reason bench --keep 1000)
    rollback=$(best_of "$REFIT" rollback --registry "$R")
    echo "$promote $rollback" | awk -v runs="$RUNS" '{
        printf "registry: 1,000 versions (best of %d)\n", runs
        printf "  promote (copy, pointer swap, audit, prune)  %5.0f ms (target < 50 ms)\n", $1 * 1000
        printf "  rollback                                    %5.0f ms (target < 50 ms)\n", $3 * 1000
    }'
fi
