//! Gatehouse's domain: what keys, scopes, limits, usage, audit events and webhooks are,
//! and the rules they follow. Pure: no AWS SDK, Lambda, HTTP framework or DynamoDB
//! types, so the compiler keeps storage and transport out (`cargo tree -p
//! gatehouse-domain` lists none of them). Storage lives in `gatehouse-store`, the
//! operations and the HTTP framework in `gatehouse`, the entry points in
//! `gatehouse-functions`.
#![forbid(unsafe_code)]

pub mod audit;
pub mod clock;
pub mod events;
pub mod ids;
pub mod integrations;
pub mod keys;
pub mod ldap;
pub mod leases;
pub mod limits;
pub mod routes;
pub mod saml;
pub mod schema;
pub mod sealed;
pub mod secrets;
pub mod siem;
pub mod sso;
pub mod sso_domains;
pub mod usage;
pub mod webhooks;
