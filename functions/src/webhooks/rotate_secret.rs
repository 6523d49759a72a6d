//! `POST /v2/webhooks/{webhook_id}/rotate-secret`: a new signing secret, shown once.
//! For `grace_period_seconds` (default 86400, at most 604800) deliveries carry two
//! signatures, by the new and the old secret, so receivers can switch at leisure.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_body, json_response};
use gatehouse::keys::lifecycle;
use gatehouse::store::WriteBatch;
use gatehouse::webhooks::endpoint::SigningSecretText;
use gatehouse::webhooks::endpoint::{EndpointView, RetiringSecret};
use gatehouse::webhooks::manage::{load_endpoint, new_sealed_secret, view};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Duration;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::DELIVERIES)
    .with(Needs::SEALING)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "webhook.rotate_secret";

pub const DOC: Operation = Operation {
    description: "A new secret, shown once. During the grace period (default 86400 s, at most 604800) deliveries carry signatures by both secrets.",
    body: RequestBody::Optional(of::<RotateRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Webhooks,
        "Rotate a webhook signing secret",
        &[Reply::new(
            200,
            "The endpoint and its new secret",
            of::<Rotated>(),
        )],
    )
};
const DEFAULT_GRACE: i64 = 86_400;
const MAX_GRACE: i64 = 604_800;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RotateWebhookSecretRequest")]
struct RotateRequest {
    /// How long deliveries carry signatures by both secrets: 0 to 604800 seconds,
    /// default 86400.
    #[schemars(range(min = 0, max = 604_800))]
    grace_period_seconds: Option<i64>,
}

/// The endpoint and its new signing secret.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "RotatedWebhookSecret")]
struct Rotated {
    /// The new signing secret, shown once (`null` in an idempotent replay).
    #[schemars(with = "Option<SigningSecretText>")]
    secret: String,
    #[serde(flatten)]
    endpoint: EndpointView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: RotateRequest = if call.req.body().is_empty() {
        RotateRequest::default()
    } else {
        json_body(call.req)?
    };
    let grace = body.grace_period_seconds.unwrap_or(DEFAULT_GRACE);
    if !(0..=MAX_GRACE).contains(&grace) {
        return Err(Problem::invalid_body(format!(
            "`grace_period_seconds` must be between 0 and {MAX_GRACE}"
        )));
    }
    let mut endpoint = load_endpoint(call).await?;
    let (secret, sealed) =
        new_sealed_secret(call, &endpoint.tenant_id, &endpoint.webhook_id).await?;
    let old = std::mem::replace(&mut endpoint.secret, sealed);
    endpoint.retiring_secret = (grace > 0).then(|| RetiringSecret {
        sealed: old,
        until: call.now + Duration::seconds(grace),
    });
    endpoint.version += 1;
    endpoint.updated_at = Some(call.now);
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Webhook,
            endpoint.webhook_id.as_str(),
        )
        .detail(format!("grace period {grace} s"));
    let mut batch = WriteBatch::new();
    call.app.endpoints.put_changed(&mut batch, &endpoint)?;
    lifecycle::commit(call, batch, &audit).await?;
    Ok(json_response(
        200,
        &Rotated {
            secret: secret.expose(),
            endpoint: view(call, &endpoint).await?,
        },
    ))
}
