//! `GET /v2/webhooks/deliveries/{delivery_id}`: one delivery with every attempt
//! (time, status, latency, the start of the response, error class).

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::webhooks::delivery::DeliveryView;
use gatehouse::webhooks::manage::load_delivery;
use schemars::JsonSchema;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::AUDIT.with(Needs::DELIVERIES).with(Needs::DISPATCH);

/// A delivery and every attempt made.
#[derive(serde::Serialize, JsonSchema)]
struct DeliveryDetail {
    delivery: DeliveryView,
    attempts: Vec<gatehouse::webhooks::delivery::AttemptLog>,
}

pub const ACTION: &str = "webhook.delivery_read";

pub const DOC: Operation = Operation {
    description: "The delivery with every attempt.",
    ..Operation::new(
        Tag::Webhooks,
        "Read a delivery",
        &[Reply::new(200, "The delivery", of::<DeliveryDetail>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let (delivery, attempts) = load_delivery(call).await?;
    Ok(json_response(
        200,
        &DeliveryDetail {
            delivery: delivery.view(),
            attempts,
        },
    ))
}
