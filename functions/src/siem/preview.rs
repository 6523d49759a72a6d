//! `POST /v2/integrations/siem/preview`: which of the tenant's latest audit events a
//! filter would pass, as the security events a destination would receive (class,
//! severity, outcome), and why each other one is held back.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::AuditQuery;
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::siem::destination::Filter;
use gatehouse::siem::{EventClass, SecurityEvent, Severity, Status};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::AUDIT.with(Needs::EPHEMERAL);

pub const ACTION: &str = "siem.filter.preview";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SiemFilterPreviewRequest")]
struct PreviewRequest {
    #[serde(default)]
    filter: Filter,
    /// How many of the latest events (default 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = 200))]
    limit: Option<usize>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemFilterPreviewItem")]
struct Item {
    event_id: String,
    action: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "gatehouse::schema::Rfc3339")]
    time: time::OffsetDateTime,
    class: EventClass,
    type_uid: u32,
    severity: Severity,
    outcome: Status,
    passes: bool,
    /// The rule that holds it back: `category`, `class`, `severity` or `outcome`.
    held_back_by: Option<&'static str>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemFilterPreview")]
struct Preview {
    passed: usize,
    held_back: usize,
    items: Vec<Item>,
}

pub const DOC: Operation = Operation {
    description: "Runs `filter` over the tenant's latest audit events, newest first, as the security events destinations receive; nothing is sent.",
    body: RequestBody::Required(of::<PreviewRequest>()),
    ..Operation::new(
        Tag::Integrations,
        "Preview a SIEM event filter",
        &[Reply::new(200, "What the filter passes", of::<Preview>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let request: PreviewRequest = json_body_up_to(call.req, 16 * 1024)?;
    let limit = request.limit.unwrap_or(50).clamp(1, 200);
    let page = call
        .app
        .audit
        .query(
            &call.caller.tenant_id,
            &AuditQuery {
                limit,
                ..AuditQuery::default()
            },
        )
        .await?;
    let items: Vec<Item> = page
        .events
        .iter()
        .map(|audit| {
            let event = SecurityEvent::from_audit(audit);
            let verdict = request.filter.check(&event);
            Item {
                event_id: audit.event_id.clone(),
                action: event.action.clone(),
                time: event.time,
                class: event.class,
                type_uid: event.type_uid(),
                severity: event.severity,
                outcome: event.status,
                passes: verdict.is_ok(),
                held_back_by: verdict.err(),
            }
        })
        .collect();
    let passed = items.iter().filter(|i| i.passes).count();
    Ok(json_response(
        200,
        &Preview {
            passed,
            held_back: items.len() - passed,
            items,
        },
    ))
}
