//! The filesystem registry (docs/DESIGN.md): immutable versions, atomically swapped pointers, an
//! append-only audit log and an advisory lock around every mutation.

pub mod audit;
pub mod candidate;
pub mod files;
pub mod gauges;
pub mod jsonl;
pub mod layout;
pub mod lock;
pub mod notify;
pub mod ops;
pub mod store;
pub mod verify;
