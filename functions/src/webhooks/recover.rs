//! `POST /v2/webhooks/{webhook_id}/recover`: queues one more attempt of every delivery
//! to the endpoint that failed or was skipped, created from `since` (RFC 3339, within
//! the 30-day delivery retention) until `until` (default now). The endpoint must be
//! active. At most [`MAX_PER_CALL`] deliveries per call, newest first; `more: true`
//! says there are others (call again: the ones queued are pending now, so they are
//! not queued twice).

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use futures_util::future::try_join_all;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_body, json_response};
use gatehouse::schema::Rfc3339 as Rfc3339Schema;
use gatehouse::store::deliveries::{DeliverySummary, RETENTION};
use gatehouse::webhooks::delivery::DeliveryStatus;
use gatehouse::webhooks::endpoint::EndpointStatus;
use gatehouse::webhooks::manage::{load_endpoint, resend};
use schemars::JsonSchema;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::DELIVERIES)
    .with(Needs::DELIVERY_QUEUE)
    .with(Needs::DISPATCH);

/// What one recover call queued.
#[derive(serde::Serialize, JsonSchema)]
struct RecoverResult {
    /// Failed or skipped deliveries queued for one more attempt by this call.
    #[schemars(range(max = MAX_PER_CALL))]
    queued: usize,
    /// More failed or skipped deliveries remain in the range: call again.
    more: bool,
}

pub const ACTION: &str = "webhook.recover";

pub const DOC: Operation = Operation {
    description: "Queues one more attempt of every delivery to the endpoint that failed or was skipped, created from `since` until `until`: at most 200 per call, newest first (`more` says to call again). The endpoint must be active.",
    body: RequestBody::Required(of::<RecoverRequest>()),
    conflict: Some("The endpoint is disabled"),
    ..Operation::new(
        Tag::Webhooks,
        "Recover failed deliveries",
        &[Reply::new(202, "Queued", of::<RecoverResult>())],
    )
};
pub const MAX_PER_CALL: usize = 200;
/// Deliveries re-queued at once (each is a read, two writes and a queue message).
const CONCURRENCY: usize = 10;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RecoverWebhookRequest")]
struct RecoverRequest {
    /// Deliveries created from this time (within the last 30 days).
    #[schemars(with = "Rfc3339Schema")]
    since: String,
    /// Until this time, exclusive (default now).
    #[schemars(with = "Option<Rfc3339Schema>")]
    until: Option<String>,
}

fn parse_time(text: &str, field: &str) -> Result<OffsetDateTime, Problem> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| Problem::invalid_body(format!("`{field}` must be an RFC 3339 timestamp")))
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: RecoverRequest = json_body(call.req)?;
    let since = parse_time(&body.since, "since")?;
    let until = match &body.until {
        Some(text) => parse_time(text, "until")?,
        None => call.now,
    };
    if since >= until {
        return Err(Problem::invalid_body("`since` must be before `until`"));
    }
    if since < call.now - RETENTION {
        return Err(Problem::invalid_body(
            "`since` must be within the last 30 days: older deliveries are not kept",
        ));
    }
    let endpoint = load_endpoint(call).await?;
    if endpoint.status != EndpointStatus::Active {
        return Err(Problem::new(
            ProblemType::Conflict,
            "the endpoint is disabled; enable it first",
        ));
    }
    let mut found: Vec<DeliverySummary> = Vec::new();
    for status in [DeliveryStatus::Failed, DeliveryStatus::Skipped] {
        let rows = call
            .app
            .deliveries
            .list(
                &endpoint.tenant_id,
                &endpoint.webhook_id,
                since,
                until,
                Some(status),
                MAX_PER_CALL + 1,
            )
            .await?;
        found.extend(rows);
    }
    found.sort_by_key(|row| std::cmp::Reverse(row.created_at));
    let more = found.len() > MAX_PER_CALL;
    found.truncate(MAX_PER_CALL);

    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Webhook,
            endpoint.webhook_id.as_str(),
        )
        .detail(format!(
            "{} deliveries from {} until {}",
            found.len(),
            since.format(&Rfc3339).unwrap_or_default(),
            until.format(&Rfc3339).unwrap_or_default()
        ));
    call.app.audit.put(&audit).await?;
    for chunk in found.chunks(CONCURRENCY) {
        try_join_all(chunk.iter().map(|row| requeue(call, &row.delivery_id))).await?;
    }
    Ok(json_response(
        202,
        &RecoverResult {
            queued: found.len(),
            more,
        },
    ))
}

/// Queues the delivery again if it is still failed or skipped.
async fn requeue(call: &Call<'_>, delivery_id: &str) -> Result<(), Problem> {
    let Some((mut delivery, _)) = call
        .app
        .deliveries
        .get(&call.caller.tenant_id, delivery_id)
        .await?
    else {
        return Ok(()); // expired since it was listed
    };
    if matches!(
        delivery.status,
        DeliveryStatus::Failed | DeliveryStatus::Skipped
    ) {
        resend(call.app, &mut delivery, call.now).await?;
    }
    Ok(())
}
