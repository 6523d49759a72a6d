//! Webhooks: Standard Webhooks signatures and the destinations deliveries may reach.

pub mod circuit;
pub mod client;
pub mod delivery;
pub mod dispatch;
pub mod endpoint;
pub mod manage;
pub mod queue;
pub mod report;
pub mod retry;
pub mod sealed;
pub mod signature;
pub mod ssrf;
