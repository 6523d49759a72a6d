//! Gatehouse's operations: issuing and scanning keys, the authorizer's decision, limits
//! and counters, usage ingest and quota notices, publish-once notices, webhook fan-out
//! and dispatch with the SSRF-safe outbound client, configuration and the dependencies
//! a function builds (`App`). Depends on the domain and storage; knows nothing of
//! Lambda or the HTTP framework (tests/tests/layers.rs).
#![forbid(unsafe_code)]

pub use gatehouse_domain::ldap as ldap_domain;
/// SAML connections (the IdP as pinned).
pub use gatehouse_domain::saml as saml_domain;
/// The SSO domain model (connections, rules, identities).
pub use gatehouse_domain::sso as sso_domain;
pub use gatehouse_domain::sso_domains;
pub use gatehouse_domain::{clock, ids, inline_string_schema, integrations, routes, schema};
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
pub mod integrations_probe;
pub mod keys;
pub mod limits;
pub mod notices;
pub mod outbound;
pub mod outbox;
pub mod secrets;
pub mod siem;
pub mod sso;
pub mod telemetry;
pub mod tls;
pub mod usage;
pub mod webhooks;
pub mod xray;

pub use app::App;
pub use config::Config;
