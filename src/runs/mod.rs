//! The retrain loop's run ledger (`DIR/runs.jsonl` in the registry): one record per loop run,
//! assembled from the JSON reports its steps left in the run folder, appended crash-safe, and
//! the loop's Prometheus metrics derived from the whole ledger, so counters survive restarts
//! and never go backwards.

pub mod figures;
pub mod ledger;
pub mod metrics;
pub mod record;
pub mod render;
pub mod staleness;

pub use record::{RunOutcome, RunRecord, StepSummary};
