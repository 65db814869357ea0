#!/bin/sh
# What `make test` can use beyond cargo, installed when absent and possible: Debian's
# chromium for the HTML-report screenshot test (skipped with a note without it). Never fails:
# a machine that cannot install it still runs every other test.
set -u
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-setup: installing Debian's chromium for the screenshot test" >&2
        { apt-get install -y --no-install-recommends chromium || \
          { apt-get update && apt-get install -y --no-install-recommends chromium; }; } >/dev/null 2>&1 \
          || echo "test-setup: could not install chromium; the screenshot test will be skipped" >&2
    else
        echo "test-setup: no chromium and no root to install it; the screenshot test will be skipped" >&2
    fi
fi
exit 0
