//! Failed verifications against one key id (a well-formed key whose secret is wrong),
//! counted across all authorizer containers in fixed windows in the ephemeral table.
//! The request that reaches the threshold raises one security event and one audit
//! event for the window; the ones after it are only counted.

use crate::App;
use crate::audit::{Actor, AuditEvent, Origin};
use crate::events::{Category, DomainEvent};
use crate::keys::KeyRecord;
use crate::store::StoreError;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    pub threshold: u64,
    pub window: Duration,
}

/// Counts one failure; returns the count in the current window.
pub async fn record_failure(
    app: &App,
    key: &KeyRecord,
    origin: &Origin,
) -> Result<u64, StoreError> {
    let policy = app.config.failure_policy;
    let now = app.clock.now();
    let window_secs = policy.window.whole_seconds().max(1);
    let window_start = now.unix_timestamp().div_euclid(window_secs) * window_secs;
    let pk = format!("FAILURES#{}#{}#{window_start}", key.tenant_id, key.key_id);
    let count = app
        .failure_counts
        .add(&pk, window_start + 2 * window_secs)
        .await?;
    if count == policy.threshold {
        raise(app, key, origin, count, window_start, window_secs).await;
    }
    Ok(count)
}

async fn raise(
    app: &App,
    key: &KeyRecord,
    origin: &Origin,
    count: u64,
    window_start: i64,
    window_secs: i64,
) {
    let started =
        OffsetDateTime::from_unix_timestamp(window_start).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let detail = format!(
        "{count} failed verifications of key {} since {} (window {window_secs} s)",
        key.key_id, started
    );
    tracing::warn!(tenant_id = %key.tenant_id, key_id = %key.key_id, count, "repeated failed verifications");
    let actor = Actor {
        principal: "anonymous".into(),
        key_id: None,
    };
    let audit = AuditEvent::new(
        &key.tenant_id,
        "api_key.verification_failures",
        actor,
        origin.clone(),
        app.clock.precise_now(),
    )
    .target(crate::audit::TargetKind::ApiKey, key.key_id.as_str())
    .refused(403, detail.clone());
    let event = DomainEvent::new(
        "api_key.verification_failures",
        Category::Security,
        &key.tenant_id,
        app.clock.now(),
        serde_json::json!({
            "key_id": key.key_id,
            "attempts": count,
            // RFC 3339, as every other time Gatehouse publishes.
            "window_started_at": started
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            "window_seconds": window_secs,
            "source_ip": origin.source_ip,
            "user_agent": origin.user_agent,
            "audit_event_id": audit.event_id,
        }),
    );
    let audit = audit.publishing(event);
    if let Err(e) = app.audit.put(&audit).await {
        tracing::error!(error = %e, "failed-verification alert not audited");
    }
}
