//! `POST /v2/webhooks/{webhook_id}/test`: sends a signed `webhook.test` ping now,
//! outside the queue, and returns the endpoint's status code, the latency and the
//! start of its response.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::events::{Category, DomainEvent};
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::webhooks::client::OutboundClient;
use gatehouse::webhooks::delivery::payload;
use gatehouse::webhooks::manage::load_endpoint;
use gatehouse::webhooks::sealed::Owner;
use gatehouse::webhooks::signature::{
    HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, signature_header,
};
use schemars::JsonSchema;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::SEALING)
    .with(Needs::OUTBOUND);

/// What the endpoint answered to the test ping.
#[derive(serde::Serialize, JsonSchema)]
struct WebhookTestResult {
    webhook_id: gatehouse::ids::WebhookId,
    message_id: String,
    status_code: Option<u16>,
    success: bool,
    latency_ms: u64,
    /// The start of the endpoint's answer.
    #[schemars(length(max = 1024))]
    response: String,
    error: Option<gatehouse::webhooks::delivery::ErrorClass>,
    error_detail: Option<String>,
}

pub const ACTION: &str = "webhook.test";

pub const DOC: Operation = Operation {
    description: "Sends a signed `webhook.test` event now, outside the queue, and returns the endpoint's answer.",
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Webhooks,
        "Send a test ping",
        &[Reply::new(
            200,
            "What the endpoint answered",
            of::<WebhookTestResult>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let endpoint = load_endpoint(call).await?;
    let owner = Owner {
        tenant_id: endpoint.tenant_id.as_str(),
        webhook_id: endpoint.webhook_id.as_str(),
    };
    let secret = call
        .app
        .sealer
        .open(&endpoint.secret, owner)
        .await
        .map_err(|e| Problem::unavailable(&e))?;
    let event = DomainEvent::new(
        "webhook.test",
        Category::Lifecycle,
        &endpoint.tenant_id,
        call.now,
        serde_json::json!({ "webhook_id": endpoint.webhook_id, "message": "a test from Gatehouse" }),
    );
    let body = payload(&event);
    let timestamp = call.app.clock.now().unix_timestamp();
    let headers = [
        (HEADER_ID, event.id.clone()),
        (HEADER_TIMESTAMP, timestamp.to_string()),
        (
            HEADER_SIGNATURE,
            signature_header(&[&secret], &event.id, timestamp, body.as_bytes()),
        ),
    ];
    let client =
        OutboundClient::from_config(&call.app.config).map_err(|e| Problem::internal(&e))?;
    let outcome = client.post(&endpoint.url, &headers, body.into()).await;
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Webhook,
            endpoint.webhook_id.as_str(),
        )
        .detail(match outcome.status {
            Some(status) => format!("answered {status}"),
            None => "no answer".to_owned(),
        });
    call.app.audit.put(&audit).await?;
    Ok(json_response(
        200,
        &WebhookTestResult {
            success: outcome.status.is_some_and(|s| (200..300).contains(&s)),
            latency_ms: u64::try_from(outcome.latency.as_millis()).unwrap_or(u64::MAX),
            webhook_id: endpoint.webhook_id,
            message_id: event.id,
            status_code: outcome.status,
            response: outcome.response_excerpt,
            error: outcome.error,
            error_detail: outcome.error_detail,
        },
    ))
}
