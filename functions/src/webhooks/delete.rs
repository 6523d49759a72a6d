//! `DELETE /v2/webhooks/{webhook_id}`: removes an endpoint and its sealed secrets;
//! nothing more is delivered to it. Audited.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::lifecycle;
use gatehouse::store::WriteBatch;
use gatehouse::webhooks::endpoint::EndpointView;
use gatehouse::webhooks::manage::{load_endpoint, view};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.delete";

pub const DOC: Operation = Operation {
    description: "Removes the endpoint and its sealed secrets; nothing more is delivered to it.",
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Webhooks,
        "Delete a webhook endpoint",
        &[Reply::new(
            200,
            "The endpoint as it was",
            of::<EndpointView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let endpoint = load_endpoint(call).await?;
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Webhook,
            endpoint.webhook_id.as_str(),
        )
        .detail(endpoint.url.clone());
    let mut batch = WriteBatch::new();
    call.app.endpoints.delete(&mut batch, &endpoint)?;
    lifecycle::commit(call, batch, &audit).await?;
    let shown = view(call, &endpoint).await?;
    // The counts would expire on their own; a webhook id is never reused either way.
    call.app
        .deliveries
        .reset_counts(&endpoint.tenant_id, &endpoint.webhook_id)
        .await?;
    Ok(json_response(200, &shown))
}
