//! Webhooks: the service layer's webhooks, and the helpers the webhook routes share
//! (`manage`: loading endpoints and deliveries for one call, views, resends).

pub use gatehouse_service::webhooks::*;

pub mod manage;
