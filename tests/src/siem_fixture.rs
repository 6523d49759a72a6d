//! The audit event the SIEM tests start from: a key created by `ops@example.com` with a
//! key of its own, from 203.0.113.7 with curl, at `at`.

use gatehouse::audit::{Actor, AuditEvent, Origin, TargetKind};
use gatehouse::ids::{KeyId, TenantId};

pub fn audit_event(action: &str, at: time::OffsetDateTime) -> AuditEvent {
    AuditEvent::new(
        &TenantId::parse("acme000001").expect("a tenant id"),
        action,
        Actor {
            principal: "ops@example.com".into(),
            key_id: Some(KeyId::parse("4fT7wq2LmN").expect("a key id")),
        },
        Origin {
            source_ip: Some("203.0.113.7".into()),
            user_agent: Some("curl/8.5.0".into()),
            request_id: Some("Rq1ABCdefGHI=".into()),
            route: Some("POST /v2/api-keys".into()),
        },
        at,
    )
    .target(TargetKind::ApiKey, "9hV2nB6dS3")
}
