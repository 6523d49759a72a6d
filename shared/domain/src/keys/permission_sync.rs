//! Keeping keys within their holder's permissions. A key an SSO principal created acts
//! as that principal (`sso:<principal id>`), and a service key it created names it as
//! `owner`; either is bound to what the principal may hold now. When the principal's
//! mapped scopes shrink (a group change seen at login or by a directory check), its
//! keys lose the scopes it no longer holds, or are disabled, as the tenant's key
//! policy says; when the principal is disabled, its active keys are disabled.

use super::catalogue;
use super::model::{KeyRecord, KeyStatus};
use super::scope::{Scope, ScopeSet};
use crate::ids::KeyId;
use serde::{Deserialize, Serialize};

/// What happens to a key whose holder lost some of its scopes.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PermissionLoss {
    /// The key keeps the scopes its holder still holds; one left with none is
    /// disabled.
    #[default]
    NarrowScopes,
    /// The key is disabled.
    Disable,
}

impl PermissionLoss {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The holder's state now.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    Active(&'a ScopeSet),
    Disabled,
}

/// A change permission sync makes to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// The key keeps `kept`; `lost` are the scopes its holder no longer holds.
    NarrowScopes {
        kept: ScopeSet,
        lost: Vec<Scope>,
    },
    Disable {
        why: String,
    },
}

/// How the principals of SSO identities are named on keys: `sso:<principal_id>`.
pub const SSO_PRINCIPAL_PREFIX: &str = "sso:";

/// The SSO principal whose permissions bind `key`, if any: the owner of a service
/// key, else the principal the key acts as. Keys are created one way or the other
/// (a service key acts as `service:<name>`), so a key has at most one. The store
/// indexes keys by it, so permission sync reads only the keys it concerns.
pub fn sso_holder(key: &KeyRecord) -> Option<&str> {
    let holder = key.owner.as_ref().unwrap_or(&key.principal).as_str();
    holder.starts_with(SSO_PRINCIPAL_PREFIX).then_some(holder)
}

/// The key bound to the principal `sso:<principal_id>`: one that acts as it, or a
/// service key it owns.
pub fn is_bound_to(key: &KeyRecord, principal: &str) -> bool {
    sso_holder(key) == Some(principal)
}

/// What `key` needs to stay within `holder`'s permissions; `None`: nothing. Revoked
/// keys are left alone. A disabled key is only narrowed, so re-enabling it cannot
/// restore a scope its holder lost.
pub fn reconcile(
    key: &KeyRecord,
    holder: Holder<'_>,
    on_loss: PermissionLoss,
) -> Option<KeyChange> {
    let active = match key.status {
        KeyStatus::Revoked => return None,
        KeyStatus::Active => true,
        KeyStatus::Disabled => false,
    };
    let held = match holder {
        Holder::Disabled if active => {
            return Some(KeyChange::Disable {
                why: "its principal is disabled".to_owned(),
            });
        }
        Holder::Disabled => return None,
        Holder::Active(held) => held,
    };
    let lost: Vec<Scope> = catalogue::effective(held)
        .missing_from(&key.scopes)
        .into_iter()
        .cloned()
        .collect();
    if lost.is_empty() {
        return None;
    }
    let why = format!("its principal no longer holds {}", named(&lost));
    let kept: Vec<Scope> = key
        .scopes
        .iter()
        .filter(|s| !lost.contains(s))
        .cloned()
        .collect();
    let kept = ScopeSet::new(kept).ok().filter(|k| !k.is_empty());
    match (on_loss, kept) {
        (PermissionLoss::Disable, _) | (_, None) if active => Some(KeyChange::Disable { why }),
        (_, Some(kept)) => Some(KeyChange::NarrowScopes { kept, lost }),
        (_, None) => None,
    }
}

/// Why `key`, as it would be stored, holds more than `holder` allows: what a sync
/// would change. `None` if it is within, is revoked, or is disabled while its holder
/// is (a disabled key keeps its scopes only while they are held).
pub fn beyond_holder(key: &KeyRecord, holder: Holder<'_>) -> Option<String> {
    match reconcile(key, holder, PermissionLoss::NarrowScopes)? {
        KeyChange::Disable { why } => Some(why),
        KeyChange::NarrowScopes { lost, .. } => {
            Some(format!("its principal no longer holds {}", named(&lost)))
        }
    }
}

fn named(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SyncReport {
    /// The principal as keys name it (`sso:<principal id>`).
    pub principal: String,
    /// Keys that lost scopes.
    pub narrowed: Vec<KeyId>,
    /// Keys disabled.
    pub disabled: Vec<KeyId>,
    /// Bound keys already within the principal's permissions.
    pub unchanged: usize,
}

#[cfg(test)]
#[path = "tests/permission_sync.rs"]
mod tests;
