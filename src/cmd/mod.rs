//! One file per subcommand: its arguments and examples, and `run`, a recipe that reads the
//! inputs, calls the library and returns a typed [`crate::report::output::CommandReport`].

pub mod args;
pub mod drift_check;
pub mod fleet_diff;
pub mod notify;
pub mod predict;
pub mod profile;
pub mod promote;
pub mod registry;
pub mod report;
pub mod rollback;
pub mod runs;
pub mod score_proxy;
pub mod shadow;
pub mod staleness;
pub mod train_candidate;
pub mod validate;
