//! `GET /v2/webhooks/{webhook_id}/deliveries`: an endpoint's deliveries, newest
//! first. Query: `from`, `to` (RFC 3339; default the last 7 days), `status`
//! (`pending`, `delivered`, `failed`, `skipped`), `limit` (1-200, default 50).

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::Items;
use gatehouse::http::call::Call;
use gatehouse::http::query::Param;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse::webhooks::delivery::DeliverySummary;
use gatehouse::webhooks::manage::load_endpoint;
use time::Duration;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.deliveries_read";

const FROM: Param = Param::time("from", "Start (RFC 3339; default 7 days before `to`).");
const TO: Param = Param::time("to", "End, exclusive (RFC 3339; default now).");
const STATUS: Param = Param::text("status", "Only this status.", of::<DeliveryStatus>());
const LIMIT: Param = Param::number("limit", "Page size", 1, 200, Some(50));
const QUERY: &[Param] = &[FROM, TO, STATUS, LIMIT];

pub const DOC: Operation = Operation {
    description: "Newest first.",
    query: QUERY,
    ..Operation::new(
        Tag::Webhooks,
        "List an endpoint's deliveries",
        &[Reply::new(
            200,
            "Deliveries",
            of::<Items<DeliverySummary>>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, QUERY)?;
    let to = query.time(&TO)?.unwrap_or(call.now + Duration::SECOND);
    let from = query.time(&FROM)?.unwrap_or(to - Duration::days(7));
    if from >= to {
        return Err(Problem::invalid_parameter("`from` must be before `to`"));
    }
    let status = match query.text(&STATUS) {
        None => None,
        Some(text) => Some(DeliveryStatus::parse(text).ok_or_else(|| {
            Problem::invalid_parameter("`status` must be pending, delivered, failed or skipped")
        })?),
    };
    let limit = query.number(&LIMIT)?.unwrap_or(50);
    let endpoint = load_endpoint(call).await?;
    let items = call
        .app
        .deliveries
        .list(
            &endpoint.tenant_id,
            &endpoint.webhook_id,
            from,
            to,
            status,
            limit,
        )
        .await?;
    Ok(json_response(200, &Items { items }))
}
