//! Routing, in the event publisher: each committed audit event becomes a security
//! event, and one queue message per destination whose filter passes it. A tenant's
//! destinations receive only that tenant's events; a destination of the platform
//! operator's tenant marked `all_tenants` receives every tenant's.

use super::delivery::SiemMessage;
use super::destination::Destination;
use super::event::SecurityEvent;
use crate::App;
use crate::audit::AuditEvent;
use crate::ids::TenantId;
use crate::store::StoreError;
use crate::store::siem_stats::Counts;
use std::collections::HashMap;
use std::sync::Arc;

/// What routing a batch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Routed {
    /// Messages queued.
    pub queued: usize,
    /// Events a destination's filter did not pass.
    pub dropped: usize,
}

/// Why routing stopped: the index of the first audit event whose messages may not
/// all be queued, and what went wrong.
#[derive(Debug)]
pub struct RouteError {
    pub first_unrouted: usize,
    pub detail: String,
}

/// The tenant's destinations, from the cache or read (and cached).
async fn destinations_of(
    app: &App,
    tenant: &TenantId,
) -> Result<Arc<Vec<Destination>>, StoreError> {
    if let Some(found) = app.siem.routes.get(tenant) {
        return Ok(found);
    }
    let found = Arc::new(app.siem.destinations.list(tenant).await?);
    app.siem.routes.put(tenant.clone(), found.clone());
    Ok(found)
}

/// Queues every event of `audits` for the destinations that receive it.
pub async fn route(app: &App, audits: &[&AuditEvent]) -> Result<Routed, RouteError> {
    let now = app.clock.now();
    let fail = |first_unrouted: usize, detail: String| RouteError {
        first_unrouted,
        detail,
    };
    let platform = match &app.config.platform_tenant_id {
        Some(platform) => destinations_of(app, platform)
            .await
            .map_err(|e| fail(0, e.to_string()))?
            .iter()
            .filter(|d| d.all_tenants)
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    let mut messages = Vec::new();
    // The audit event each message came from.
    let mut owners = Vec::new();
    let mut dropped: HashMap<(TenantId, crate::ids::IntegrationId), u64> = HashMap::new();
    for (index, audit) in audits.iter().enumerate() {
        let Some(tenant) = &audit.tenant_id else {
            continue;
        };
        let own = destinations_of(app, tenant)
            .await
            .map_err(|e| fail(index, e.to_string()))?;
        let event = SecurityEvent::from_audit(audit);
        // The platform's own events reach its all-tenants destinations once.
        let candidates = own
            .iter()
            .chain(platform.iter().filter(|d| d.tenant_id != *tenant));
        for destination in candidates.filter(|d| d.enabled) {
            if destination.receives(tenant.as_str(), &event) {
                messages.push(SiemMessage {
                    destination_tenant: destination.tenant_id.clone(),
                    destination_id: destination.destination_id.clone(),
                    event: event.clone(),
                    attempt: 0,
                    first_queued_at: now,
                    due_at: now,
                });
                owners.push(index);
            } else {
                *dropped
                    .entry((
                        destination.tenant_id.clone(),
                        destination.destination_id.clone(),
                    ))
                    .or_default() += 1;
            }
        }
    }
    app.siem
        .queue
        .send_all(&messages, now)
        .await
        .map_err(|(i, e)| fail(owners[i], e.to_string()))?;
    let dropped_total = dropped.values().sum::<u64>() as usize;
    for ((tenant, destination), count) in dropped {
        let counts = Counts {
            dropped: count,
            ..Counts::default()
        };
        // Statistics are best effort: a lost count never holds up events.
        if let Err(e) = app
            .siem
            .stats
            .add(&tenant, &destination, now, &counts)
            .await
        {
            tracing::warn!(error = %e, destination_id = %destination, "filter drops not counted");
        }
    }
    Ok(Routed {
        queued: messages.len(),
        dropped: dropped_total,
    })
}
