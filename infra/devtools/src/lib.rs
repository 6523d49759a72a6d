//! Local development and operator tooling for Gatehouse:
//!
//! * [`template`]: reads template.yaml, the one description of functions, routes,
//!   tables, queues and keys;
//! * [`bootstrap`]: creates the template's tables, queues and KMS keys through the
//!   real AWS SDK (moto server locally, or any endpoint the SDK settings name);
//! * [`gateway`]: serves the template's routes on loopback with the authorizer in front,
//!   shaped exactly as API Gateway HTTP APIs do;
//! * [`registry`]: which Rust handler serves each function of the template.
#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod cli;
pub mod gateway;
pub mod pump;
pub mod registry;
pub mod template;
