//! score-proxy: join past predictions with outcomes that arrived later, derive the label and
//! compare the live model's metrics with its baseline.

pub mod compare;
pub mod evaluate;
pub mod join;
pub mod label;
