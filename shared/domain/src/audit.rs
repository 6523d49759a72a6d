//! The append-only audit trail: who did what to which object, from where, with what
//! outcome and which changes. Never a secret: events name keys by id and record only
//! the fields a caller can see.

use crate::events::DomainEvent;
use crate::ids::{KeyId, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// `success`; `refused`: the call was refused (bad input, missing scope, unknown
/// object, conflict); or `failed`: work Gatehouse does on its own failed (a webhook
/// delivery given up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Refused,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Actor {
    pub principal: String,
    pub key_id: Option<KeyId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Target {
    // One of [`TargetKind`], kept as text: it is read back from stored events.
    #[schemars(with = "TargetKind")]
    pub kind: String,
    pub id: String,
}

/// The kinds of object an audit event names: the OpenAPI document's `AuditEvent`
/// target enum must list exactly these (tests/tests/openapi.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    ApiKey,
    Scope,
    Route,
    AccessPolicy,
    KeyPolicy,
    Webhook,
    WebhookDelivery,
    Secret,
    Integration,
    Lease,
    Principal,
}

impl schemars::JsonSchema for TargetKind {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TargetKind".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Self::ALL.iter().map(|kind| kind.as_str()).collect();
        schemars::json_schema!({"type": "string", "enum": names})
    }
}

impl TargetKind {
    pub const ALL: [TargetKind; 11] = [
        Self::ApiKey,
        Self::Scope,
        Self::Route,
        Self::AccessPolicy,
        Self::KeyPolicy,
        Self::Webhook,
        Self::WebhookDelivery,
        Self::Secret,
        Self::Integration,
        Self::Lease,
        Self::Principal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::Scope => "scope",
            Self::Route => "route",
            Self::AccessPolicy => "access_policy",
            Self::KeyPolicy => "key_policy",
            Self::Webhook => "webhook",
            Self::WebhookDelivery => "webhook_delivery",
            Self::Secret => "secret",
            Self::Integration => "integration",
            Self::Lease => "lease",
            Self::Principal => "principal",
        }
    }
}

/// One field that a mutation changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

impl Change {
    /// A change record, or `None` when the value did not change.
    pub fn of<T: Serialize + PartialEq>(field: &str, from: &T, to: &T) -> Option<Self> {
        (from != to).then(|| Self {
            field: field.to_owned(),
            from: serde_json::to_value(from).unwrap_or(Value::Null),
            to: serde_json::to_value(to).unwrap_or(Value::Null),
        })
    }
}

/// Where a call came from, as API Gateway saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Origin {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub route: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEvent {
    pub event_id: String,
    #[serde(skip)]
    pub tenant_id: Option<TenantId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// e.g. `api_key.create`, `api_key.revoke`, `scope.create`, `audit.read`.
    pub action: String,
    pub outcome: Outcome,
    pub actor: Actor,
    pub target: Option<Target>,
    pub origin: Origin,
    /// The HTTP status the caller received.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// A reason, an incident description or the problem type of a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The domain event this change publishes. It is stored in the same item, so the
    /// audit table's stream (the outbox) carries it exactly when the change committed;
    /// it is not part of the audit trail's API.
    #[serde(skip)]
    #[schemars(skip)]
    pub published: Option<DomainEvent>,
}

impl AuditEvent {
    pub fn new(
        tenant_id: &TenantId,
        action: &str,
        actor: Actor,
        origin: Origin,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            event_id: crate::keys::base62::random_string(16).unwrap_or_default(),
            tenant_id: Some(tenant_id.clone()),
            occurred_at: now,
            action: action.to_owned(),
            outcome: Outcome::Success,
            actor,
            target: None,
            origin,
            status: 200,
            changes: Vec::new(),
            detail: None,
            published: None,
        }
    }

    /// An event of Gatehouse's own doing (a scheduled job, a consumer), by `system`
    /// (`usage-ingest`, `webhook-dispatcher`, ...): its actor is `system:<system>`.
    pub fn system(tenant_id: &TenantId, action: &str, system: &str, now: OffsetDateTime) -> Self {
        let actor = Actor {
            principal: format!("system:{system}"),
            key_id: None,
        };
        Self::new(tenant_id, action, actor, Origin::default(), now)
    }

    pub fn target(mut self, kind: TargetKind, id: impl Into<String>) -> Self {
        self.target = Some(Target {
            kind: kind.as_str().to_owned(),
            id: id.into(),
        });
        self
    }

    pub fn changes(mut self, changes: Vec<Change>) -> Self {
        self.changes = changes;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Publishes `event` with this audit event: webhooks and SIEMs receive it once the
    /// write that stores this audit event has committed, and never otherwise.
    pub fn publishing(mut self, event: DomainEvent) -> Self {
        self.published = Some(event);
        self
    }

    /// Work of Gatehouse's own that failed, and why.
    pub fn failed(mut self, detail: impl Into<String>) -> Self {
        self.outcome = Outcome::Failed;
        self.detail = Some(detail.into());
        self
    }

    pub fn refused(mut self, status: u16, detail: impl Into<String>) -> Self {
        self.outcome = Outcome::Refused;
        self.status = status;
        self.detail = Some(detail.into());
        self
    }
}
