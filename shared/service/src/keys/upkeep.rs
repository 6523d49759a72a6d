//! What a tenant's key policy asks of the scheduled key scan (`super::expiry`):
//!
//! * `max_idle_days`: a key unused that long is disabled (`api_key.disabled_idle`),
//!   after an `api_key.idle_warning` notice and never sooner than a week after the
//!   policy changed, so tightening a policy warns before it disables;
//! * `rotate_after_days`: a key older than that gets `api_key.rotation_due`, once per
//!   rotation period; it stays usable.
//!
//! Notices go out once per occasion (`crate::notices`). A key changed while the scan
//! decides (used, rotated, updated) makes the disabling write fail its version
//! condition; the key is left for the next run, which sees it as it is.

use crate::App;
use crate::audit::{AuditEvent, Change, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::ids::TenantId;
use crate::keys::key_policy::Upkeep;
use crate::keys::{KeyRecord, KeyStatus};
use crate::notices::publish_once;
use crate::store::{KeyPolicies, StoreError, StoredKeyPolicy, WriteBatch};
use std::collections::HashMap;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The actor of the scan's own changes (`system:key-expiry-notifier`).
const SYSTEM: &str = "key-expiry-notifier";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct UpkeepSummary {
    pub idle_warnings: usize,
    pub disabled_idle: usize,
    pub rotation_due: usize,
    /// Notices an earlier run sent, and keys that changed while the scan decided.
    pub skipped: usize,
}

/// Each tenant's key policy, read once per run; `None` when it has no rule the scan
/// applies.
#[derive(Default)]
pub struct Policies(HashMap<TenantId, Option<Arc<StoredKeyPolicy>>>);

impl Policies {
    async fn of(
        &mut self,
        store: &KeyPolicies,
        tenant: &TenantId,
    ) -> Result<Option<Arc<StoredKeyPolicy>>, String> {
        if let Some(known) = self.0.get(tenant) {
            return Ok(known.clone());
        }
        let stored = store.get(tenant).await.map_err(|e| e.to_string())?;
        let relevant = stored.policy.needs_upkeep().then(|| Arc::new(stored));
        self.0.insert(tenant.clone(), relevant.clone());
        Ok(relevant)
    }
}

/// Applies the tenant's idle and rotation-age rules to one active key.
pub async fn keep_in_line(
    app: &App,
    key: &KeyRecord,
    now: OffsetDateTime,
    policies: &mut Policies,
    summary: &mut UpkeepSummary,
) -> Result<(), String> {
    let Some(stored) = policies.of(&app.key_policies, &key.tenant_id).await? else {
        return Ok(());
    };
    for due in stored.policy.upkeep(key, now, stored.updated_at) {
        let done = match due {
            Upkeep::IdleWarning {
                idle_since,
                disable_at,
            } => warn_idle(app, key, now, idle_since, disable_at).await?,
            Upkeep::DisableIdle {
                idle_since,
                max_idle_days,
            } => disable_idle(app, key, now, idle_since, max_idle_days).await?,
            Upkeep::RotationDue {
                due_since,
                rotate_after_days,
            } => rotation_due(app, key, now, due_since, rotate_after_days).await?,
        };
        match (done, &due) {
            (false, _) => summary.skipped += 1,
            (true, Upkeep::IdleWarning { .. }) => summary.idle_warnings += 1,
            (true, Upkeep::DisableIdle { .. }) => summary.disabled_idle += 1,
            (true, Upkeep::RotationDue { .. }) => summary.rotation_due += 1,
        }
    }
    Ok(())
}

fn system_audit(key: &KeyRecord, action: &str, now: OffsetDateTime) -> AuditEvent {
    AuditEvent::system(&key.tenant_id, action, SYSTEM, now)
        .target(TargetKind::ApiKey, key.key_id.as_str())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `api_key.idle_warning`, once per idle stretch (a key used again and idle again
/// is warned again).
async fn warn_idle(
    app: &App,
    key: &KeyRecord,
    now: OffsetDateTime,
    idle_since: OffsetDateTime,
    disable_at: OffsetDateTime,
) -> Result<bool, String> {
    let event = DomainEvent::new(
        "api_key.idle_warning",
        Category::Lifecycle,
        &key.tenant_id,
        now,
        serde_json::json!({
            "key": key.view(),
            "idle_since": rfc3339(idle_since),
            "disable_at": rfc3339(disable_at),
        }),
    );
    let audit = system_audit(key, "api_key.idle_warning", now)
        .detail(format!(
            "unused since {}; disabled at {} unless used first",
            rfc3339(idle_since),
            rfc3339(disable_at)
        ))
        .publishing(event);
    let marker = format!(
        "IDLE_NOTICE#{}#{}#{}",
        key.tenant_id,
        key.key_id,
        idle_since.unix_timestamp()
    );
    publish_once(app, &marker, disable_at + Duration::DAY, &audit).await
}

/// Disables the key and publishes `api_key.disabled_idle`, in one transaction.
async fn disable_idle(
    app: &App,
    key: &KeyRecord,
    now: OffsetDateTime,
    idle_since: OffsetDateTime,
    max_idle_days: u32,
) -> Result<bool, String> {
    let disabled = KeyRecord {
        status: KeyStatus::Disabled,
        updated_at: Some(now),
        version: key.version + 1,
        ..key.clone()
    };
    let detail = format!(
        "unused since {}; the key policy disables {} keys idle {max_idle_days} days",
        rfc3339(idle_since),
        key.environment
    );
    let event = DomainEvent::new(
        "api_key.disabled_idle",
        Category::Lifecycle,
        &key.tenant_id,
        now,
        serde_json::json!({
            "key": disabled.view(),
            "idle_since": rfc3339(idle_since),
            "max_idle_days": max_idle_days,
        }),
    );
    let audit = system_audit(key, "api_key.disable_idle", now)
        .changes(
            Change::of("status", &key.status, &disabled.status)
                .into_iter()
                .collect(),
        )
        .detail(detail)
        .publishing(event);
    let write = || -> Result<WriteBatch, StoreError> {
        let mut batch = WriteBatch::new();
        app.keys.put_changed(&mut batch, &disabled)?;
        app.audit.add_to(&mut batch, &audit)?;
        Ok(batch)
    };
    match app.dynamo.commit(write().map_err(|e| e.to_string())?).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(format!("idle key {} not disabled: {e}", key.key_id)),
    }
}

/// `api_key.rotation_due`, once per rotation period while the key stays unrotated.
async fn rotation_due(
    app: &App,
    key: &KeyRecord,
    now: OffsetDateTime,
    due_since: OffsetDateTime,
    rotate_after_days: u32,
) -> Result<bool, String> {
    let period = Duration::days(i64::from(rotate_after_days));
    // Which reminder this is: the first when the key falls due, another each period.
    let round = (now - due_since).whole_days() / period.whole_days().max(1);
    let event = DomainEvent::new(
        "api_key.rotation_due",
        Category::Lifecycle,
        &key.tenant_id,
        now,
        serde_json::json!({
            "key": key.view(),
            "rotate_after_days": rotate_after_days,
            "due_since": rfc3339(due_since),
            "age_days": (now - key.created_at).whole_days(),
        }),
    );
    let audit = system_audit(key, "api_key.rotation_due", now)
        .detail(format!(
            "issued {}; due for rotation since {}",
            rfc3339(key.created_at),
            rfc3339(due_since)
        ))
        .publishing(event);
    let marker = format!("ROTATION_DUE#{}#{}#{round}", key.tenant_id, key.key_id);
    let keep_until = due_since + period * (round as i32 + 1) + Duration::DAY;
    publish_once(app, &marker, keep_until, &audit).await
}
