//! The tenant key policy routes: what every key the tenant issues must satisfy.

use gatehouse::keys::key_policy::{KeyPolicy, Violation};
use gatehouse::store::StoredKeyPolicy;
use serde::Serialize;
use time::OffsetDateTime;

pub mod get;
pub mod put;

/// The key policy as the routes show it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct KeyPolicyView {
    #[serde(flatten)]
    pub policy: KeyPolicy,
    /// 0 until the tenant first writes a policy.
    pub version: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<gatehouse::schema::Rfc3339>")]
    pub updated_at: Option<OffsetDateTime>,
    /// The active keys that do not comply, and when each is brought into line.
    pub violations: Vec<Violation>,
}

impl KeyPolicyView {
    pub fn of(stored: StoredKeyPolicy, violations: Vec<Violation>) -> Self {
        Self {
            policy: stored.policy,
            version: stored.version,
            updated_at: stored.updated_at,
            violations,
        }
    }
}
