pub mod data;
pub mod report;
pub mod stats;
