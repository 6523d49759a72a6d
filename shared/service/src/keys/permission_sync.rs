//! `sync_key_permissions`: brings an SSO principal's keys (the keys acting as it and
//! the service keys it owns) within what it holds now (`crate::keys::permission_sync`
//! decides). Run after a login, by the scheduled directory check, when a principal is
//! disabled, and on an administrator's request.
//!
//! Each changed key is written with its audit event (`api_key.update`, the changed
//! fields) and `api_key.updated` in one transaction. A key changed meanwhile is read
//! again and reconciled once more.

use crate::App;
use crate::audit::{Actor, AuditEvent, Change, Origin, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::keys::{KeyRecord, KeyStatus, Scope, ScopeSet};
use crate::store::sso_table::Principal;
use crate::store::{StoreError, WriteBatch};
pub use gatehouse_domain::keys::permission_sync::SyncReport;
use gatehouse_domain::keys::permission_sync::{
    Holder, KeyChange, SSO_PRINCIPAL_PREFIX, beyond_holder, is_bound_to, reconcile, sso_holder,
};
use time::OffsetDateTime;

/// Who asked for the sync, for the audit trail.
#[derive(Debug, Clone)]
pub struct SyncCause {
    pub actor: Actor,
    pub origin: Origin,
    /// `login`, `directory_check`, `principal_disabled` or `request`.
    pub trigger: &'static str,
}

impl SyncCause {
    /// A sync Gatehouse starts itself, as `system:permission-sync`.
    pub fn system(trigger: &'static str, origin: Origin) -> Self {
        Self {
            actor: Actor {
                principal: "system:permission-sync".to_owned(),
                key_id: None,
            },
            origin,
            trigger,
        }
    }
}

/// The principal as its keys name it.
pub fn key_principal(principal: &Principal) -> String {
    format!("sso:{}", principal.principal_id)
}

/// The scopes `principal` holds now. Scopes that no longer parse are not held: a key
/// never keeps more than is sure.
fn held_scopes(principal: &Principal) -> ScopeSet {
    ScopeSet::new(
        principal
            .scopes
            .iter()
            .filter_map(|s| Scope::parse(s).ok())
            .collect(),
    )
    .unwrap_or_default()
}

/// Why `key`, about to be stored, would hold more than the SSO principal it is bound
/// to holds now (`None`: within, or bound to no SSO principal). A principal
/// that is disabled or gone holds nothing. Enabling a key or widening its scopes must
/// not give back what a sync took, or would take.
pub async fn beyond_its_holder(app: &App, key: &KeyRecord) -> Result<Option<String>, StoreError> {
    let Some(holder) = sso_holder(key) else {
        return Ok(None);
    };
    let id = holder.strip_prefix(SSO_PRINCIPAL_PREFIX).unwrap_or(holder);
    let principal = app.sso.principals.get(&key.tenant_id, id).await?;
    let held = principal.as_ref().filter(|p| !p.disabled).map(held_scopes);
    let state = match &held {
        Some(held) => Holder::Active(held),
        None => Holder::Disabled,
    };
    Ok(beyond_holder(key, state).map(|why| format!("the key is bound to `{holder}`, and {why}")))
}

/// Brings `principal`'s keys within its permissions at `now`.
pub async fn sync_key_permissions(
    app: &App,
    principal: &Principal,
    cause: &SyncCause,
    now: OffsetDateTime,
) -> Result<SyncReport, StoreError> {
    let tenant = &principal.tenant_id;
    let name = key_principal(principal);
    let held = held_scopes(principal);
    let holder = if principal.disabled {
        Holder::Disabled
    } else {
        Holder::Active(&held)
    };
    let on_loss = app
        .key_policies
        .get(tenant)
        .await?
        .policy
        .on_permission_loss;
    let mut report = SyncReport {
        principal: name.clone(),
        ..SyncReport::default()
    };
    // The index copies may be a moment stale: each write below is conditional on
    // the key's version, and a conflict reads the key again.
    let bound: Vec<KeyRecord> = app
        .keys
        .bound_to(tenant, &name)
        .await?
        .into_iter()
        .filter(|k| k.status != KeyStatus::Revoked && is_bound_to(k, &name))
        .collect();
    for key in bound {
        let mut current = key;
        let mut attempts = 0;
        loop {
            let Some(change) = reconcile(&current, holder, on_loss) else {
                report.unchanged += 1;
                break;
            };
            match app
                .dynamo
                .commit(change_batch(app, &current, &change, cause, now)?)
                .await
            {
                Ok(()) => {
                    let id = current.key_id.clone();
                    match change {
                        KeyChange::NarrowScopes { .. } => report.narrowed.push(id),
                        KeyChange::Disable { .. } => report.disabled.push(id),
                    }
                    break;
                }
                Err(StoreError::Conflict) if attempts == 0 => {
                    attempts += 1;
                    match app.keys.get(tenant, &current.key_id).await? {
                        Some(again) if again.status != KeyStatus::Revoked => current = again,
                        _ => break,
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    if !report.narrowed.is_empty() || !report.disabled.is_empty() {
        tracing::info!(
            tenant_id = %tenant,
            principal = %name,
            trigger = cause.trigger,
            narrowed = report.narrowed.len(),
            disabled = report.disabled.len(),
            "key permissions synced"
        );
    }
    Ok(report)
}

/// The key's new version and its audit event, which publishes `api_key.updated`.
fn change_batch(
    app: &App,
    key: &KeyRecord,
    change: &KeyChange,
    cause: &SyncCause,
    now: OffsetDateTime,
) -> Result<WriteBatch, StoreError> {
    let mut next = KeyRecord {
        updated_at: Some(now),
        version: key.version + 1,
        ..key.clone()
    };
    let why = match change {
        KeyChange::NarrowScopes { kept, lost } => {
            next.scopes = kept.clone();
            let lost: Vec<&str> = lost.iter().map(Scope::as_str).collect();
            format!("its principal no longer holds {}", lost.join(", "))
        }
        KeyChange::Disable { why } => {
            next.status = KeyStatus::Disabled;
            why.clone()
        }
    };
    let (before, after) = (key.view(), next.view());
    let changes: Vec<Change> = [
        Change::of("scopes", &before.scopes, &after.scopes),
        Change::of("status", &before.status, &after.status),
    ]
    .into_iter()
    .flatten()
    .collect();
    let event = DomainEvent::new(
        "api_key.updated",
        Category::Lifecycle,
        &key.tenant_id,
        now,
        serde_json::json!({ "key": after, "changes": changes, "reason": "permission_sync" }),
    );
    let audit = AuditEvent::new(
        &key.tenant_id,
        "api_key.update",
        cause.actor.clone(),
        cause.origin.clone(),
        now,
    )
    .target(TargetKind::ApiKey, key.key_id.as_str())
    .changes(changes)
    .detail(format!("permission sync ({}): {why}", cause.trigger))
    .publishing(event);
    let mut batch = WriteBatch::new();
    app.keys.put_changed(&mut batch, &next)?;
    app.audit.add_to(&mut batch, &audit)?;
    Ok(batch)
}
