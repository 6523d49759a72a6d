//! API keys: the domain (format, verifier, scopes, record) and the operations that
//! issue keys and scan them for expiry.

pub use gatehouse_domain::keys::*;

pub mod expiry;
pub mod issue;
pub mod leak_intake;
pub mod permission_sync;
pub mod upkeep;
