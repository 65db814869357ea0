#!/bin/sh
# Creates the venv the interop check uses, with the pinned forust from PyPI.
set -eu
cd "$(dirname "$0")/.."
: "${REFIT_VENV:=$HOME/.cache/refit-venv}"
if [ ! -x "$REFIT_VENV/bin/python" ]; then
    python3 -m venv "$REFIT_VENV"
fi
"$REFIT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --retries 5 \
    -r scripts/python/interop-requirements.txt
