//! Local development and operator tooling for Gatehouse:
//!
//! * [`template`]: reads template.yaml, the one description of functions, routes,
//!   tables, queues and keys;
//! * [`bootstrap`]: creates the template's tables, queues and KMS keys through the
//!   real AWS SDK (moto server locally, or any endpoint the SDK settings name);
//! * [`gateway`]: serves the declared routes (`gatehouse_functions::ROUTES`, which must
//!   agree with the template) on loopback with the authorizer in front, shaped exactly
//!   as API Gateway HTTP APIs do;
//! * [`runtime_api`]: one invocation of the real bootstrap through a local Lambda
//!   Runtime API, with a function's own environment (`gatehouse-admin invoke`).
#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod cli;
pub mod gateway;
pub mod local_metrics;
pub mod outbox_pump;
pub mod pump;
pub mod runtime_api;
pub mod saml_check;
pub mod template;
