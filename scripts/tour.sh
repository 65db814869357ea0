#!/bin/sh
# `make demo-tour`: every subcommand of the retrain loop on bundled fixtures, branching on exit codes as a
# cron job would: profile the training data, drift-check a quiet day and a drifted one, judge the
# live churn model on outcomes that arrived 30 days later, diff the server fleet, then train a
# challenger with a time-based holdout, score today's customers with it, shadow-test it
# against the champion, promote it into a registry and roll back.
set -eu
REFIT="${REFIT:-refit}"
FIX="fixtures/drift"
OUT="out/demo"
mkdir -p "$OUT"

echo "== refit profile: baseline profile of the training data"
"$REFIT" profile --data "$FIX/baseline.parquet" --exclude customer_id --out "$OUT/profile.json"

# verdict TITLE ACTION CMD...: runs a step and says what its exit code means.
verdict() {
    title="$1"; action="$2"; shift 2
    echo
    echo "== $title"
    set +e
    "$@"
    code=$?
    set -e
    case "$code" in
        0) echo "-> exit 0: OK, nothing to do" ;;
        2) echo "-> exit 2: FAIL, $action" ;;
        3) echo "-> exit 3: WARN (only with --fail-on warn)" ;;
        *) echo "-> exit $code: error, no verdict"; exit "$code" ;;
    esac
}

for day in same drifted; do
    case "$day" in same) data="$FIX/current_same.parquet" ;; *) data="$FIX/current.parquet" ;; esac
    verdict "refit drift-check: $day" "a retrain loop would train a challenger now" \
        "$REFIT" drift-check --baseline "$OUT/profile.json" --current "$data" --exclude customer_id \
        --report "$OUT/drift-$day.json" --metrics-file "$OUT/drift-$day.prom"
done

SP="fixtures/score_proxy"
verdict "refit score-proxy: churn scores judged by activity 30 days later" "the live model has decayed" \
    "$REFIT" score-proxy --predictions "$SP/predictions.parquet" --outcomes "$SP/outcomes.parquet" \
    --on customer_id --score churn_score --label-rule "active_days_30d = 0" \
    --prediction-time predicted_at --outcome-time observed_at --horizon 30d --tolerance 2d \
    --model "$SP/model" --baseline-metrics "$SP/model/metadata.json" --max-drop 0.1 \
    --report "$OUT/score-proxy.json" --metrics-file "$OUT/score-proxy.prom"

FL="fixtures/fleet"
verdict "refit fleet-diff: servers seen today vs the model's vocabulary" "retrain to learn the new servers" \
    "$REFIT" fleet-diff --data "$FL/seed_telemetry.csv" --entity server_id --time timestamp \
    --model "$FL/model" --report "$OUT/fleet-diff.json" --metrics-file "$OUT/fleet-diff.prom"

TR="fixtures/train"
verdict "refit train-candidate: a GBM challenger, the latest 20% of days held out" "no model written" \
    "$REFIT" train-candidate --data "$TR/churn.parquet" --target churned --time event_time \
    --exclude spend,customer_id,device_id --entity device_id --id customer_id \
    --out "$OUT/candidate" --force --report "$OUT/train-candidate.json"

verdict "refit predict: today's customers, scored by the candidate" "" \
    "$REFIT" predict --model "$OUT/candidate" --data "$TR/today.parquet" --id customer_id \
    --out "$OUT/predictions.parquet" --report "$OUT/predict.json"

verdict "refit train-candidate: last month's champion, a linear model" "no model written" \
    "$REFIT" --quiet train-candidate --data "$TR/churn.parquet" --target churned --time event_time \
    --features tenure_months,monthly_usage,region --entity device_id --model linear \
    --out "$OUT/champion" --force

verdict "refit shadow-test: champion vs challenger on the latest 600 labelled rows" "keep the champion" \
    "$REFIT" shadow-test --champion "$OUT/champion" --challenger "$OUT/candidate" \
    --data "$TR/churn.parquet" --label churned --time event_time --last 600 --metric roc_auc \
    --report "$OUT/shadow-test.json" --metrics-file "$OUT/shadow-test.prom"

REG="$OUT/registry"
rm -rf "$REG"
verdict "refit promote: the champion bootstraps an empty registry" "" \
    "$REFIT" promote --registry "$REG" --candidate "$OUT/champion" --actor demo --link

verdict "refit promote: the challenger, on the strength of its shadow-test report" "promotion refused" \
    "$REFIT" promote --registry "$REG" --candidate "$OUT/candidate" --actor demo \
    --shadow-report "$OUT/shadow-test.json" --keep 5

verdict "refit rollback: back to the champion" "" "$REFIT" rollback --registry "$REG" --actor demo

verdict "refit registry list" "" "$REFIT" registry list --registry "$REG"

echo
echo "Reports: $OUT/*.json  Metrics: $OUT/*.prom  Profile: $OUT/profile.json  Model: $OUT/candidate"
