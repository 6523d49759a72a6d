//! `GET /v2/webhooks/{webhook_id}`: one endpoint, with its state and health.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::webhooks::endpoint::EndpointView;
use gatehouse::webhooks::manage::{load_endpoint, view};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.read";

pub const DOC: Operation = Operation {
    description: "One endpoint with its state, circuit and health.",
    ..Operation::new(
        Tag::Webhooks,
        "Read a webhook endpoint",
        &[Reply::new(200, "The endpoint", of::<EndpointView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let endpoint = load_endpoint(call).await?;
    Ok(json_response(200, &view(call, &endpoint).await?))
}
