//! Usage tracking: access-log records -> time-bucketed statistics per key, route and
//! status class, `last_used_at` on keys, and anomaly findings. Recording is
//! asynchronous (the usage-ingest function reads API Gateway access logs), so it
//! never adds latency to a request.

pub use gatehouse_domain::usage::*;

pub mod ingest;
pub mod quota;
pub use gatehouse_store::usage_table as store;

pub use store::UsageStore;
