//! What the webhook management routes share: loading an endpoint of the caller's
//! tenant, showing it, and checking a destination before it is stored.

use super::circuit::Policy;
use super::delivery::{Delivery, DeliveryMessage, DeliveryStatus};
use super::endpoint::{Endpoint, EndpointView};
use super::ssrf::{AllowList, check_resolved, check_url};
use crate::http::call::Call;
use crate::http::{Problem, ProblemType};
use crate::ids::WebhookId;
use url::{Host, Url};

/// The endpoint named by the `{webhook_id}` path parameter, in the caller's tenant;
/// anything else is the same 404.
pub async fn load_endpoint(call: &Call<'_>) -> Result<Endpoint, Problem> {
    let not_found = || Problem::new(ProblemType::NotFound, "no such webhook");
    let id = call.path_parameter("webhook_id").ok_or_else(not_found)?;
    let id = WebhookId::parse(&id).map_err(|_| not_found())?;
    call.app
        .endpoints
        .get(&call.caller.tenant_id, &id)
        .await?
        .ok_or_else(not_found)
}

/// An endpoint as the API shows it, with its health from its circuit counts.
pub async fn view(call: &Call<'_>, endpoint: &Endpoint) -> Result<EndpointView, Problem> {
    let counts = call
        .app
        .deliveries
        .counts(&endpoint.tenant_id, &endpoint.webhook_id)
        .await?;
    let policy = Policy::with_min_volume(call.app.config.webhook_circuit_min_volume);
    Ok(endpoint.view(&counts, &policy, call.now))
}

/// The delivery named by the `{delivery_id}` path parameter, in the caller's tenant,
/// with its attempts; anything else is the same 404.
pub async fn load_delivery(
    call: &Call<'_>,
) -> Result<(Delivery, Vec<super::delivery::AttemptLog>), Problem> {
    let not_found = || Problem::new(ProblemType::NotFound, "no such delivery");
    let id = call.path_parameter("delivery_id").ok_or_else(not_found)?;
    let well_formed = id.len() <= 80 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err(not_found());
    }
    call.app
        .deliveries
        .get(&call.caller.tenant_id, &id)
        .await?
        .ok_or_else(not_found)
}

/// Queues one more attempt of a failed or skipped delivery (retry and recover): the
/// delivery is pending again first, so the attempt is not dropped as finished.
pub async fn resend(
    app: &crate::App,
    delivery: &mut Delivery,
    now: time::OffsetDateTime,
) -> Result<(), Problem> {
    delivery.status = DeliveryStatus::Pending;
    delivery.finished_at = None;
    delivery.reason = None;
    app.deliveries.record(delivery, None).await?;
    let message = DeliveryMessage {
        tenant_id: delivery.tenant_id.clone(),
        delivery_id: delivery.delivery_id.clone(),
        webhook_id: Some(delivery.webhook_id.clone()),
        attempt: delivery.attempts + 1,
        due_at: now,
    };
    app.delivery_queue
        .send(&message, now)
        .await
        .map_err(|e| Problem::unavailable(&e))
}

/// A fresh signing secret for a webhook, and its sealed form for storage.
pub async fn new_sealed_secret(
    call: &Call<'_>,
    tenant: &crate::ids::TenantId,
    webhook: &WebhookId,
) -> Result<(super::signature::SigningSecret, super::sealed::SealedSecret), Problem> {
    let secret = super::signature::SigningSecret::generate().map_err(|e| Problem::internal(&e))?;
    let owner = super::sealed::Owner {
        tenant_id: tenant.as_str(),
        webhook_id: webhook.as_str(),
    };
    let sealed = call
        .app
        .sealer
        .seal(&secret, owner)
        .await
        .map_err(|e| Problem::unavailable(&e))?;
    Ok((secret, sealed))
}

/// A destination webhooks may be sent to: the URL rules, then every address its host
/// resolves to now (the delivery client checks again at each connection).
pub async fn check_destination(text: &str, allow: &AllowList) -> Result<Url, Problem> {
    let url = check_url(text, allow).map_err(|e| Problem::invalid_body(e.to_string()))?;
    let port = url.port_or_known_default().unwrap_or(443);
    let Some(Host::Domain(name)) = url.host() else {
        return Ok(url);
    };
    if allow.allows(name, port) {
        return Ok(url);
    }
    let addresses: Vec<std::net::IpAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|_| Problem::invalid_body("`url`: the host name does not resolve"))?
        .map(|a| a.ip())
        .collect();
    check_resolved(&addresses).map_err(|e| Problem::invalid_body(e.to_string()))?;
    Ok(url)
}
