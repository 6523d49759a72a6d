//! The authorizer's decision: a presented credential -> tenant, key, principal, scopes,
//! or a deny with a reason code. Independent of the API Gateway event shape.

pub mod cache;
pub mod failures;
pub mod policy_cache;

/// Names of the authorizer context entries, shared by the authorizer that writes them
/// and the handlers that read them.
pub mod context_keys {
    pub const TENANT_ID: &str = "tenantId";
    pub const KEY_ID: &str = "keyId";
    pub const PRINCIPAL: &str = "principal";
    pub const SCOPES: &str = "scopes";
}

use crate::App;
use crate::audit::Origin;
use crate::ids::{KeyId, TenantId};
use crate::keys::restrictions::KeyRestrictions;
pub use crate::keys::restrictions::{RequestFacts, Restricted};
use crate::keys::{ApiKey, KeyFormatError, KeyStatus, Scope, ScopeSet, VerifyOutcome};
use crate::limits::counters::Admission;
use crate::limits::policy::{AccessPolicy, RouteRule};
use crate::limits::{LimitSet, Refusal};
use crate::routes::Routes;
use http::HeaderMap;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a request was denied. Logged (never with the credential) and, where the API type
/// allows, returned to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    MissingCredential,
    Malformed(KeyFormatError),
    /// No such key, or the secret does not match: the two are not told apart to callers.
    Unknown,
    Disabled,
    Revoked,
    Expired,
    /// The key is valid but lacks the scope the route declares.
    InsufficientScope,
    /// The key is valid but one of its own restrictions refuses this request.
    Restricted(Restricted),
    /// Storage failed; the authorizer fails closed.
    Unavailable,
}

impl DenyReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingCredential => "missing_credential",
            Self::Malformed(_) => "malformed",
            Self::Unknown => "unknown",
            Self::Disabled => "disabled",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::InsufficientScope => "insufficient_scope",
            Self::Restricted(restricted) => restricted.code(),
            Self::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub tenant_id: TenantId,
    pub key_id: KeyId,
    pub principal: String,
    pub scopes: ScopeSet,
    /// The key's own limits (the tenant's plan fills in what it leaves out).
    pub limits: Option<LimitSet>,
    /// The key's own restrictions (source addresses, routes, origins, hours).
    pub restrictions: Option<Arc<KeyRestrictions>>,
    /// Answered from the warm cache, without reading the key (metrics only).
    pub from_cache: bool,
}

impl Grant {
    /// The authorizer context handed to the backend; values are strings so the same
    /// context works for HTTP APIs and REST APIs.
    pub fn context(&self) -> HashMap<String, Value> {
        HashMap::from([
            (
                context_keys::TENANT_ID.to_owned(),
                Value::from(self.tenant_id.as_str()),
            ),
            (
                context_keys::KEY_ID.to_owned(),
                Value::from(self.key_id.as_str()),
            ),
            (
                context_keys::PRINCIPAL.to_owned(),
                Value::from(self.principal.as_str()),
            ),
            (
                context_keys::SCOPES.to_owned(),
                Value::from(self.scopes.to_space_separated()),
            ),
        ])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(Grant),
    Deny(DenyReason),
    /// A valid key without the route's scope: the caller is known, so the refusal can
    /// be audited in its tenant.
    DenyScope {
        grant: Grant,
        required: String,
    },
    /// A valid key used where, for what or when its restrictions refuse: audited in
    /// its tenant, like a scope refusal.
    DenyRestricted {
        grant: Grant,
        restricted: Restricted,
    },
    /// A valid key over one of its rate limits or quotas.
    Limited {
        grant: Grant,
        refusal: Refusal,
    },
}

impl Decision {
    /// The reason code of a refusal; `None` for an allow.
    pub fn reason_code(&self) -> Option<&'static str> {
        match self {
            Self::Allow(_) => None,
            Self::Deny(reason) => Some(reason.code()),
            Self::DenyScope { .. } => Some(DenyReason::InsufficientScope.code()),
            Self::DenyRestricted { restricted, .. } => Some(restricted.code()),
            Self::Limited { refusal, .. } => Some(refusal.code()),
        }
    }
}

/// Everything after authentication, for the request made: the key's own restrictions
/// (source address, route, origin, hours), the scope the route requires (Gatehouse's
/// own routes from `own`, a tenant's routes from its access policy), then the limits
/// that govern the route. Limits are consumed only by requests that pass every other
/// check.
///
/// Gatehouse's own routes are governed only by the limits set on the calling key
/// itself, never by the tenant's plan: a plan is for the tenant's own APIs, and one
/// that reached Gatehouse's routes could lock every key, admin keys included, out of
/// the very route that would change the plan back.
pub async fn authorize(
    app: &App,
    decision: Decision,
    request: &RequestFacts<'_>,
    own: Routes,
) -> Decision {
    let Decision::Allow(grant) = decision else {
        return decision;
    };
    if let Some(restrictions) = &grant.restrictions
        && let Err(restricted) = restrictions.check(request)
    {
        return Decision::DenyRestricted { grant, restricted };
    }
    let route_key = request.route;
    let policy = match access_policy(app, &grant.tenant_id).await {
        Ok(policy) => policy,
        Err(()) => return Decision::Deny(DenyReason::Unavailable),
    };
    let own_route = own.find(route_key);
    let required = match own_route {
        Some(route) => route.scope().map(str::to_owned),
        None => match policy.rule(route_key) {
            RouteRule::Requires(scope) => Some(scope.as_str().to_owned()),
            RouteRule::Open => None,
            RouteRule::Refused => {
                return Decision::DenyScope {
                    grant,
                    required: "(a route the tenant's access policy lists)".to_owned(),
                };
            }
        },
    };
    if let Some(required) = required
        && !has_scope(&grant.scopes, &required)
    {
        return Decision::DenyScope { grant, required };
    }
    let plan = own_route.is_none().then_some(&policy.plan);
    let specs = crate::limits::applicable(grant.limits.as_ref(), plan, route_key);
    if specs.is_empty() {
        return Decision::Allow(grant);
    }
    let shards = crate::limits::shard_count(grant.limits.as_ref(), plan);
    let now = app.clock.precise_now();
    match app
        .counters
        .consume(&grant.tenant_id, &grant.key_id, &specs, shards, now)
        .await
    {
        Ok(Admission::Admitted) => Decision::Allow(grant),
        Ok(Admission::Refused(refusal)) => Decision::Limited { grant, refusal },
        Err(e) => {
            tracing::error!(error = %e, key_id = %grant.key_id, "limit counters unavailable");
            Decision::Deny(DenyReason::Unavailable)
        }
    }
}

fn has_scope(granted: &ScopeSet, required: &str) -> bool {
    Scope::parse(required)
        .is_ok_and(|scope| crate::keys::catalogue::effective(granted).allows(&scope))
}

/// The tenant's access policy, from the warm cache or one GetItem.
async fn access_policy(app: &App, tenant: &TenantId) -> Result<Arc<AccessPolicy>, ()> {
    let now = app.clock.precise_now();
    if let Some(policy) = app.policy_cache.get(tenant, now) {
        return Ok(policy);
    }
    match app.policies.get(tenant).await {
        Ok(stored) => {
            let policy = Arc::new(stored.policy);
            app.policy_cache
                .put(tenant.clone(), Arc::clone(&policy), now);
            Ok(policy)
        }
        Err(e) => {
            tracing::error!(error = %e, tenant_id = %tenant, "access policy unavailable");
            Err(())
        }
    }
}

/// The presented credential: `Authorization: Bearer <key>` (scheme case-insensitive) or
/// `x-api-key: <key>`. Other Authorization schemes are not ours.
pub fn credential(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    bearer
        .or_else(|| {
            headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        })
        .filter(|t| !t.is_empty())
}

/// Checks a credential: format and checksum (no I/O), then one GetItem, then argon2id.
pub async fn authenticate(app: &App, presented: Option<&str>) -> Decision {
    authenticate_from(app, presented, &Origin::default()).await
}

/// [`authenticate`], with where the request came from, for failure alerts.
///
/// Format and checksum first (no I/O); then the warm cache (a key that verified within
/// the cache TTL, or a key known to fail); then one GetItem and argon2id. Status and
/// expiry are applied on every request, cached or not.
pub async fn authenticate_from(app: &App, presented: Option<&str>, origin: &Origin) -> Decision {
    let Some(presented) = presented else {
        return Decision::Deny(DenyReason::MissingCredential);
    };
    if crate::sso::session::looks_like_jwt(presented) {
        return authenticate_session(app, presented).await;
    }
    let key = match ApiKey::parse(presented) {
        Ok(key) => key,
        Err(e) => return Decision::Deny(DenyReason::Malformed(e)),
    };
    if key.environment() != app.config.key_environment {
        return Decision::Deny(DenyReason::Unknown);
    }
    let digest = cache::digest(presented);
    let seen_at = app.clock.precise_now();
    if app.key_cache.is_known_bad(&digest, seen_at) {
        count_cache("hit");
        return Decision::Deny(DenyReason::Unknown);
    }
    let verified = match app
        .key_cache
        .lookup(key.tenant_id(), key.key_id(), &digest, seen_at)
    {
        cache::Lookup::Fresh(record) => {
            count_cache("hit");
            return match decide(app, *record) {
                Decision::Allow(grant) => Decision::Allow(Grant {
                    from_cache: true,
                    ..grant
                }),
                other => other,
            };
        }
        cache::Lookup::Verified { verifier } => Some(verifier),
        cache::Lookup::Miss => None,
    };
    count_cache("miss");
    match verify_against_store(app, &key, origin, verified.as_deref()).await {
        Ok(record) => {
            app.key_cache.put(digest, record.clone(), seen_at);
            decide(app, record)
        }
        Err(reason) => {
            // Only a key never verified here is remembered as bad; a remembered good
            // key that now fails (deleted, say) is simply refused.
            if reason == DenyReason::Unknown && verified.is_none() {
                app.key_cache.put_bad(digest, seen_at);
            }
            Decision::Deny(reason)
        }
    }
}

/// One key-cache lookup for the metrics: `hit` answered without I/O, `miss` read.
fn count_cache(result: &'static str) {
    use crate::telemetry::metrics;
    metrics::count(metrics::AUTHORIZER_KEY_CACHE, &[("Result", result)]);
}

/// A session token: signature (a listed KMS key, its public half cached), issuer,
/// audience and expiry, then the session's record, reused for the key cache's TTL, so
/// a logout or a disabled principal stops it within the same bound as a revoked key.
async fn authenticate_session(app: &App, token: &str) -> Decision {
    use crate::sso::session::SessionError;
    let now = app.clock.precise_now();
    // A token whose signature verified here is not verified again (the ES256 check is
    // the costly part); its expiry is checked every time.
    let digest = cache::digest(token);
    let remembered = app
        .verified_sessions
        .get(&digest)
        .filter(|c| c.exp > now.unix_timestamp());
    let verified = match remembered {
        Some(claims) => Ok(claims),
        None => app.sso.signer.verify(token, now).await.inspect(|claims| {
            app.verified_sessions.put(digest, claims.clone());
        }),
    };
    let claims = match verified {
        Ok(claims) => claims,
        Err(SessionError::Expired) => return Decision::Deny(DenyReason::Expired),
        Err(SessionError::Kms(e)) => {
            tracing::error!(error = %e, "session signing key unavailable");
            return Decision::Deny(DenyReason::Unavailable);
        }
        Err(_) => return Decision::Deny(DenyReason::Unknown),
    };
    let (Ok(tenant), Ok(session_id)) = (TenantId::parse(&claims.tid), KeyId::parse(&claims.sid))
    else {
        return Decision::Deny(DenyReason::Unknown);
    };
    let cache_key = (tenant.clone(), session_id.clone());
    let record = match app.session_cache.get(&cache_key) {
        Some(record) => record,
        None => match app
            .sso
            .ephemeral
            .session(&tenant, session_id.as_str())
            .await
        {
            Ok(Some(record)) => {
                app.session_cache.put(cache_key, record.clone());
                record
            }
            Ok(None) => return Decision::Deny(DenyReason::Revoked),
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return Decision::Deny(DenyReason::Unavailable);
            }
        },
    };
    if record.revoked_at.is_some() {
        return Decision::Deny(DenyReason::Revoked);
    }
    let Ok(scopes) = ScopeSet::parse_space_separated(&claims.scope) else {
        return Decision::Deny(DenyReason::Unknown);
    };
    Decision::Allow(Grant {
        tenant_id: tenant,
        key_id: session_id,
        principal: format!("sso:{}", claims.sub),
        scopes,
        limits: None,
        restrictions: None,
        from_cache: false,
    })
}

/// Status and expiry (to the second) of a verified key's record.
fn decide(app: &App, record: crate::keys::KeyRecord) -> Decision {
    match record.status {
        KeyStatus::Active => {}
        KeyStatus::Disabled => return Decision::Deny(DenyReason::Disabled),
        KeyStatus::Revoked => return Decision::Deny(DenyReason::Revoked),
    }
    if record.is_expired(app.clock.now()) {
        return Decision::Deny(DenyReason::Expired);
    }
    Decision::Allow(Grant {
        tenant_id: record.tenant_id,
        key_id: record.key_id,
        principal: record.principal.as_str().to_owned(),
        scopes: record.scopes,
        limits: record.limits,
        restrictions: record.restrictions,
        from_cache: false,
    })
}

/// One GetItem and the argon2id verification: the record if the secret matches.
/// `verified` is a verifier this exact key already matched; if the record still holds
/// it, argon2id is skipped.
async fn verify_against_store(
    app: &App,
    key: &ApiKey,
    origin: &Origin,
    verified: Option<&str>,
) -> Result<crate::keys::KeyRecord, DenyReason> {
    let record = match app.keys.get(key.tenant_id(), key.key_id()).await {
        Ok(Some(record)) => record,
        Ok(None) => return Err(DenyReason::Unknown),
        Err(e) => {
            tracing::error!(error = %e, key_id = %key.key_id(), "key lookup failed");
            return Err(DenyReason::Unavailable);
        }
    };
    if record.prefix != *key.prefix() || record.environment != key.environment() {
        return Err(DenyReason::Unknown);
    }
    if verified == Some(record.verifier.as_str()) {
        return Ok(record);
    }
    match app.verifier.verify(key.secret(), &record.verifier) {
        VerifyOutcome::Valid { rehashed } => {
            let mut record = record;
            if let Some(new) = rehashed
                && upgrade_verifier(
                    app,
                    &record.tenant_id,
                    &record.key_id,
                    &record.verifier,
                    &new,
                )
                .await
            {
                record.verifier = new;
            }
            Ok(record)
        }
        VerifyOutcome::Mismatch => {
            if let Err(e) = failures::record_failure(app, &record, origin).await {
                tracing::warn!(error = %e, key_id = %record.key_id, "failed verification not counted");
            }
            Err(DenyReason::Unknown)
        }
        VerifyOutcome::CorruptVerifier => {
            tracing::error!(key_id = %record.key_id, "stored verifier is corrupt");
            Err(DenyReason::Unknown)
        }
    }
}

/// Best effort: a failed upgrade leaves the old, still valid verifier in place.
async fn upgrade_verifier(app: &App, tenant: &TenantId, key: &KeyId, old: &str, new: &str) -> bool {
    match app.keys.replace_verifier(tenant, key, old, new).await {
        Ok(true) => {
            tracing::info!(key_id = %key, "verifier upgraded to current argon2 parameters");
            true
        }
        Ok(false) => false,
        Err(e) => {
            tracing::warn!(error = %e, key_id = %key, "verifier upgrade failed");
            false
        }
    }
}

#[cfg(test)]
#[path = "tests/auth.rs"]
mod tests;
