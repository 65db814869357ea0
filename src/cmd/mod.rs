//! One file per subcommand: read inputs, call the library, write the report.

pub mod drift_check;
pub mod fleet_diff;
pub mod profile;
pub mod score_proxy;
