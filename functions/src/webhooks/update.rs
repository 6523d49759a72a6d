//! `PUT /v2/webhooks/{webhook_id}`: changes an endpoint's `url`, `event_types`,
//! `description` or `rate_limit_per_second` (`null` removes the limit). Fields left
//! out keep their value. A new URL passes the same destination checks as at
//! registration, and starts with a fresh circuit breaker: the old destination's
//! failures say nothing about the new one. Every change is audited with its before
//! and after values.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_body, json_response};
use gatehouse::keys::lifecycle;
use gatehouse::schema::PlainText;
use gatehouse::store::WriteBatch;
use gatehouse::webhooks::circuit::Breaker;
use gatehouse::webhooks::endpoint::{
    DestinationUrl, EndpointView, EventTypeName, MAX_EVENT_TYPES, MAX_RATE_LIMIT,
};
use gatehouse::webhooks::endpoint::{check_description, check_event_types, check_rate_limit};
use gatehouse::webhooks::manage::{check_destination, load_endpoint, view};
use schemars::JsonSchema;
use serde::Deserialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::DELIVERIES)
    .with(Needs::OUTBOUND)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.update";

pub const DOC: Operation = Operation {
    description: "Changes the URL, subscribed event types, description or rate limit; fields left out keep their value. A new URL passes the registration checks again and starts with a fresh circuit breaker. Every change is audited.",
    body: RequestBody::Required(of::<UpdateWebhookRequest>()),
    conflict: Some("Changed concurrently; read it again and retry"),
    ..Operation::new(
        Tag::Webhooks,
        "Update a webhook endpoint",
        &[Reply::new(
            200,
            "The endpoint as it now is",
            of::<EndpointView>(),
        )],
    )
};

/// At least one field; fields left out keep their value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
struct UpdateWebhookRequest {
    // Option fields are absent when not given; `default` says so to the schema.
    #[serde(default)]
    #[schemars(with = "DestinationUrl")]
    url: Option<String>,
    #[serde(default)]
    #[schemars(with = "Vec<EventTypeName>", length(min = 1, max = MAX_EVENT_TYPES))]
    event_types: Option<Vec<String>>,
    #[serde(default)]
    #[schemars(with = "PlainText<0, 500>")]
    description: Option<String>,
    /// Absent: unchanged. `null`: no limit. A number: the new limit.
    #[serde(default, deserialize_with = "gatehouse::http::body::present")]
    #[schemars(with = "Option<u32>", range(min = 1, max = MAX_RATE_LIMIT))]
    rate_limit_per_second: Option<Option<u32>>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: UpdateWebhookRequest = json_body(call.req)?;
    if body.url.is_none()
        && body.event_types.is_none()
        && body.description.is_none()
        && body.rate_limit_per_second.is_none()
    {
        return Err(Problem::invalid_body(
            "give at least one of `url`, `event_types`, `description`, `rate_limit_per_second`",
        ));
    }
    // Everything is checked before anything is read, so a bad body changes nothing.
    let event_types = body
        .event_types
        .as_deref()
        .map(check_event_types)
        .transpose()
        .map_err(Problem::invalid_body)?;
    let description = body
        .description
        .as_deref()
        .map(check_description)
        .transpose()
        .map_err(Problem::invalid_body)?;
    let rate_limit = body
        .rate_limit_per_second
        .map(check_rate_limit)
        .transpose()
        .map_err(Problem::invalid_body)?;
    let url = match &body.url {
        Some(text) => Some(check_destination(text, &call.app.config.webhook_allow_hosts).await?),
        None => None,
    };

    let current = load_endpoint(call).await?;
    let mut next = current.clone();
    if let Some(url) = url {
        next.url = url.to_string();
    }
    if let Some(types) = event_types {
        next.event_types = types;
    }
    if let Some(description) = description {
        next.description = description;
    }
    if let Some(limit) = rate_limit {
        next.rate_limit_per_second = limit;
    }
    let changes: Vec<Change> = [
        Change::of("url", &current.url, &next.url),
        Change::of("event_types", &current.event_types, &next.event_types),
        Change::of("description", &current.description, &next.description),
        Change::of(
            "rate_limit_per_second",
            &current.rate_limit_per_second,
            &next.rate_limit_per_second,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if changes.is_empty() {
        return Ok(json_response(200, &view(call, &current).await?));
    }
    let moved = next.url != current.url;
    if moved {
        next.breaker = Breaker::default();
    }
    next.version += 1;
    next.updated_at = Some(call.now);
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Webhook,
            next.webhook_id.as_str(),
        )
        .changes(changes);
    let mut batch = WriteBatch::new();
    call.app.endpoints.put_changed(&mut batch, &next)?;
    lifecycle::commit(call, batch, &audit).await?;
    if moved {
        call.app
            .deliveries
            .reset_counts(&next.tenant_id, &next.webhook_id)
            .await?;
    }
    Ok(json_response(200, &view(call, &next).await?))
}
