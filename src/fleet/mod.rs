//! fleet-diff: which entities the model knows, which are new, offline or gone, which got a
//! prediction, and how much that matters. `assess` decides everything from plain values
//! (timestamps are UTC milliseconds); `render` turns the assessment into the JSON result,
//! text and gauges.

pub mod activity;
pub mod assess;
pub mod bands;
pub mod coverage;
pub mod entities;
pub mod predictions;
pub mod render;
pub mod settings;
pub mod vocabulary;

pub use activity::{Activity, NowSource};
pub use assess::{assess, FleetAssessment, PredictionCoverage, Priority};
pub use bands::{drift_band, unknown_band, DriftBand, UnknownBand};
pub use coverage::{Coverage, CoverageCheck, ExpectedCheck, Measure, Population};
pub use entities::{
    classify_entities, last_seen_by_entity, EntityRow, EntityStatus, FleetCounts, RowIssues,
    Windows,
};
pub use predictions::{
    PredictedEntities, PredictionCounts, PredictionLog, PredictionWindow, UnknownPredictions,
    WindowRows,
};
pub use render::{fleet_result, gauges, render_text, EntityResult, FleetResult};
pub use settings::FleetSettings;
