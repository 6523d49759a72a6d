//! Domain and security events, for webhooks and SIEMs.
//!
//! An event travels inside the audit event of the change it describes
//! ([`crate::audit::AuditEvent::publishing`]), in the same write. The audit table's
//! stream is the outbox: the event publisher reads committed audit items and sends
//! their events on, so an event exists if and only if its change committed.

use crate::ids::TenantId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Something changed (api_key.created, api_key.rotated, ...).
    Lifecycle,
    /// Something a security team must see (api_key.compromised, ...).
    Security,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: String,
    /// e.g. `api_key.created`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub category: Category,
    pub tenant_id: TenantId,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub data: Value,
}

impl DomainEvent {
    pub fn new(
        event_type: &str,
        category: Category,
        tenant_id: &TenantId,
        now: OffsetDateTime,
        data: Value,
    ) -> Self {
        Self {
            id: format!(
                "evt_{}",
                crate::keys::base62::random_string(20).unwrap_or_default()
            ),
            event_type: event_type.to_owned(),
            category,
            tenant_id: tenant_id.clone(),
            occurred_at: now,
            data,
        }
    }
}
