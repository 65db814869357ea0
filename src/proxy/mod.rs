//! score-proxy: join past predictions with outcomes that arrived later, derive the label and
//! compare the live model's metrics with its baseline.
//!
//! A run is: [`plan::JoinPlan`] and [`verdict::VerdictRule`] from the parsed flags,
//! [`threshold::decision_threshold`], [`matched::Matched::load`] (the IO), then
//! [`result::ScoreProxyResult::compute`], which renders itself as text and gauges.

pub mod compare;
pub mod estimate;
pub mod evaluate;
pub mod join;
pub mod matched;
pub mod plan;
pub mod result;
pub mod threshold;
pub mod verdict;
