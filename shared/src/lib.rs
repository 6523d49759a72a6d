//! Gatehouse: domain logic and AWS adapters shared by every Lambda function.
//!
//! Each capability has a pure domain part (no AWS, no Lambda) and its adapters;
//! function packages only wire these together.
#![forbid(unsafe_code)]

pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod events;
pub mod http;
pub mod ids;
pub mod keys;
pub mod limits;
pub mod notices;
pub mod openapi;
pub mod routes;
pub mod store;
pub mod telemetry;
pub mod usage;
pub mod webhooks;

pub use app::App;
pub use config::Config;
