//! `POST /v2/integrations/siem/{destination_id}/test` (`establish_siem_connection`):
//! delivers a test event (`siem.destination.test`, an API activity) to the
//! destination now, as events are delivered (for HEC, its health endpoint is asked
//! first), records the result as the destination's health and answers with a
//! diagnosis a person can act on.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::integrations::HealthView;
use gatehouse::siem::SecurityEvent;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::SECRETS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "siem.destination.test";

pub const DOC: Operation = Operation {
    description: "Sends one test event (action `siem.destination.test`) through the destination's transport and format now, and records the result as its health. A failed delivery is a 200 with `healthy: false` and the diagnosis: DNS, the address check, connect, TLS, the sink's answer (HEC codes, HTTP statuses).",
    ..Operation::new(
        Tag::Integrations,
        "Test a SIEM destination",
        &[Reply::new(200, "The check's result", of::<TestResult>())],
    )
};

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemTestResult")]
struct TestResult {
    destination_id: gatehouse::ids::IntegrationId,
    /// The id of the test event the destination should now hold.
    event_id: String,
    #[serde(flatten)]
    health: HealthView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let destination = gatehouse::siem::load(call).await?;
    let audit = gatehouse::siem::audit(call, ACTION, &destination.destination_id);
    let event = SecurityEvent::from_audit(&audit);
    let event_id = event.id.clone();
    let checked = gatehouse::siem::check::check(call.app, &destination, event, call.now).await;
    call.app
        .siem
        .destinations
        .record_health(
            &destination.tenant_id,
            &destination.destination_id,
            &checked.health,
        )
        .await?;
    let audit = match &checked.diagnosis {
        Some(why) => audit.detail(format!("unhealthy: {why}")),
        None => audit.detail("delivered"),
    };
    call.app.audit.put(&audit).await?;
    Ok(json_response(
        200,
        &TestResult {
            destination_id: destination.destination_id,
            event_id,
            health: HealthView::of(&checked.health),
        },
    ))
}
