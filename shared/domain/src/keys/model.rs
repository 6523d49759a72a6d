//! Stored records for tenants and keys, and the masked view that APIs return.

use super::format::{KeyEnvironment, KeyPrefix};
use super::restrictions::KeyRestrictions;
use super::scope::ScopeSet;
use crate::ids::{KeyId, TenantId};
use crate::limits::LimitSet;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    Active,
    Disabled,
    Revoked,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "disabled" => Some(Self::Disabled),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub tenant_id: TenantId,
    pub name: DisplayName,
    pub key_prefix: KeyPrefix,
    pub created_at: OffsetDateTime,
}

/// Everything stored about a key. `verifier` is the argon2id PHC string of the secret;
/// the key itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub tenant_id: TenantId,
    pub key_id: KeyId,
    pub name: DisplayName,
    pub prefix: KeyPrefix,
    pub environment: KeyEnvironment,
    pub hint: String,
    pub verifier: String,
    pub scopes: ScopeSet,
    pub status: KeyStatus,
    /// Who the key acts as, e.g. `user:alice@example.com` or `service:billing`.
    pub principal: Principal,
    /// For a service key, the principal that created it: the key is bound to that
    /// principal's permissions (permission sync). `None` for other keys.
    pub owner: Option<Principal>,
    pub created_at: OffsetDateTime,
    /// The key id that created this key; `None` for keys made by the admin CLI.
    pub created_by: Option<KeyId>,
    pub expires_at: Option<OffsetDateTime>,
    pub updated_at: Option<OffsetDateTime>,
    /// The key this one replaced by rotation (or after a compromise).
    pub rotated_from: Option<KeyId>,
    /// The key that replaced this one.
    pub rotated_to: Option<KeyId>,
    pub revocation: Option<Revocation>,
    /// The key's own rate limits and quotas; windows it leaves out follow the plan.
    pub limits: Option<LimitSet>,
    /// Where, what, from which web origins and when the key may be used. Shared, so
    /// that the authorizer's cached copies share one parse of it.
    pub restrictions: Option<Arc<KeyRestrictions>>,
    /// The latest request seen in the access logs (set by usage ingest, not by writes).
    pub last_used_at: Option<OffsetDateTime>,
    /// Usage anomalies found for this key (set by usage ingest).
    pub anomalies: Option<AnomalyNote>,
    /// Incremented by every write; writes are conditional on it (optimistic locking).
    pub version: u64,
}

/// Who revoked a key, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Revocation {
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub at: OffsetDateTime,
    /// The revoking principal, e.g. `user:alice@example.com`.
    pub by: String,
    /// The key the revoking call was made with; `null` for operator tooling.
    pub by_key: Option<KeyId>,
    pub reason: String,
}

impl KeyRecord {
    /// Whether the key is past its expiry at `now` (expiry is exclusive: a key that
    /// expires at 12:00:00 is refused at 12:00:00).
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Since when the key has been idle: its last use, creation or change, whichever
    /// is latest (so re-enabling a key disabled for idleness gives it a fresh period).
    pub fn idle_since(&self) -> OffsetDateTime {
        [self.last_used_at, self.updated_at]
            .into_iter()
            .flatten()
            .fold(self.created_at, OffsetDateTime::max)
    }

    pub fn view(&self) -> KeyView {
        KeyView {
            key_id: self.key_id.clone(),
            name: self.name.as_str().to_owned(),
            hint: self.hint.clone(),
            environment: self.environment,
            scopes: self.scopes.clone(),
            status: self.status,
            principal: self.principal.as_str().to_owned(),
            owner: self.owner.as_ref().map(|o| o.as_str().to_owned()),
            created_at: self.created_at,
            created_by: self.created_by.clone(),
            expires_at: self.expires_at,
            updated_at: self.updated_at,
            rotated_from: self.rotated_from.clone(),
            rotated_to: self.rotated_to.clone(),
            revocation: self.revocation.clone(),
            limits: self.limits.clone(),
            restrictions: self.restrictions.as_deref().cloned(),
            last_used_at: self.last_used_at,
            anomalies: self.anomalies.clone(),
        }
    }
}

/// A key's metadata as APIs return it: masked, no verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeyView {
    pub key_id: KeyId,
    pub name: String,
    pub hint: String,
    pub environment: KeyEnvironment,
    pub scopes: ScopeSet,
    pub status: KeyStatus,
    pub principal: String,
    /// A service key's creator, whose permissions bind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<KeyId>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub updated_at: Option<OffsetDateTime>,
    pub rotated_from: Option<KeyId>,
    pub rotated_to: Option<KeyId>,
    pub revocation: Option<Revocation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<KeyRestrictions>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<AnomalyNote>,
}

/// How many usage anomalies a key has had, and the latest (see `GET .../usage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AnomalyNote {
    #[schemars(range(min = 1))]
    pub count: u64,
    #[schemars(with = "crate::usage::anomaly::Finding")]
    pub last: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidText(pub String);

const MAX_NAME_CHARS: usize = 100;
const MAX_PRINCIPAL_CHARS: usize = 200;

/// A human-facing name (of a key or tenant): 1-100 characters, trimmed, no control or
/// bidirectional-override characters (they make a name display as something else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(value: &str) -> Result<Self, InvalidText> {
        let trimmed = value.trim();
        check_text(trimmed, MAX_NAME_CHARS, "name")?;
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = InvalidText;
    fn try_from(value: String) -> Result<Self, InvalidText> {
        Self::parse(&value)
    }
}

impl From<DisplayName> for String {
    fn from(n: DisplayName) -> String {
        n.0
    }
}

crate::inline_string_schema!(DisplayName, "DisplayName", {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_NAME_CHARS,
    "pattern": crate::schema::PLAIN_TEXT_PATTERN,
});

crate::inline_string_schema!(Principal, "Principal", {
    "type": "string",
    "description": "Who the key acts as: `user:<id>` or `service:<name>`.",
});

/// Who a key acts as: `<kind>:<name>`, e.g. `user:alice@example.com`, `service:billing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Principal(String);

impl Principal {
    pub fn parse(value: &str) -> Result<Self, InvalidText> {
        check_text(value, MAX_PRINCIPAL_CHARS, "principal")?;
        let well_formed = value.split_once(':').is_some_and(|(kind, name)| {
            !kind.is_empty()
                && kind.bytes().all(|b| b.is_ascii_lowercase())
                && !name.is_empty()
                && !name.chars().any(char::is_whitespace)
        });
        if !well_formed {
            return Err(InvalidText(
                "principal must look like `<kind>:<name>`, e.g. `user:alice@example.com`".into(),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Principal {
    type Error = InvalidText;
    fn try_from(value: String) -> Result<Self, InvalidText> {
        Self::parse(&value)
    }
}

impl From<Principal> for String {
    fn from(p: Principal) -> String {
        p.0
    }
}

fn check_text(value: &str, max_chars: usize, what: &str) -> Result<(), InvalidText> {
    let count = value.chars().count();
    if count == 0 || count > max_chars {
        return Err(InvalidText(format!(
            "{what} must be 1-{max_chars} characters"
        )));
    }
    let is_bidi_control = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}');
    if value
        .chars()
        .any(|c| c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(InvalidText(format!(
            "{what} must not contain control or bidirectional-override characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/model.rs"]
mod tests;
