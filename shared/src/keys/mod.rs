//! API keys: the service layer's keys, and the helpers the key routes share
//! (`lifecycle`: loading, checking and committing a key change for one call;
//! `policy`: the tenant's key policy applied to it).

pub use gatehouse_service::keys::*;

pub mod lifecycle;
pub mod policy;
