//! One event's delivery to one endpoint, and the messages that drive it.
//!
//! A delivery is created by fan-out with the exact bytes every attempt sends (the
//! payload is fixed once, so a retry is byte-identical and carries the same
//! `webhook-id`). Each attempt is logged; the delivery ends `delivered`, `failed`
//! (schedule used up, endpoint gone) or `skipped` (endpoint deleted or disabled).

use crate::events::DomainEvent;
use crate::ids::{TenantId, WebhookId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Skipped,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed, Self::Skipped]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub tenant_id: TenantId,
    pub delivery_id: String,
    pub webhook_id: WebhookId,
    /// The `webhook-id` header: the event's id, the same on every attempt.
    pub message_id: String,
    pub event_type: String,
    /// The exact body every attempt sends.
    pub payload: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_status: Option<u16>,
    /// How long the last attempt took, answer or not.
    #[serde(default)]
    pub last_latency_ms: Option<u64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
}

impl Delivery {
    /// As the API shows it: the payload as JSON, the tenant implied.
    /// The delivery as the API returns it: the payload as the JSON object it sends.
    pub fn view(&self) -> DeliveryView {
        DeliveryView {
            delivery_id: self.delivery_id.clone(),
            webhook_id: self.webhook_id.clone(),
            message_id: self.message_id.clone(),
            event_type: self.event_type.clone(),
            payload: serde_json::from_str(&self.payload).unwrap_or_default(),
            created_at: self.created_at,
            status: self.status,
            attempts: self.attempts,
            last_status: self.last_status,
            last_latency_ms: self.last_latency_ms,
            finished_at: self.finished_at,
            reason: self.reason.clone(),
        }
    }
}

/// A delivery id (`dlv_<webhook id>_<event id>`), for the document's path parameter.
pub struct DeliveryIdText;

crate::inline_string_schema!(DeliveryIdText, "DeliveryId", {
    "type": "string",
    "pattern": "^dlv_[0-9A-Za-z]{10}_[0-9A-Za-z]{1,64}$",
});

/// A delivery as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Delivery")]
pub struct DeliveryView {
    pub delivery_id: String,
    pub webhook_id: WebhookId,
    /// The webhook-id header, the same on every attempt.
    pub message_id: String,
    pub event_type: String,
    /// The body every attempt sends.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub payload: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_status: Option<u16>,
    /// How long the last attempt took, in milliseconds.
    pub last_latency_ms: Option<u64>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub finished_at: Option<OffsetDateTime>,
    pub reason: Option<String>,
}

/// One attempt, as the delivery log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttemptLog {
    pub attempt: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub at: OffsetDateTime,
    pub status: Option<u16>,
    pub latency_ms: u64,
    #[schemars(length(max = 1024))]
    pub response_excerpt: String,
    pub error: Option<ErrorClass>,
    pub error_detail: Option<String>,
}

/// The delivery queue's message: which delivery, to which endpoint, which attempt,
/// and when it is due (waits longer than SQS's 15-minute delay arrive early and are
/// sent on again). The endpoint is named so the dispatcher can read it without
/// reading the delivery first; messages queued before it was added lack it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub tenant_id: TenantId,
    pub delivery_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<WebhookId>,
    pub attempt: u32,
    #[serde(with = "time::serde::timestamp")]
    pub due_at: OffsetDateTime,
}

/// The body endpoints receive: Standard Webhooks' recommended shape.
pub fn payload(event: &DomainEvent) -> String {
    serde_json::json!({
        "type": event.event_type,
        "timestamp": event.occurred_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "tenant_id": event.tenant_id,
        "data": event.data,
    })
    .to_string()
}

/// Why an attempt got no HTTP status: `refused` (the destination is, or resolved to,
/// an internal address, or the URL is refused), `timeout`, `connect` (DNS failure,
/// connection refused or reset, TLS failure), `body` (the response started but broke
/// off) or `other`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    // The destination is (or resolved to) an internal address, or the URL is refused.
    Refused,
    Timeout,
    // DNS failure, connection refused or reset, TLS failure.
    Connect,
    // The response started but broke off.
    Body,
    Other,
}

/// One row of a webhook's delivery list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct DeliverySummary {
    pub delivery_id: String,
    pub event_type: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_latency_ms: Option<u64>,
}
