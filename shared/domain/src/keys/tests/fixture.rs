//! Records for the keys module's tests: change what a test is about with struct
//! update syntax.

use crate::ids::{KeyId, TenantId};
use crate::keys::format::{KeyEnvironment, KeyPrefix};
use crate::keys::model::{DisplayName, KeyRecord, KeyStatus, Principal};
use crate::keys::scope::{Scope, ScopeSet};
use time::OffsetDateTime;
use time::macros::datetime;

/// The tests' "now": Monday 2026-12-07, 12:00 UTC.
pub const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

pub fn scopes(names: &[&str]) -> ScopeSet {
    ScopeSet::new(names.iter().map(|n| Scope::parse(n).unwrap()).collect()).unwrap()
}

/// An active live key of `principal` holding `names`, issued at [`NOW`].
pub fn key(principal: &str, names: &[&str]) -> KeyRecord {
    KeyRecord {
        tenant_id: TenantId::parse("T3nant0001").unwrap(),
        key_id: KeyId::generate().unwrap(),
        name: DisplayName::parse("k").unwrap(),
        prefix: KeyPrefix::parse("gh").unwrap(),
        environment: KeyEnvironment::Live,
        hint: "gh_live_...".into(),
        verifier: String::new(),
        scopes: scopes(names),
        status: KeyStatus::Active,
        principal: Principal::parse(principal).unwrap(),
        owner: None,
        created_at: NOW,
        created_by: None,
        expires_at: None,
        updated_at: None,
        rotated_from: None,
        rotated_to: None,
        revocation: None,
        limits: None,
        restrictions: None,
        last_used_at: None,
        anomalies: None,
        version: 1,
    }
}
