//! Webhooks: Standard Webhooks signatures, endpoints and deliveries, the retry
//! schedule, the circuit breaker and the destinations deliveries may reach.

pub mod circuit;
pub mod delivery;
pub mod endpoint;
pub mod report;
pub mod retry;
pub use crate::sealed;
pub mod signature;
pub mod ssrf;
