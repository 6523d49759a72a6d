//! Usage tracking: access-log records -> time-bucketed statistics per key, route and
//! status class, `last_used_at` on keys, and anomaly findings. Recording is
//! asynchronous (the usage-ingest function reads API Gateway access logs), so it
//! never adds latency to a request.

pub mod anomaly;
pub mod ingest;
pub mod log;
pub mod quota;
pub mod stats;
pub mod store;

pub use stats::{Granularity, KeyRef, Stats};
pub use store::UsageStore;
