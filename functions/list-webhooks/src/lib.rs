//! `GET /v2/webhooks`: the tenant's webhook endpoints (at most 50), without secrets.
#![forbid(unsafe_code)]

use futures_util::future::try_join_all;
use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, json_response};
use gatehouse::webhooks::manage::view;
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "webhook.list";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(list(call))).await
}

async fn list(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
    let endpoints = call.app.keys.list_endpoints(&call.caller.tenant_id).await?;
    let items = try_join_all(endpoints.iter().map(|e| view(call, e))).await?;
    Ok(json_response(200, &serde_json::json!({ "items": items })))
}
