//! Usage: access-log records, time-bucketed statistics per key, route and status
//! class, and anomaly findings (the model; the usage table is in `gatehouse-store`).

pub mod anomaly;
pub mod log;
pub mod stats;

pub use stats::{Granularity, KeyRef, Stats};
