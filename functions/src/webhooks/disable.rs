//! `POST /v2/webhooks/{webhook_id}/disable`: stops deliveries to an endpoint, with a
//! `reason`. Pending deliveries end as `skipped`; `recover` re-sends them later.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_body, json_response};
use gatehouse::keys::lifecycle::{self, reason_text};
use gatehouse::schema::PlainText;
use gatehouse::store::WriteBatch;
use gatehouse::webhooks::endpoint::EndpointView;
use gatehouse::webhooks::endpoint::{Disabled, EndpointStatus};
use gatehouse::webhooks::manage::{load_endpoint, view};
use schemars::JsonSchema;
use serde::Deserialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.disable";

pub const DOC: Operation = Operation {
    description: "Stops deliveries, with a reason. Pending deliveries end as skipped.",
    body: RequestBody::Required(of::<DisableRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Webhooks,
        "Disable a webhook endpoint",
        &[Reply::new(200, "The endpoint", of::<EndpointView>())],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DisableWebhookRequest")]
struct DisableRequest {
    #[schemars(with = "PlainText<1, 500>")]
    reason: String,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: DisableRequest = json_body(call.req)?;
    let reason = reason_text(&body.reason, "reason")?;
    let mut endpoint = load_endpoint(call).await?;
    if endpoint.status == EndpointStatus::Disabled {
        return Ok(json_response(200, &view(call, &endpoint).await?));
    }
    endpoint.status = EndpointStatus::Disabled;
    endpoint.disabled = Some(Disabled {
        at: call.now,
        by: call.caller.principal.clone(),
        reason: reason.clone(),
    });
    endpoint.version += 1;
    endpoint.updated_at = Some(call.now);
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Webhook,
            endpoint.webhook_id.as_str(),
        )
        .detail(reason);
    let mut batch = WriteBatch::new();
    call.app.endpoints.put_changed(&mut batch, &endpoint)?;
    lifecycle::commit(call, batch, &audit).await?;
    Ok(json_response(200, &view(call, &endpoint).await?))
}
