//! The tenant's key policy as the key routes apply it: a key issued or changed must
//! satisfy it, and a refusal is a 403 `key-policy` problem whose detail names the rule.

use super::key_policy::{Breach, KeyPolicy};
use super::model::Principal;
use super::{KeyEnvironment, ScopeSet};
use crate::http::call::Call;
use crate::http::{Problem, ProblemType};
use time::OffsetDateTime;

/// The caller's tenant's key policy (the empty policy if it never set one).
pub async fn key_policy(call: &Call<'_>) -> Result<KeyPolicy, Problem> {
    Ok(call
        .app
        .key_policies
        .get(&call.caller.tenant_id)
        .await?
        .policy)
}

/// The refusal for a broken rule.
pub fn refused(breach: Breach) -> Problem {
    Problem::new(
        ProblemType::KeyPolicy,
        format!(
            "key policy rule `{}`: {}",
            breach.rule.as_str(),
            breach.detail
        ),
    )
}

/// A new key's scopes and expiry, and the active-key counts it would raise.
pub async fn check_new_key(
    call: &Call<'_>,
    policy: &KeyPolicy,
    environment: KeyEnvironment,
    scopes: &ScopeSet,
    expires_at: Option<OffsetDateTime>,
    principal: &Principal,
) -> Result<(), Problem> {
    policy.check_scopes(environment, scopes).map_err(refused)?;
    policy
        .check_expiry(environment, expires_at, call.now)
        .map_err(refused)?;
    check_counts(call, policy, principal).await
}

/// Whether one more active key for `principal` stays within the count rules. Reads
/// the tenant's active keys only when a count rule is set.
pub async fn check_counts(
    call: &Call<'_>,
    policy: &KeyPolicy,
    principal: &Principal,
) -> Result<(), Problem> {
    if !policy.counts_keys() {
        return Ok(());
    }
    let active = call
        .app
        .keys
        .all_active(&call.caller.tenant_id, call.now)
        .await?;
    let held = active.iter().filter(|k| k.principal == *principal).count();
    policy
        .check_counts(principal.as_str(), held, active.len())
        .map_err(refused)
}

/// A replacement (rotation, compromise) brought into line: its inherited expiry is
/// clamped to the longest lifetime, and set when one is required; scopes the policy no
/// longer allows refuse it (the key's scopes must be updated first).
pub fn check_replacement(
    call: &Call<'_>,
    policy: &KeyPolicy,
    old: &super::KeyRecord,
    spec: &mut super::issue::NewKey,
) -> Result<(), Problem> {
    policy
        .check_scopes(old.environment, &spec.scopes)
        .map_err(refused)?;
    spec.expires_at = policy.replacement_expiry(old.environment, spec.expires_at, call.now);
    policy
        .check_expiry(old.environment, spec.expires_at, call.now)
        .map_err(refused)
}
