//! shadow-test's library side: the champion's whereabouts, which rows count, the rule and
//! the evidence it judges, and the text output.

pub mod champion;
pub mod coverage;
pub mod decide;
pub mod rows;
pub mod rule;
pub mod text;
pub mod verdict;

pub use coverage::{entity_coverage, Coverage};
pub use decide::Tolerance;
pub use rule::{check_grouping, deciding_metric, parse_floors, Floor, Rule};
pub use text::render_text;
pub use verdict::{judge, Evidence, Judgement};
