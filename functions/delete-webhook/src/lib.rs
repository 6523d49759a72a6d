//! `DELETE /v2/webhooks/{webhook_id}`: removes an endpoint and its sealed secrets;
//! nothing more is delivered to it. Audited.
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::lifecycle;
use gatehouse::store::WriteBatch;
use gatehouse::webhooks::manage::{load_endpoint, view};
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "webhook.delete";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(delete(call))).await
}

async fn delete(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
    let endpoint = load_endpoint(call).await?;
    let audit = call
        .audit_event(ACTION)
        .target("webhook", endpoint.webhook_id.as_str())
        .detail(endpoint.url.clone());
    let mut batch = WriteBatch::new();
    call.app.keys.delete_endpoint(&mut batch, &endpoint)?;
    lifecycle::commit(call, batch, &audit).await?;
    let shown = view(call, &endpoint).await?;
    // The counts would expire on their own; a webhook id is never reused either way.
    call.app
        .deliveries
        .reset_counts(&endpoint.tenant_id, &endpoint.webhook_id)
        .await?;
    Ok(json_response(200, &shown))
}
