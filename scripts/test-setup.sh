#!/bin/sh
# What `make test` can use beyond cargo, installed when absent and possible (as root, with
# Debian's apt): chromium for the HTML-report screenshot test, promtool (Debian's prometheus
# package) for the alert-rule checks, busybox for the deployment scripts under the image's
# shell and as crond, node_exporter and the Pushgateway for the metrics, docker.io for
# building and running the image (tests start their own daemons, not the packages'
# services), musl-tools and rustup's musl target for the image's static binary, and a venv
# with kubernetes-validate and croniter for the manifest checks, moto for the S3 tests and
# pyspark (with Java 17) for the Spark profile test. Tests
# without them are skipped with a note, unless CI requires them (.ci/run sets
# REFIT_REQUIRE_PROMTOOL=1 and REFIT_REQUIRE_DAEMONS=1). Never fails: a machine that cannot
# install them still runs every other test.
set -u
cd "$(dirname "$0")/.." || exit 0

# ensure PACKAGE COMMAND WHAT: apt-get install PACKAGE unless COMMAND is on PATH.
ensure() {
    command -v "$2" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-setup: installing Debian's $1 for $3" >&2
        { apt-get install -y --no-install-recommends "$1" || \
          { apt-get update && apt-get install -y --no-install-recommends "$1"; }; } >/dev/null 2>&1 \
          || echo "test-setup: could not install $1; $3 will be skipped" >&2
    else
        echo "test-setup: no $2 and no root/apt-get to install $1; $3 will be skipped" >&2
    fi
}

ensure chromium chromium "the screenshot test"
# The package also ships the Prometheus server and its service; only promtool is used.
ensure prometheus promtool "the alert-rule tests (promtool check/test rules)"
ensure busybox-static busybox "the busybox sh runs of the deployment scripts and the crond test"
ensure prometheus-node-exporter prometheus-node-exporter "the node_exporter textfile test"
ensure prometheus-pushgateway prometheus-pushgateway "the Pushgateway tests"
# The container test starts its own dockerd (own data root and socket, no network).
ensure docker.io dockerd "the image and CronJob container test"
# The static build the container test puts in the image: musl-gcc for the C parts (mimalloc,
# ring) and rustup's musl target.
ensure musl-tools musl-gcc "the static build for the image test"
# Java for local-mode PySpark (the Spark profile test).
ensure openjdk-17-jre-headless java "the Spark profile test"
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
    echo "test-setup: adding rustup's x86_64-unknown-linux-musl target" >&2
    rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1 \
        || echo "test-setup: could not add the musl target; the image test will be skipped" >&2
fi
# The manifest checks' Python packages (kubernetes-validate bundles the schemas: offline).
DEPLOY_VENV="${REFIT_DEPLOY_VENV:-$HOME/.cache/refit-deploy-venv}"
if ! "$DEPLOY_VENV/bin/python" -c "import kubernetes_validate, croniter, moto, boto3, flask, pyspark" 2>/dev/null; then
    echo "test-setup: installing kubernetes-validate, croniter, moto and pyspark into $DEPLOY_VENV" >&2
    { python3 -m venv "$DEPLOY_VENV" && "$DEPLOY_VENV/bin/python" -m pip install --quiet \
        --disable-pip-version-check --retries 5 -r scripts/python/deploy-requirements.txt; } \
        >/dev/null 2>&1 || echo "test-setup: could not install them; the manifest, S3 and Spark tests will be skipped" >&2
fi
exit 0
