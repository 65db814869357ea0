#!/bin/sh
# The saved GBM must load in the Python package `forust` and score like `refit predict`.
# Run by `make test`: skipped with a note when the venv from `make interop-setup` (or a
# python3 with forust) is absent, unless REFIT_REQUIRE_INTEROP=1 (as .ci/run sets).
set -eu
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/refit-target}"
: "${REFIT_VENV:=$HOME/.cache/refit-venv}"
REFIT="${REFIT:-$CARGO_TARGET_DIR/debug/refit}"
PYTHON="$REFIT_VENV/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3

if ! "$PYTHON" -c "import forust, pandas, pyarrow" 2>/dev/null; then
    if [ "${REFIT_REQUIRE_INTEROP:-0}" = 1 ]; then
        echo "interop: forust is not importable by $PYTHON; run 'make interop-setup'" >&2
        exit 1
    fi
    echo "interop: SKIPPED (no Python with forust; 'make interop-setup' installs it)" >&2
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=fixtures/train/churn.parquet
"$REFIT" --quiet train-candidate --data "$data" --target churned --time event_time \
    --exclude spend,customer_id,device_id --out "$work/model"
"$REFIT" --quiet predict --model "$work/model" --data "$data" --out "$work/preds.parquet"
"$PYTHON" scripts/python/forust_interop.py "$work/model" "$data" "$work/preds.parquet"
