//! The one security event every encoder writes from, aligned with OCSF 1.x: a class
//! (`class_uid`), an activity within it, `type_uid = class_uid * 100 + activity_id`,
//! a severity, a status, the time in epoch milliseconds, the actor, where the call
//! came from, the tenant and the object acted on.

use super::classify::{Classification, classify};
use crate::audit::{AuditEvent, Outcome};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The OCSF classes Gatehouse's events belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemEventClass")]
pub enum EventClass {
    /// 3001: credentials created, rotated, revoked, re-scoped; principals disabled.
    AccountChange,
    /// 3002: logins, logouts, key verification failures.
    Authentication,
    /// 2004: anomalies, compromise reports, leak reports, trust changes.
    DetectionFinding,
    /// 6003: management calls.
    ApiActivity,
}

impl EventClass {
    pub const ALL: [EventClass; 4] = [
        Self::AccountChange,
        Self::Authentication,
        Self::DetectionFinding,
        Self::ApiActivity,
    ];

    pub fn uid(self) -> u32 {
        match self {
            Self::AccountChange => 3001,
            Self::Authentication => 3002,
            Self::DetectionFinding => 2004,
            Self::ApiActivity => 6003,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::AccountChange => "Account Change",
            Self::Authentication => "Authentication",
            Self::DetectionFinding => "Detection Finding",
            Self::ApiActivity => "API Activity",
        }
    }

    /// The name filter rules use (`account_change`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Self::AccountChange => "account_change",
            Self::Authentication => "authentication",
            Self::DetectionFinding => "detection_finding",
            Self::ApiActivity => "api_activity",
        }
    }

    pub fn category_uid(self) -> u32 {
        self.uid() / 1000
    }

    pub fn category_name(self) -> &'static str {
        match self.category_uid() {
            2 => "Findings",
            3 => "Identity & Access Management",
            _ => "Application Activity",
        }
    }
}

/// OCSF `severity_id` (1-5; Gatehouse raises nothing Fatal).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemSeverity")]
pub enum Severity {
    Informational = 1,
    Low = 2,
    Medium = 3,
    High = 4,
    Critical = 5,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Self::Informational,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    pub fn id(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Informational => "Informational",
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }

    /// The label filter rules use (`informational`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Self::Informational => "informational",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// CEF's and LEEF's 0-10 scale.
    pub fn ten(self) -> u8 {
        match self {
            Self::Informational => 1,
            Self::Low => 3,
            Self::Medium => 5,
            Self::High => 7,
            Self::Critical => 9,
        }
    }

    /// The syslog severity (RFC 5424 section 6.2.1).
    pub fn syslog(self) -> u8 {
        match self {
            Self::Informational => 6,
            Self::Low => 5,
            Self::Medium => 4,
            Self::High => 3,
            Self::Critical => 2,
        }
    }
}

/// OCSF `status_id`: 1 success, 2 failure (a refused call or failed work).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "SiemOutcome")]
pub enum Status {
    Success,
    Failure,
}

impl Status {
    pub fn id(self) -> u8 {
        match self {
            Self::Success => 1,
            Self::Failure => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Success => "Success",
            Self::Failure => "Failure",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Unique and stable: the tenant and the audit event id. Sinks that deduplicate
    /// (Elasticsearch `_id`) derive their id from it.
    pub id: String,
    pub tenant_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub class: EventClass,
    pub activity_id: u8,
    pub activity_name: String,
    pub severity: Severity,
    pub status: Status,
    /// Gatehouse's audit action (`api_key.create`).
    pub action: String,
    /// The domain event the change published (`api_key.created`), if any.
    pub event_type: Option<String>,
    /// Who acted: a key's principal, `sso:<id>`, `anonymous` or `system:<function>`.
    pub actor: String,
    pub actor_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// `METHOD /path` of the route called.
    pub route: Option<String>,
    /// The HTTP status the caller received (200 for Gatehouse's own work).
    pub http_status: u16,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// The names of the fields the change changed (never their values).
    pub changed: Vec<String>,
    /// One line a person can read.
    pub message: String,
    /// The reason, incident description or refusal, as audited.
    pub detail: Option<String>,
}

impl SecurityEvent {
    /// The event an audit event becomes. An action the model does not classify is API
    /// activity "Other" (the classification test keeps that from happening).
    pub fn from_audit(audit: &AuditEvent) -> Self {
        let c = classify(&audit.action).unwrap_or(Classification {
            class: EventClass::ApiActivity,
            activity_id: 99,
            activity_name: "Other",
            severity: Severity::Informational,
        });
        let c = refine(c, audit);
        let status = match audit.outcome {
            Outcome::Success => Status::Success,
            Outcome::Refused | Outcome::Failed => Status::Failure,
        };
        let severity = match (status, c.class) {
            (Status::Success, _) => c.severity,
            (Status::Failure, EventClass::Authentication) => c.severity.max(Severity::Medium),
            (Status::Failure, _) => c.severity.max(Severity::Low),
        };
        let tenant = audit
            .tenant_id
            .as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default();
        let outcome = match audit.outcome {
            Outcome::Success => "succeeded",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        };
        let mut message = format!("{} {outcome}", audit.action);
        if let Some(target) = &audit.target {
            message.push_str(&format!(" on {} {}", target.kind, target.id));
        }
        message.push_str(&format!(" by {}", audit.actor.principal));
        Self {
            id: format!("{tenant}.{}", audit.event_id),
            tenant_id: tenant,
            time: audit.occurred_at,
            class: c.class,
            activity_id: c.activity_id,
            activity_name: c.activity_name.to_owned(),
            severity,
            status,
            action: audit.action.clone(),
            event_type: audit.published.as_ref().map(|e| e.event_type.clone()),
            actor: audit.actor.principal.clone(),
            actor_key_id: audit.actor.key_id.as_ref().map(|k| k.as_str().to_owned()),
            source_ip: audit.origin.source_ip.clone(),
            user_agent: audit.origin.user_agent.clone(),
            request_id: audit.origin.request_id.clone(),
            route: audit.origin.route.clone(),
            http_status: audit.status,
            target_kind: audit.target.as_ref().map(|t| t.kind.clone()),
            target_id: audit.target.as_ref().map(|t| t.id.clone()),
            changed: audit.changes.iter().map(|c| c.field.clone()).collect(),
            message,
            detail: audit.detail.clone(),
        }
    }

    /// OCSF `type_uid`.
    pub fn type_uid(&self) -> u32 {
        self.class.uid() * 100 + u32::from(self.activity_id)
    }

    /// OCSF `type_name`: `<class>: <activity>`.
    pub fn type_name(&self) -> String {
        format!("{}: {}", self.class.name(), self.activity_name)
    }

    /// Epoch milliseconds.
    pub fn time_ms(&self) -> i64 {
        i64::try_from(self.time.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
    }
}

/// A key update that changes scopes is an Attach Policy (7) when any scope was
/// added, a Detach Policy (8) when only removed.
fn refine(c: Classification, audit: &AuditEvent) -> Classification {
    if audit.action != "api_key.update" {
        return c;
    }
    let Some(scopes) = audit.changes.iter().find(|ch| ch.field == "scopes") else {
        return c;
    };
    let list = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (from, to) = (list(&scopes.from), list(&scopes.to));
    let added = to.iter().any(|s| !from.contains(s));
    Classification {
        activity_id: if added { 7 } else { 8 },
        activity_name: if added {
            "Attach Policy"
        } else {
            "Detach Policy"
        },
        ..c
    }
}
