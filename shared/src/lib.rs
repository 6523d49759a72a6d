//! Gatehouse's HTTP framework: problem+json errors, the verified caller, one call's
//! bookkeeping (route access checked before the handler, idempotent replays, audited
//! refusals), bodies, queries, and the helpers the key and webhook routes share. It
//! re-exports the service layer (`gatehouse-service`), and through it the domain and
//! storage, under the same module names, so handlers name one crate.
#![forbid(unsafe_code)]

pub use gatehouse_service::*;

pub mod http;
pub mod integrations;
pub mod keys;
pub mod leases;
pub mod openapi;
pub mod secrets;
pub mod siem;
pub mod sso;
pub mod sso_ldap;
pub mod sso_saml;
/// The SSO service layer (OIDC client, sessions, logins).
pub use gatehouse_service::sso as sso_service;
pub mod webhooks;
