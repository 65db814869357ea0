# refit: `make demo` runs the main job on bundled fixtures, `make test` runs every test.
# Builds go to a target directory outside the clone so that CI and fresh clones on the same
# machine reuse an earlier build (Polars takes ~15-20 minutes to compile from scratch).

CARGO_TARGET_DIR ?= $(HOME)/.cache/refit-target
export CARGO_TARGET_DIR
REFIT := $(CARGO_TARGET_DIR)/debug/refit

.PHONY: test-setup build test demo demo-churn demo-solar demo-fleet demo-fleet-weeks demo-recsys demo-anomaly demo-tour bench fmt lint setup interop-setup stress

setup:
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }

build: setup
	cargo build --locked

test: setup
	cargo test --locked
	sh scripts/interop.sh

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
