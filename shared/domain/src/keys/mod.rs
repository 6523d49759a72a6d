//! API keys: the public key format, the argon2id verifier, scopes and the stored record.

pub mod base62;
pub mod catalogue;
pub mod custom;
pub mod format;
pub mod key_policy;
pub mod leaks;
pub mod model;
pub mod permission_sync;
pub mod restrictions;
pub mod scope;
pub mod verifier;

#[cfg(test)]
#[path = "tests/fixture.rs"]
pub(crate) mod fixture;

pub use format::{
    ApiKey, KEY_PATTERN, KeyEntropy, KeyEnvironment, KeyFacts, KeyFormatError, KeyPrefix,
    calculate_key_entropy, validate_key_format,
};
pub use model::{KeyRecord, KeyStatus, Tenant};
pub use scope::{Scope, ScopeError, ScopeSet};
pub use verifier::{Argon2Params, KeyVerifier, VerifyOutcome};
