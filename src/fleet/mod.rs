//! fleet-diff: which entities the model knows, which are new, offline or gone, and how much
//! that matters. Pure functions over entity ids and timestamps (UTC milliseconds).

pub mod bands;
pub mod entities;
pub mod vocabulary;

pub use bands::{drift_band, unknown_band, DriftBand, UnknownBand};
pub use entities::{
    classify_entities, last_seen_by_entity, EntityRow, EntityStatus, FleetCounts, RowIssues,
    Windows,
};
