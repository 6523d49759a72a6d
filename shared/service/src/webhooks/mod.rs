//! Webhooks: the domain (signatures, endpoints, deliveries, retry, breaker, SSRF rules),
//! the operations (fan-out and dispatch), the SSRF-safe outbound client, and the
//! delivery queue and sealer from storage.

pub use gatehouse_domain::webhooks::{circuit, delivery, endpoint, report, retry, signature, ssrf};

/// The SSRF-safe outbound client, under the name the webhook code knows it by.
pub use crate::outbound as client;
pub mod dispatch;
pub use gatehouse_store::queue;
pub use gatehouse_store::sealer as sealed;
