//! `GET /v2/integrations/health` (`monitor_integration_health`, `monitor_siem_health`):
//! every integration of the tenant in one list: its Vault (the last connectivity
//! check), its SIEM destinations (the last delivery or test) and its webhook endpoints
//! (the share of recent attempts that succeeded, and the circuit).

use crate::openapi::{Operation, Reply, Tag};
use futures_util::future::try_join_all;
use gatehouse::clock::rfc3339;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::webhooks::endpoint::EndpointStatus;
use gatehouse::webhooks::manage::view;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::KEYS)
    .with(Needs::AUDIT)
    .with(Needs::DELIVERIES)
    .with(Needs::DISPATCH);

pub const ACTION: &str = "integration.health";

/// A webhook endpoint counts as unhealthy below this share of successful attempts.
const WEBHOOK_HEALTHY_PERCENT: u8 = 50;

pub const DOC: Operation = Operation {
    description: "The tenant's Vault (its last connectivity check: run one with `POST /v2/integrations/{integration_id}/test`), its SIEM destinations (the last delivery or test; events meanwhile wait in the queue, they are not dropped) and its webhook endpoints (healthy when active, the circuit closed and at least half of the recent attempts succeeded).",
    ..Operation::new(
        Tag::Integrations,
        "Health of every integration",
        &[Reply::new(
            200,
            "Every integration's health",
            of::<HealthList>(),
        )],
    )
};

/// `healthy`, `unhealthy`, or `unknown` (never checked).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Healthy,
    Unhealthy,
    Unknown,
}

/// One integration's health.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "IntegrationHealthLine")]
struct Line {
    /// `vault`, `siem` or `webhook`.
    kind: &'static str,
    id: String,
    /// Where it is: the Vault's address, the SIEM's URL or `host:port`, the
    /// endpoint's URL.
    target: String,
    status: Status,
    /// Why it is unhealthy, when that is known.
    detail: Option<String>,
    latency_ms: Option<u64>,
    #[schemars(with = "Option<gatehouse::schema::Rfc3339>")]
    last_success: Option<String>,
    #[schemars(with = "Option<gatehouse::schema::Rfc3339>")]
    checked_at: Option<String>,
    /// Webhooks: the share of recent attempts that succeeded, in percent.
    #[schemars(range(max = 100))]
    health_percent: Option<u8>,
    /// Webhooks: the circuit breaker's state.
    #[schemars(with = "Option<gatehouse::webhooks::circuit::StateName>")]
    circuit: Option<&'static str>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "IntegrationHealthList")]
struct HealthList {
    items: Vec<Line>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    gatehouse::http::query::Query::from_request(call.req, &[])?;
    let tenant = &call.caller.tenant_id;
    let mut items = Vec::new();
    if let Some(vault) = call.app.secrets.integrations.vault(tenant).await? {
        let health = &vault.health;
        items.push(Line {
            kind: "vault",
            id: vault.integration_id.to_string(),
            target: vault.vault.address.clone(),
            status: match (health.checked_at, health.healthy) {
                (None, _) => Status::Unknown,
                (Some(_), true) => Status::Healthy,
                (Some(_), false) => Status::Unhealthy,
            },
            detail: health.last_error.clone().filter(|_| !health.healthy),
            latency_ms: health.latency_ms,
            last_success: health.last_success.map(rfc3339),
            checked_at: health.checked_at.map(rfc3339),
            health_percent: None,
            circuit: None,
        });
    }
    for destination in call.app.siem.destinations.list(tenant).await? {
        let health = &destination.health;
        let target = match &destination.transport {
            gatehouse::siem::destination::Transport::Syslog { host, port, .. } => {
                format!("{host}:{port}")
            }
            gatehouse::siem::destination::Transport::Hec { url, .. }
            | gatehouse::siem::destination::Transport::Bulk { url, .. }
            | gatehouse::siem::destination::Transport::Https { url, .. } => url.clone(),
        };
        items.push(Line {
            kind: "siem",
            id: destination.destination_id.to_string(),
            target,
            status: match (destination.enabled, health.checked_at, health.healthy) {
                (_, None, _) => Status::Unknown,
                (true, Some(_), true) => Status::Healthy,
                _ => Status::Unhealthy,
            },
            detail: if destination.enabled {
                health.last_error.clone().filter(|_| !health.healthy)
            } else {
                Some("disabled".into())
            },
            latency_ms: health.latency_ms,
            last_success: health.last_success.map(rfc3339),
            checked_at: health.checked_at.map(rfc3339),
            health_percent: None,
            circuit: None,
        });
    }
    let endpoints = call.app.endpoints.list(tenant).await?;
    let views = try_join_all(endpoints.iter().map(|e| view(call, e))).await?;
    for view in views {
        let healthy = view.status == EndpointStatus::Active
            && view.circuit == "closed"
            && view.health >= WEBHOOK_HEALTHY_PERCENT;
        let detail = match (view.status, view.circuit, view.health) {
            (EndpointStatus::Disabled, ..) => Some("disabled".to_owned()),
            (_, "closed", health) if health < WEBHOOK_HEALTHY_PERCENT => {
                Some(format!("{health} % of recent attempts succeeded"))
            }
            (_, "closed", _) => None,
            (_, circuit, _) => Some(format!("circuit {circuit}")),
        };
        items.push(Line {
            kind: "webhook",
            id: view.webhook_id.to_string(),
            target: view.url.clone(),
            status: if healthy {
                Status::Healthy
            } else {
                Status::Unhealthy
            },
            detail,
            latency_ms: None,
            last_success: None,
            checked_at: Some(rfc3339(call.now)),
            health_percent: Some(view.health),
            circuit: Some(view.circuit),
        });
    }
    Ok(json_response(200, &HealthList { items }))
}
