# refit: `make demo` runs the main job on bundled fixtures, `make test` runs every test.
# Builds go to a target directory outside the clone so that CI and fresh clones on the same
# machine reuse an earlier build (Polars takes ~15-20 minutes to compile from scratch).

CARGO_TARGET_DIR ?= $(HOME)/.cache/refit-target
export CARGO_TARGET_DIR
REFIT := $(CARGO_TARGET_DIR)/debug/refit
# The image's binary: static, so the busybox runtime image needs no C library.
STATIC_TARGET := x86_64-unknown-linux-musl
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
IMAGE ?= refit:$(VERSION)

.PHONY: static static-debug static-setup image test-setup build test demo demo-churn demo-solar demo-fleet demo-fleet-weeks demo-recsys demo-anomaly demo-tour bench fmt lint setup interop-setup stress

setup:
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }

build: setup
	cargo build --locked

test: setup
	cargo test --locked
	sh scripts/interop.sh

# The static binary for the image: rustup's musl target and Debian's musl-tools (musl-gcc for
# the C parts: mimalloc, ring). A release build compiles Polars for ~20-40 minutes on 2 cores;
# CI builds the debug one (static-debug) for the container test.
static-setup: setup
	@rustup target list --installed 2>/dev/null | grep -qx $(STATIC_TARGET) || rustup target add $(STATIC_TARGET)
	@command -v musl-gcc >/dev/null || { echo "musl-gcc not found: apt-get install musl-tools"; exit 1; }

static: static-setup
	cargo build --locked --release --target $(STATIC_TARGET) --bin refit

static-debug: static-setup
	cargo build --locked --target $(STATIC_TARGET) --bin refit

# The runtime image (scripts/k8s/Dockerfile) around the static release binary:
# `make image IMAGE=registry.example.com/refit:0.1.0`, then push it.
image: static
	sh scripts/k8s/build-image.sh $(CARGO_TARGET_DIR)/$(STATIC_TARGET)/release/refit $(IMAGE)

# Chromium for the HTML screenshot test and promtool for the metrics and alert-rule tests
# (Debian's packages; skipped with a note without them, required in CI).
test-setup:
	sh scripts/test-setup.sh

# A venv with the pinned Python `forust`, so `make test` also proves that the GBM refit
# saves loads and scores identically on the serving side (skipped with a note without it).
interop-setup:
	sh scripts/interop-setup.sh

# The main job: the churn retrain loop, twice (bootstrap, then drift -> retrain -> shadow test
# -> promote or reject).
demo: demo-churn

demo-churn: build
	REFIT=$(REFIT) sh scripts/scenarios/churn.sh

# The other seed scenarios (scripts/scenarios/*.sh); demo-anomaly needs Python with pandas
# (`make interop-setup` provides one).
demo-solar demo-fleet demo-fleet-weeks demo-recsys demo-anomaly: demo-%: build
	REFIT=$(REFIT) sh scripts/scenarios/$*.sh

# Every subcommand once, with what its exit code means.
demo-tour: build
	REFIT=$(REFIT) sh scripts/tour.sh

# The registry's crash test with 1,000 SIGKILLs instead of the suite's 200.
stress: setup
	REFIT_STRESS_ITERATIONS=1000 cargo test --locked --test registry sigkill -- --nocapture

bench: setup
	sh scripts/bench.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --locked --all-targets -- -D warnings
