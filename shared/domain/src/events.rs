//! Domain and security events, published to the events queue for webhooks and SIEMs.
//!
//! Publishing happens after the change is committed; if SQS refuses, the event is
//! logged and the change stands (its audit event is stored with it, so nothing is
//! unaccounted for).

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

#[derive(Debug, Clone, Serialize, Deserialize)]
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
