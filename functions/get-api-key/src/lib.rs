//! `GET /v2/api-keys/{key_id}`: one key's metadata, masked.
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::lifecycle::load_key;
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "api_key.read";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(get(call))).await
}

async fn get(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
    let key = load_key(call).await?;
    Ok(json_response(200, &key.view()))
}
