//! `GET /v2/access-policy`: the tenant's route scopes and plan limits.
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::call::{Call, handle_call};
use gatehouse::http::{ApiResult, json_response};
use gatehouse::limits::view::PolicyView;
use lambda_http::{Body, Request, Response};

pub const ACTION: &str = "access_policy.read";

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_call(app, &req, ACTION, |call| Box::pin(get(call))).await
}

async fn get(call: &Call<'_>) -> ApiResult {
    call.require_route_scope()?;
    let stored = call.app.keys.get_policy(&call.caller.tenant_id).await?;
    Ok(json_response(200, &PolicyView::from(stored)))
}
