//! Issuing a key: generate, hash, store. Shared by the create route and the admin CLI.

use super::model::{DisplayName, Principal};
use super::restrictions::KeyRestrictions;
use super::{ApiKey, KeyPrefix, KeyRecord, KeyStatus, ScopeSet, Tenant};
use crate::App;
use crate::ids::{KeyId, TenantId};
use crate::limits::LimitSet;
use crate::store::StoreError;
use time::OffsetDateTime;

/// What the caller decides about a new key; everything else is generated.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: DisplayName,
    pub scopes: ScopeSet,
    pub principal: Principal,
    /// A service key's creator, whose permissions bind it (a replacement keeps it).
    pub owner: Option<Principal>,
    pub created_by: Option<KeyId>,
    pub expires_at: Option<OffsetDateTime>,
    /// Set when the new key replaces another (rotation, compromise replacement).
    pub rotated_from: Option<KeyId>,
    /// The key's own rate limits and quotas (a replacement keeps its predecessor's).
    pub limits: Option<LimitSet>,
    /// Where, what and when the key may be used (a replacement keeps its predecessor's).
    pub restrictions: Option<std::sync::Arc<KeyRestrictions>>,
}

impl NewKey {
    /// A key acting as `principal`, with no owner, creator, expiry, limits or
    /// restrictions (set those with struct update syntax).
    pub fn new(name: DisplayName, scopes: ScopeSet, principal: Principal) -> Self {
        Self {
            name,
            scopes,
            principal,
            owner: None,
            created_by: None,
            expires_at: None,
            rotated_from: None,
            limits: None,
            restrictions: None,
        }
    }

    /// The replacement of `old` (rotation, compromise replacement), made by `caller`:
    /// the same name, scopes, principal and limits, and `old`'s expiry if it is still
    /// ahead at `now` (a replacement never starts out expired).
    pub fn replacing(old: &KeyRecord, caller: &KeyId, now: OffsetDateTime) -> Self {
        Self {
            name: old.name.clone(),
            scopes: old.scopes.clone(),
            principal: old.principal.clone(),
            owner: old.owner.clone(),
            created_by: Some(caller.clone()),
            expires_at: old.expires_at.filter(|at| *at > now),
            rotated_from: Some(old.key_id.clone()),
            limits: old.limits.clone(),
            restrictions: old.restrictions.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("random generation or hashing failed: {0}")]
    Crypto(String),
    /// A name, principal or scope set that does not parse.
    #[error("invalid key: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Generates a key and its record without storing anything: the caller stores the
/// record (alone, or in a batch with its audit event). The returned [`ApiKey`] is the
/// only copy of the full key: hand it to its owner and drop it.
pub fn prepare_key(
    app: &App,
    tenant_id: &TenantId,
    prefix: &KeyPrefix,
    spec: NewKey,
) -> Result<(ApiKey, KeyRecord), IssueError> {
    let crypto = |e: &dyn std::fmt::Display| IssueError::Crypto(e.to_string());
    let key_id = KeyId::generate().map_err(|e| crypto(&e))?;
    let key = ApiKey::generate(prefix, app.config.key_environment, tenant_id, &key_id)
        .map_err(|e| crypto(&e))?;
    let record = KeyRecord {
        tenant_id: tenant_id.clone(),
        key_id,
        name: spec.name,
        prefix: prefix.clone(),
        environment: app.config.key_environment,
        hint: key.hint(),
        verifier: app.verifier.hash(key.secret()).map_err(|e| crypto(&e))?,
        scopes: spec.scopes,
        status: KeyStatus::Active,
        principal: spec.principal,
        owner: spec.owner,
        created_at: app.clock.now(),
        created_by: spec.created_by,
        expires_at: spec.expires_at,
        updated_at: None,
        rotated_from: spec.rotated_from,
        rotated_to: None,
        revocation: None,
        limits: spec.limits,
        restrictions: spec.restrictions,
        last_used_at: None,
        anomalies: None,
        version: 1,
    };
    Ok((key, record))
}

/// Creates and stores a key for `tenant` (operator tooling; API routes store keys in a
/// batch with their audit event).
pub async fn issue_key(
    app: &App,
    tenant: &Tenant,
    spec: NewKey,
) -> Result<(ApiKey, KeyRecord), IssueError> {
    // Key ids are 59 random bits, so a collision is astronomically rare; the conditional
    // write makes one harmless, and a fresh id is tried rather than overwrite.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (key, record) = prepare_key(app, &tenant.tenant_id, &tenant.key_prefix, spec.clone())?;
        match app.keys.create(&record).await {
            Ok(()) => return Ok((key, record)),
            Err(StoreError::AlreadyExists) if attempts < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Creates a tenant and its first admin key (operator tooling: the admin CLI and
/// `make dev`).
pub async fn create_tenant(
    app: &App,
    name: DisplayName,
    key_prefix: Option<KeyPrefix>,
    principal: Principal,
) -> Result<(Tenant, ApiKey, KeyRecord), IssueError> {
    let tenant = Tenant {
        tenant_id: crate::ids::TenantId::generate()
            .map_err(|e| IssueError::Crypto(e.to_string()))?,
        name,
        key_prefix: key_prefix.unwrap_or_else(|| app.config.default_key_prefix.clone()),
        created_at: app.clock.now(),
    };
    app.tenants.create(&tenant).await?;
    let admin = NewKey::new(
        DisplayName::parse("Bootstrap admin key").map_err(|e| IssueError::Invalid(e.0))?,
        ScopeSet::new(vec![super::Scope::admin()])
            .map_err(|e| IssueError::Invalid(e.to_string()))?,
        principal,
    );
    let (key, record) = issue_key(app, &tenant, admin).await?;
    Ok((tenant, key, record))
}
