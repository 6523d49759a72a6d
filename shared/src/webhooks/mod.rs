//! Webhooks: Standard Webhooks signatures and the destinations deliveries may reach.

pub mod signature;
pub mod ssrf;
