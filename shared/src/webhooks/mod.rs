//! Webhooks: the domain (signatures, endpoints, deliveries, retry, breaker, SSRF rules)
//! and the operations: management, fan-out and dispatch, the delivery queue, the
//! SSRF-safe outbound client and the KMS sealer.

pub use gatehouse_domain::webhooks::{circuit, delivery, endpoint, report, retry, signature, ssrf};

pub mod client;
pub mod dispatch;
pub mod manage;
pub use gatehouse_store::queue;
pub use gatehouse_store::sealer as sealed;
