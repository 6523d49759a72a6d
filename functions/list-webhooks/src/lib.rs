//! `GET /v2/webhooks`: the tenant's webhook endpoints (at most 50), without secrets.
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, json_response};
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "webhook.list";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(list(call))).await
}

async fn list(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
    let endpoints = call.app.keys.list_endpoints(&call.caller.tenant_id).await?;
    let items: Vec<_> = endpoints.iter().map(|e| e.view()).collect();
    Ok(json_response(200, &serde_json::json!({ "items": items })))
}
