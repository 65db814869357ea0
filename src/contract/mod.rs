//! Data contracts (`refit validate`, seed 001's validation phase): the columns a table must
//! have, their types, null shares, ranges and domains, its row count, key, freshness and
//! per-entity minimums (history, rows, gaps). [`infer`] writes a contract from a baseline,
//! [`check`] finds the violations of a table's facts ([`observe`]); both are pure. The file
//! format is in [`format`]; [`Contract::load`] names the field at fault in a bad file.

pub mod check;
pub mod format;
pub mod infer;
pub mod load;
pub mod observe;
pub mod render;
pub mod training;

pub use check::{check, Checked, Summary, Violation};
pub use format::{Check, Contract, Kind, Limits, Severity, Span, CONTRACT_FILE, CONTRACT_FORMAT};
pub use infer::{infer, InferSettings, Inferred};
pub use observe::{observe, Frames, Observed, Roles};
pub use training::{for_training, TrainingColumns};
