//! The access policy as the API returns it.

use super::policy::AccessPolicy;
use super::policy::StoredPolicy;
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PolicyView {
    #[serde(flatten)]
    pub policy: AccessPolicy,
    /// 0 until the tenant first writes a policy.
    pub version: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub updated_at: Option<OffsetDateTime>,
}

impl From<StoredPolicy> for PolicyView {
    fn from(stored: StoredPolicy) -> Self {
        Self {
            policy: stored.policy,
            version: stored.version,
            updated_at: stored.updated_at,
        }
    }
}
