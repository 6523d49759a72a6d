//! `GET /v2/webhooks/{webhook_id}`: one endpoint, with its state and health.
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, json_response};
use gatehouse::webhooks::manage::{load_endpoint, view};
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "webhook.read";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(get(call))).await
}

async fn get(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
    let endpoint = load_endpoint(call).await?;
    Ok(json_response(200, &view(call, &endpoint).await?))
}
