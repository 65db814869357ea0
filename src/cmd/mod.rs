//! One file per subcommand: read inputs, call the library, write the report.

pub mod drift_check;
pub mod fleet_diff;
pub mod predict;
pub mod profile;
pub mod promote;
pub mod registry;
pub mod report;
pub mod score_proxy;
pub mod shadow_test;
pub mod train_candidate;
