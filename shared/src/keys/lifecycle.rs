//! The rules every key-management route shares: which scopes may be granted, which
//! keys a caller may manage, expiry and reason limits, loading a key by its path id,
//! and committing a change together with its audit event.

use super::catalogue;
use super::issue::IssueError;
use super::model::Revocation;
use super::{KeyRecord, KeyStatus, Scope, ScopeSet};
use crate::audit::AuditEvent;
use crate::events::{Category, DomainEvent};
use crate::http::call::Call;
use crate::http::{Problem, ProblemType};
use crate::ids::KeyId;
use crate::store::WriteBatch;
use time::{Duration, OffsetDateTime, UtcOffset};

/// Longest lifetime a key can be given.
pub const MAX_LIFETIME: Duration = Duration::days(5 * 366);
/// Longest grace period a rotated key keeps working.
pub const MAX_GRACE: Duration = Duration::days(7);
/// Grace period when a rotation does not name one.
pub const DEFAULT_GRACE: Duration = Duration::hours(24);
pub const MAX_REASON_CHARS: usize = 500;

/// When a rotated key stops working: `grace` after the rotation (measured from the
/// precise instant, rounded up to the second, so the grace is never cut short), or at
/// its own expiry if that comes first.
pub fn grace_end(
    rotated_at: OffsetDateTime,
    grace: Duration,
    expires_at: Option<OffsetDateTime>,
) -> OffsetDateTime {
    let end = crate::clock::ceil_to_second(rotated_at + grace);
    expires_at.map_or(end, |at| at.min(end))
}

pub fn parse_scopes(raw: &[String]) -> Result<ScopeSet, Problem> {
    if raw.is_empty() {
        return Err(Problem::invalid_body(
            "`scopes` must name at least one scope",
        ));
    }
    let scopes = raw
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Problem::invalid_body(e.to_string()))?;
    ScopeSet::new(scopes).map_err(|e| Problem::invalid_body(e.to_string()))
}

/// Normalises an expiry to whole seconds in UTC (rounded up, so a key never expires
/// before the instant asked for) and checks it is in the future and within
/// [`MAX_LIFETIME`].
pub fn check_expiry(at: OffsetDateTime, now: OffsetDateTime) -> Result<OffsetDateTime, Problem> {
    let at = crate::clock::ceil_to_second(at.to_offset(UtcOffset::UTC));
    if at <= now {
        return Err(Problem::invalid_body("`expires_at` must be in the future"));
    }
    if at - now > MAX_LIFETIME {
        return Err(Problem::invalid_body(format!(
            "`expires_at` may be at most {} days ahead",
            MAX_LIFETIME.whole_days()
        )));
    }
    Ok(at)
}

/// A key's own limits as given in a request: validated; an empty set is no limits.
pub fn checked_limits(
    limits: Option<crate::limits::LimitSet>,
) -> Result<Option<crate::limits::LimitSet>, Problem> {
    let Some(limits) = limits.filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    limits
        .validate()
        .map_err(|e| Problem::invalid_body(format!("limits: {e}")))?;
    Ok(Some(limits))
}

/// A key's restrictions as given in a request: validated; an empty set is none.
pub fn checked_restrictions(
    restrictions: Option<crate::keys::restrictions::KeyRestrictions>,
) -> Result<Option<crate::keys::restrictions::KeyRestrictions>, Problem> {
    let Some(restrictions) = restrictions.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    restrictions
        .validate()
        .map_err(|e| Problem::invalid_body(format!("restrictions: {e}")))?;
    Ok(Some(restrictions))
}

/// A free-text reason (revocation, incident): trimmed, 1-500 characters, no control
/// characters other than newlines.
pub fn reason_text(raw: &str, field: &str) -> Result<String, Problem> {
    let text = raw.trim();
    let count = text.chars().count();
    if count == 0 || count > MAX_REASON_CHARS {
        return Err(Problem::invalid_body(format!(
            "`{field}` must be 1-{MAX_REASON_CHARS} characters"
        )));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Problem::invalid_body(format!(
            "`{field}` must not contain control characters"
        )));
    }
    Ok(text.to_owned())
}

/// Refuses scopes that do not exist for the tenant, and scopes the caller does not
/// effectively hold (no escalation).
pub async fn check_grantable(call: &Call<'_>, requested: &ScopeSet) -> Result<(), Problem> {
    let mut custom = None;
    for scope in requested.iter() {
        let known = catalogue::builtin(scope.as_str()).is_some() || scope.as_str().contains('*');
        if known {
            continue;
        }
        if custom.is_none() {
            custom = Some(call.app.scopes.list(&call.caller.tenant_id).await?);
        }
        let defined = custom.iter().flatten().any(|c| c.name == *scope);
        if !defined {
            return Err(Problem::invalid_body(format!(
                "unknown scope `{scope}`: define it first with POST /v2/scopes"
            )));
        }
    }
    let missing = call.caller.effective_scopes().missing_from(requested);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Problem::new(
            ProblemType::InsufficientScope,
            format!(
                "a key can only be given scopes its creator holds; you lack {}",
                quoted(&missing)
            ),
        ))
    }
}

/// A caller may change or rotate only keys whose scopes it holds itself, so a lesser
/// key cannot take over a stronger one. (Revoking is always allowed with
/// `keys:revoke`: it only ever removes access.)
pub fn check_manageable(call: &Call<'_>, key: &KeyRecord) -> Result<(), Problem> {
    let missing = call.caller.effective_scopes().missing_from(&key.scopes);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Problem::new(
            ProblemType::InsufficientScope,
            format!("this key holds scopes you do not: {}", quoted(&missing)),
        ))
    }
}

fn quoted(scopes: &[&Scope]) -> String {
    scopes
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key named by the `{key_id}` path parameter, in the caller's tenant. Anything
/// else (a malformed id, another tenant's key) is the same 404.
pub async fn load_key(call: &Call<'_>) -> Result<KeyRecord, Problem> {
    let not_found = || Problem::new(ProblemType::NotFound, "no such API key");
    let id = call.path_parameter("key_id").ok_or_else(not_found)?;
    let id = KeyId::parse(&id).map_err(|_| not_found())?;
    call.app
        .keys
        .get(&call.caller.tenant_id, &id)
        .await?
        .ok_or_else(not_found)
}

/// The next version of `key`, stamped with the change time.
pub fn next_version(key: &KeyRecord, now: OffsetDateTime) -> KeyRecord {
    KeyRecord {
        version: key.version + 1,
        updated_at: Some(now),
        ..key.clone()
    }
}

/// `key` revoked now by the caller. Revocation takes effect at the authorizer's next
/// uncached check.
pub fn revoke(call: &Call<'_>, key: &KeyRecord, reason: &str) -> KeyRecord {
    KeyRecord {
        status: KeyStatus::Revoked,
        revocation: Some(Revocation {
            at: call.now,
            by: call.caller.principal.clone(),
            by_key: Some(call.caller.key_id.clone()),
            reason: reason.to_owned(),
        }),
        ..next_version(key, call.now)
    }
}

/// Commits a batch with its audit event; a lost race is a 409.
pub async fn commit(call: &Call<'_>, batch: WriteBatch, audit: &AuditEvent) -> Result<(), Problem> {
    call.commit(
        batch,
        audit,
        "the key changed while this request was processed; read it again and retry",
    )
    .await
}

/// A key event in the caller's tenant, to publish with the audit event of its change
/// ([`AuditEvent::publishing`]).
pub fn event(
    call: &Call<'_>,
    event_type: &str,
    category: Category,
    data: serde_json::Value,
) -> DomainEvent {
    DomainEvent::new(event_type, category, &call.caller.tenant_id, call.now, data)
}

impl From<IssueError> for Problem {
    fn from(err: IssueError) -> Self {
        match err {
            IssueError::Store(store) => store.into(),
            IssueError::Invalid(detail) => Problem::invalid_body(detail),
            IssueError::Crypto(_) => Problem::internal(&err),
        }
    }
}

#[cfg(test)]
#[path = "tests/lifecycle.rs"]
mod tests;
