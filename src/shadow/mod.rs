//! shadow-test's library side: the promotion rule and the champion's whereabouts.

pub mod champion;
pub mod decide;
pub mod rows;
