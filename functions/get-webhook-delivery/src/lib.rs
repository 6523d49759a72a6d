//! `GET /v2/webhooks/deliveries/{delivery_id}`: one delivery with every attempt
//! (time, status, latency, the start of the response, error class).
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, json_response};
use gatehouse::webhooks::manage::load_delivery;
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "webhook.delivery_read";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(get(call))).await
}

async fn get(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
    let (delivery, attempts) = load_delivery(call).await?;
    Ok(json_response(
        200,
        &serde_json::json!({ "delivery": delivery.view(), "attempts": attempts }),
    ))
}
