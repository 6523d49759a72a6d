//! Gatehouse's operations and adapters: the DynamoDB repositories and AWS clients, the
//! operations every function shares (issue, change, audit, commit and publish), the
//! authorizer's decision, and the HTTP framework (problem+json, verified caller, one
//! call's bookkeeping). The pure domain is `gatehouse-domain`, re-exported here under
//! the same module names; the functions and their route declaration are
//! `gatehouse-functions`.
#![forbid(unsafe_code)]

pub use gatehouse_domain::{clock, ids, routes};

pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod events;
pub mod http;
pub mod keys;
pub mod limits;
pub mod notices;
pub mod openapi;
pub mod store;
pub mod telemetry;
pub mod usage;
pub mod webhooks;

pub use app::App;
pub use config::Config;
