//! `POST /v2/api-keys/{key_id}/usage/reset`: starts the current window of a key's
//! rate-limit and quota counters afresh (`reset_usage_counters`), for the windows
//! named in `windows` (default: all), for all routes together and every route with
//! its own limit. Audited.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_body, json_response};
use gatehouse::keys::lifecycle::{check_manageable, load_key};
use gatehouse::limits::counters::CounterRef;
use gatehouse::limits::{Window, counting_scopes, shard_count};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

/// The counters whose current window was started afresh.
#[derive(Serialize, JsonSchema)]
struct ResetUsageResponse {
    key_id: gatehouse::ids::KeyId,
    reset: Vec<ResetCounter>,
}

pub const ACTION: &str = "api_key.usage_reset";

pub const DOC: Operation = Operation {
    description: "Starts the current window of the key's rate-limit and quota counters afresh (`reset_usage_counters`), for all routes together and every route with its own limit. Audited.",
    body: RequestBody::Optional(of::<ResetRequest>()),
    ..Operation::new(
        Tag::Usage,
        "Reset a key's limit counters",
        &[Reply::new(
            200,
            "What was reset",
            of::<ResetUsageResponse>(),
        )],
    )
};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ResetUsageRequest")]
struct ResetRequest {
    #[serde(default)]
    #[schemars(with = "Option<Vec<Window>>", length(min = 1))]
    windows: Option<Vec<String>>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct ResetCounter {
    scope: String,
    window: Window,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: ResetRequest = if call.req.body().is_empty() {
        ResetRequest::default()
    } else {
        json_body(call.req)?
    };
    let windows = match &body.windows {
        None => Window::ALL.to_vec(),
        Some(names) if names.is_empty() => {
            return Err(Problem::invalid_body(
                "`windows` must name at least one window",
            ));
        }
        Some(names) => names
            .iter()
            .map(|n| {
                Window::parse(n).ok_or_else(|| {
                    Problem::invalid_body(format!(
                        "`windows`: `{n}` is not one of second, minute, day, month"
                    ))
                })
            })
            .collect::<Result<BTreeSet<_>, _>>()?
            .into_iter()
            .collect(),
    };
    let key = load_key(call).await?;
    check_manageable(call, &key)?;
    let plan = call.app.policies.get(&key.tenant_id).await?.policy.plan;
    let scopes = counting_scopes(key.limits.as_ref(), Some(&plan));
    let shards = shard_count(key.limits.as_ref(), Some(&plan));
    // Audited first: a reset that fails halfway is retried, never left unrecorded.
    let names: Vec<&str> = windows.iter().map(|w| w.as_str()).collect();
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::ApiKey, key.key_id.as_str())
        .detail(format!("windows: {}", names.join(", ")));
    call.app.audit.put(&audit).await?;
    let now = call.app.clock.precise_now();
    let mut reset = Vec::new();
    for scope in &scopes {
        for window in &windows {
            let counter = CounterRef {
                tenant_id: &key.tenant_id,
                key_id: &key.key_id,
                scope,
                window: *window,
            };
            call.app.counters.reset(counter, shards, now).await?;
            reset.push(ResetCounter {
                scope: scope.label().to_owned(),
                window: *window,
            });
        }
    }
    Ok(json_response(
        200,
        &ResetUsageResponse {
            key_id: key.key_id,
            reset,
        },
    ))
}
