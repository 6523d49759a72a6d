//! `POST /v2/webhooks/{webhook_id}/enable`: resumes deliveries to a disabled
//! endpoint, with a fresh circuit breaker.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::lifecycle;
use gatehouse::store::WriteBatch;
use gatehouse::webhooks::circuit::Breaker;
use gatehouse::webhooks::endpoint::EndpointStatus;
use gatehouse::webhooks::endpoint::EndpointView;
use gatehouse::webhooks::manage::{load_endpoint, view};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.enable";

pub const DOC: Operation = Operation {
    description: "Resumes deliveries, with a fresh circuit breaker.",
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Webhooks,
        "Enable a webhook endpoint",
        &[Reply::new(200, "The endpoint", of::<EndpointView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let mut endpoint = load_endpoint(call).await?;
    if endpoint.status == EndpointStatus::Active {
        return Ok(json_response(200, &view(call, &endpoint).await?));
    }
    endpoint.status = EndpointStatus::Active;
    endpoint.disabled = None;
    endpoint.breaker = Breaker::default();
    endpoint.version += 1;
    endpoint.updated_at = Some(call.now);
    let audit = call.audit_event(ACTION).target(
        gatehouse::audit::TargetKind::Webhook,
        endpoint.webhook_id.as_str(),
    );
    let mut batch = WriteBatch::new();
    call.app.endpoints.put_changed(&mut batch, &endpoint)?;
    lifecycle::commit(call, batch, &audit).await?;
    call.app
        .deliveries
        .reset_counts(&endpoint.tenant_id, &endpoint.webhook_id)
        .await?;
    Ok(json_response(200, &view(call, &endpoint).await?))
}
