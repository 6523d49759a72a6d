//! API keys: the domain (format, verifier, scopes, record) and the operations that
//! issue, change and scan them.

pub use gatehouse_domain::keys::*;

pub mod expiry;
pub mod issue;
pub mod lifecycle;
