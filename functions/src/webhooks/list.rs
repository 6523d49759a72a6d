//! `GET /v2/webhooks`: the tenant's webhook endpoints (at most 50), without secrets.

use crate::openapi::{Operation, Reply, Tag};
use futures_util::future::try_join_all;
use gatehouse::config::Needs;
use gatehouse::http::body::Items;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::webhooks::endpoint::EndpointView;
use gatehouse::webhooks::manage::view;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.list";

pub const DOC: Operation = Operation {
    description: "The tenant's endpoints, without secrets.",
    ..Operation::new(
        Tag::Webhooks,
        "List webhook endpoints",
        &[Reply::new(
            200,
            "The endpoints",
            of::<Items<EndpointView>>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let endpoints = call.app.endpoints.list(&call.caller.tenant_id).await?;
    let items = try_join_all(endpoints.iter().map(|e| view(call, e))).await?;
    Ok(json_response(200, &Items { items }))
}
