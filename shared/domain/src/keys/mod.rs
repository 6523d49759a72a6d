//! API keys: the public key format, the argon2id verifier, scopes and the stored record.

pub mod base62;
pub mod catalogue;
pub mod custom;
pub mod format;
pub mod model;
pub mod scope;
pub mod verifier;

pub use format::{ApiKey, KeyEnvironment, KeyFormatError, KeyPrefix};
pub use model::{KeyRecord, KeyStatus, Tenant};
pub use scope::{Scope, ScopeError, ScopeSet};
pub use verifier::{Argon2Params, KeyVerifier, VerifyOutcome};
