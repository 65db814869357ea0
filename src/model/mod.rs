//! Models: the model directory format, feature encoding, the time-based holdout, the
//! built-in trainers (forust GBM, linear), external trainers and batch prediction.

pub mod directory;
pub mod encode;
pub mod external;
pub mod gbm;
pub mod linear;
pub mod metadata;
pub mod split;
pub mod train;
