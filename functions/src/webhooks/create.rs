//! `POST /v2/webhooks`: registers an endpoint for the caller's tenant: `url` (HTTPS,
//! not internal, checked again at every delivery), `event_types` (or `*`),
//! `description`, `rate_limit_per_second`. The signing secret (`whsec_...`) is in this
//! response only; it is stored sealed with KMS.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_body, json_response};
use gatehouse::ids::WebhookId;
use gatehouse::keys::lifecycle;
use gatehouse::schema::PlainText;
use gatehouse::store::WriteBatch;
use gatehouse::store::webhooks_table::MAX_ENDPOINTS;
use gatehouse::webhooks::circuit::{Breaker, Counts, Policy};
use gatehouse::webhooks::endpoint::{
    DestinationUrl, EventTypeName, MAX_EVENT_TYPES, MAX_RATE_LIMIT, SigningSecretText,
};
use gatehouse::webhooks::endpoint::{
    Endpoint, EndpointStatus, EndpointView, check_description, check_event_types, check_rate_limit,
};
use gatehouse::webhooks::manage::{check_destination, new_sealed_secret};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::SEALING)
    .with(Needs::OUTBOUND);

pub const ACTION: &str = "webhook.create";

pub const DOC: Operation = Operation {
    description: "Registers an endpoint for the tenant's events. The URL must be HTTPS and must not be, or resolve to, an internal address (checked again at every delivery). The signing secret is returned once and stored sealed with KMS.",
    body: RequestBody::Required(of::<CreateWebhookRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::Webhooks,
        "Register a webhook endpoint",
        &[Reply::new(
            201,
            "The endpoint and its signing secret",
            of::<CreatedWebhook>(),
        )],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({
    "url": "https://hooks.example.com/gatehouse",
    "event_types": ["api_key.created", "api_key.revoked"],
    "description": "key lifecycle to the platform team",
}))]
struct CreateWebhookRequest {
    #[schemars(with = "DestinationUrl")]
    url: String,
    #[schemars(with = "Vec<EventTypeName>", length(min = 1, max = MAX_EVENT_TYPES))]
    event_types: Vec<String>,
    #[serde(default)]
    #[schemars(with = "PlainText<0, 500>")]
    description: String,
    #[serde(default)]
    #[schemars(range(min = 1, max = MAX_RATE_LIMIT))]
    rate_limit_per_second: Option<u32>,
}

/// A new endpoint and its signing secret.
#[derive(Debug, Serialize, JsonSchema)]
struct CreatedWebhook {
    /// The signing secret, shown once; verify deliveries with it (Standard Webhooks).
    /// `null` in an idempotent replay: it is never stored.
    #[schemars(with = "Option<SigningSecretText>")]
    secret: String,
    #[serde(flatten)]
    endpoint: EndpointView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: CreateWebhookRequest = json_body(call.req)?;
    let event_types = check_event_types(&body.event_types).map_err(Problem::invalid_body)?;
    let description = check_description(&body.description).map_err(Problem::invalid_body)?;
    let rate_limit = check_rate_limit(body.rate_limit_per_second).map_err(Problem::invalid_body)?;
    let url = check_destination(&body.url, &call.app.config.webhook_allow_hosts).await?;
    let tenant = &call.caller.tenant_id;
    if call.app.endpoints.list(tenant).await?.len() >= MAX_ENDPOINTS {
        return Err(Problem::new(
            ProblemType::Conflict,
            format!("a tenant has at most {MAX_ENDPOINTS} webhook endpoints"),
        ));
    }
    let webhook_id = WebhookId::generate().map_err(|e| Problem::internal(&e))?;
    let (secret, sealed) = new_sealed_secret(call, tenant, &webhook_id).await?;
    let endpoint = Endpoint {
        tenant_id: tenant.clone(),
        webhook_id,
        url: url.to_string(),
        event_types,
        description,
        status: EndpointStatus::Active,
        disabled: None,
        rate_limit_per_second: rate_limit,
        secret: sealed,
        retiring_secret: None,
        breaker: Breaker::default(),
        created_at: call.now,
        created_by: call.caller.principal.clone(),
        updated_at: None,
        version: 1,
    };
    let audit = call
        .audit_event(ACTION)
        .target(
            gatehouse::audit::TargetKind::Webhook,
            endpoint.webhook_id.as_str(),
        )
        .detail(format!(
            "{} -> {}",
            endpoint.event_types.join(","),
            endpoint.url
        ));
    let mut batch = WriteBatch::new();
    call.app.endpoints.put_new(&mut batch, &endpoint)?;
    lifecycle::commit(call, batch, &audit).await?;
    Ok(json_response(
        201,
        &CreatedWebhook {
            secret: secret.expose(),
            endpoint: endpoint.view(&Counts::default(), &Policy::DEFAULT, call.now),
        },
    ))
}
