//! Gatehouse's operations and adapters: the DynamoDB repositories and AWS clients, the
//! operations every function shares (issue, change, audit, commit and publish), the
//! authorizer's decision, and the HTTP framework (problem+json, verified caller, one
//! call's bookkeeping). The pure domain is `gatehouse-domain`, re-exported here under
//! the same module names; the functions and their route declaration are
//! `gatehouse-functions`.
#![forbid(unsafe_code)]

pub use gatehouse_domain::{clock, ids, routes};
/// The storage layer (`gatehouse-store`).
pub use gatehouse_store as store;

pub mod app;
pub mod events {
    //! Domain events (the model) and their publisher.
    pub use gatehouse_domain::events::*;
    pub use gatehouse_store::events::EventPublisher;
}
pub mod audit;
pub mod auth;
pub mod config;
pub mod http;
pub mod keys;
pub mod limits;
pub mod notices;
pub mod openapi;
pub mod telemetry;
pub mod usage;
pub mod webhooks;

pub use app::App;
pub use config::Config;
