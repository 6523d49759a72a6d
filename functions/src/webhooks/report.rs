//! `GET /v2/webhooks/report`: for each of the tenant's endpoints, over the deliveries
//! created from `from` to `to` (RFC 3339; default the last 24 hours, at most 30
//! days): how many were delivered, failed, pending or skipped, the success rate,
//! attempts and retries, the last attempt's latency (p50, p95, max), and the
//! endpoint's circuit state and health now. Each endpoint counts at most
//! [`MAX_DELIVERIES`] deliveries, newest first (`truncated` says it stopped there).

use crate::openapi::{Operation, Reply, Tag};
use futures_util::future::try_join_all;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Param;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::schema::Rfc3339 as Rfc3339Schema;
use gatehouse::store::deliveries::RETENTION;
use gatehouse::webhooks::endpoint::Endpoint;
use gatehouse::webhooks::manage::view;
use gatehouse::webhooks::report::DeliveryStats;
use schemars::JsonSchema;
use time::Duration;
use time::format_description::well_known::Rfc3339;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

/// Delivery statistics per endpoint over `[from, to)`.
#[derive(serde::Serialize, JsonSchema)]
struct WebhookReport {
    #[schemars(with = "Rfc3339Schema")]
    from: String,
    #[schemars(with = "Rfc3339Schema")]
    to: String,
    items: Vec<EndpointReport>,
}

/// One endpoint's line of the report.
#[derive(serde::Serialize, JsonSchema)]
struct EndpointReport {
    webhook_id: gatehouse::ids::WebhookId,
    url: String,
    status: gatehouse::webhooks::endpoint::EndpointStatus,
    #[schemars(with = "gatehouse::webhooks::circuit::StateName")]
    circuit: &'static str,
    #[schemars(range(max = 100))]
    health: u8,
    stats: DeliveryStats,
    /// More deliveries than the report reads: the figures cover the newest.
    truncated: bool,
}

pub const ACTION: &str = "webhook.report";

const FROM: Param = Param::time("from", "Start (RFC 3339; default 24 hours before `to`).");
const TO: Param = Param::time(
    "to",
    "End, exclusive (RFC 3339; default now). At most 30 days after `from`.",
);
const QUERY: &[Param] = &[FROM, TO];

pub const DOC: Operation = Operation {
    description: "For each endpoint, the deliveries created in the range by outcome, the success rate, attempts and retries, the last attempt's latency, and the circuit state and health now.",
    query: QUERY,
    ..Operation::new(
        Tag::Webhooks,
        "Webhook delivery report",
        &[Reply::new(200, "The report", of::<WebhookReport>())],
    )
};
pub const MAX_DELIVERIES: usize = 10_000;

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, QUERY)?;
    let to = query.time(&TO)?.unwrap_or(call.now + Duration::SECOND);
    let from = query.time(&FROM)?.unwrap_or(to - Duration::days(1));
    if from >= to {
        return Err(Problem::invalid_parameter("`from` must be before `to`"));
    }
    if to - from > RETENTION {
        return Err(Problem::invalid_parameter(
            "the range is at most 30 days: older deliveries are not kept",
        ));
    }
    let endpoints = call.app.endpoints.list(&call.caller.tenant_id).await?;
    let items = try_join_all(endpoints.iter().map(|e| endpoint_report(call, e, from, to))).await?;
    Ok(json_response(
        200,
        &WebhookReport {
            from: from.format(&Rfc3339).unwrap_or_default(),
            to: to.format(&Rfc3339).unwrap_or_default(),
            items,
        },
    ))
}

async fn endpoint_report(
    call: &Call<'_>,
    endpoint: &Endpoint,
    from: time::OffsetDateTime,
    to: time::OffsetDateTime,
) -> Result<EndpointReport, Problem> {
    let rows = call
        .app
        .deliveries
        .list(
            &endpoint.tenant_id,
            &endpoint.webhook_id,
            from,
            to,
            None,
            MAX_DELIVERIES,
        )
        .await?;
    let shown = view(call, endpoint).await?;
    Ok(EndpointReport {
        webhook_id: endpoint.webhook_id.clone(),
        url: endpoint.url.clone(),
        status: shown.status,
        circuit: shown.circuit,
        health: shown.health,
        stats: DeliveryStats::of(&rows),
        truncated: rows.len() >= MAX_DELIVERIES,
    })
}
