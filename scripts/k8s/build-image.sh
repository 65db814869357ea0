#!/bin/sh
# build-image.sh BINARY TAG [DOCKER-BUILD-ARGS...]: builds the runtime image from
# scripts/k8s/Dockerfile with BINARY as /usr/local/bin/refit (`make image` passes the static
# musl release build). The build context is a fresh directory holding only the three files,
# each 0755, so a checkout or tarball that lost the scripts' modes still gives a CronJob
# executable scripts, and nothing else of the repository is sent to the daemon.
# DOCKER (default docker) and DOCKER_HOST choose the client and the daemon.
set -eu
[ "$#" -ge 2 ] || { echo "usage: $0 BINARY TAG [DOCKER-BUILD-ARGS...]" >&2; exit 1; }
binary=$1
tag=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$binary" ] || { echo "build-image.sh: $binary: no such file (run make static)" >&2; exit 1; }
# busybox has no glibc: a dynamically linked binary would fail in the image with "not found".
if ldd "$binary" 2>/dev/null | grep -q '=>'; then
    echo "build-image.sh: $binary is dynamically linked; build it for x86_64-unknown-linux-musl (make static)" >&2
    exit 1
fi
context=$(mktemp -d "${TMPDIR:-/tmp}/refit-image.XXXXXX")
trap 'rm -rf "$context"' EXIT INT TERM
install -m 0755 "$binary" "$context/refit"
install -m 0755 "$root/scripts/retrain.sh" "$root/scripts/drift-daily.sh" "$context/"
install -m 0644 "$root/scripts/k8s/Dockerfile" "$context/Dockerfile"
"${DOCKER:-docker}" build "$@" -t "$tag" "$context"
