//! A tenant's webhook endpoint: where events go, which ones, and its signing
//! secrets (sealed), state and circuit breaker.

use super::circuit::{Breaker, Counts, Policy};
use super::sealed::SealedSecret;
use crate::ids::{TenantId, WebhookId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The event types an endpoint can subscribe to (`*`: all of them).
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("api_key.created", "A key was created."),
    (
        "api_key.updated",
        "A key's name, scopes, status, expiry, limits or restrictions changed.",
    ),
    (
        "api_key.rotated",
        "A key was rotated; the replacement is in `data.new_key`.",
    ),
    ("api_key.revoked", "A key was revoked."),
    (
        "api_key.compromised",
        "A key was reported compromised and revoked at once.",
    ),
    (
        "api_key.expiring",
        "An active key expires within 7 days (sent once), then within 1 day (once more).",
    ),
    (
        "api_key.idle_warning",
        "An active key has been unused so long that the key policy will disable it soon.",
    ),
    (
        "api_key.disabled_idle",
        "The key policy disabled a key that was unused for its idle period.",
    ),
    (
        "api_key.rotation_due",
        "A key is older than the key policy's rotation age (again each period until rotated).",
    ),
    (
        "api_key.quota_threshold",
        "A key has used 80 %, then 100 %, of a daily or monthly quota (once each per window).",
    ),
    (
        "api_key.anomaly",
        "Usage anomaly detection found something about a key.",
    ),
    (
        "api_key.verification_failures",
        "Repeated wrong secrets were presented for a key id.",
    ),
    (
        "integration.unhealthy",
        "A check of the tenant's Vault failed (it was healthy before); `data.detail` says why.",
    ),
    (
        "integration.recovered",
        "A check of the tenant's Vault succeeded again after failing.",
    ),
    (
        "sso.login_failed",
        "An SSO login was refused; `data.reason` says why (state_mismatch, nonce_mismatch, domain_not_allowed, ...).",
    ),
    (
        "sso.refresh_failed",
        "A session refresh was refused; `data.reason` says why (refresh_reused ends the session: its refresh token was used twice).",
    ),
    (
        "sso.certificate_expiring",
        "A SAML connection's pinned IdP signing certificate expires within 30 days (once per certificate); pin its successor.",
    ),
    (
        "sso.certificates_changed",
        "A SAML connection's IdP metadata, fetched again on schedule, pinned other signing certificates or endpoints.",
    ),
    (
        "webhook.test",
        "A test ping sent from POST /v2/webhooks/{id}/test.",
    ),
];

pub const MAX_EVENT_TYPES: usize = 20;

/// A destination URL as registration reads it, for the document; the SSRF rules
/// (`webhooks::ssrf`) are checked at request time and at every delivery.
pub struct DestinationUrl;

crate::inline_string_schema!(DestinationUrl, "DestinationUrl", {
    "type": "string",
    "minLength": 8,
    "maxLength": 2048,
    "pattern": "^https?://[^\\s/?#]+([/?#]\\S*)?$",
    "description": "HTTPS; not an internal address, and not a name resolving to one.",
});

/// A signing secret as shown once (`whsec_` and base64, Standard Webhooks).
pub struct SigningSecretText;

crate::inline_string_schema!(SigningSecretText, "SigningSecret", {
    "type": "string",
    "pattern": "^whsec_[A-Za-z0-9+/=]+$",
});

/// One entry of a subscription list: an [`EVENT_TYPES`] name or `*`.
pub struct EventTypeName;

impl schemars::JsonSchema for EventTypeName {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventTypeName".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = EVENT_TYPES
            .iter()
            .map(|(name, _)| *name)
            .chain(["*"])
            .collect();
        schemars::json_schema!({"type": "string", "enum": names})
    }
}
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_RATE_LIMIT: u32 = 10_000;

/// Checks a description: trimmed, at most [`MAX_DESCRIPTION_CHARS`], no control
/// characters.
pub fn check_description(text: &str) -> Result<String, String> {
    let description = text.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        return Err(format!(
            "`description` must be at most {MAX_DESCRIPTION_CHARS} characters, without control characters"
        ));
    }
    Ok(description.to_owned())
}

/// Checks a per-endpoint rate limit (deliveries per second).
pub fn check_rate_limit(limit: Option<u32>) -> Result<Option<u32>, String> {
    match limit {
        Some(n) if !(1..=MAX_RATE_LIMIT).contains(&n) => Err(format!(
            "`rate_limit_per_second` must be between 1 and {MAX_RATE_LIMIT}"
        )),
        other => Ok(other),
    }
}

/// Checks a subscription list: known types or `*`, no duplicates, at least one.
pub fn check_event_types(types: &[String]) -> Result<Vec<String>, String> {
    if types.is_empty() || types.len() > MAX_EVENT_TYPES {
        return Err(format!(
            "`event_types` must list 1 to {MAX_EVENT_TYPES} event types (or `*`)"
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for t in types {
        if t != "*" && !EVENT_TYPES.iter().any(|(name, _)| name == t) {
            return Err(format!(
                "`event_types`: `{}` is not an event type; see the event catalogue in the README",
                t.chars().take(60).collect::<String>()
            ));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out.sort();
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EndpointStatus {
    Active,
    Disabled,
}

/// Why and when an endpoint was disabled (by a caller, a 410, or sustained failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Disabled {
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub reason: String,
}

/// The previous secret during a rotation's grace period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiringSecret {
    pub sealed: SealedSecret,
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub tenant_id: TenantId,
    pub webhook_id: WebhookId,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: String,
    pub status: EndpointStatus,
    pub disabled: Option<Disabled>,
    /// Deliveries per second to this endpoint, at most.
    pub rate_limit_per_second: Option<u32>,
    pub secret: SealedSecret,
    pub retiring_secret: Option<RetiringSecret>,
    pub breaker: Breaker,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub updated_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Endpoint {
    /// Only catalogue types are delivered: operational events about webhooks
    /// themselves (a failed delivery, say) never are, or a failing endpoint
    /// subscribed to `*` would feed itself.
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        EVENT_TYPES.iter().any(|(name, _)| *name == event_type)
            && self.event_types.iter().any(|t| t == "*" || t == event_type)
    }

    /// The endpoint as the API shows it; `counts` are its circuit counts (see
    /// [`super::circuit`]), read separately.
    pub fn view(&self, counts: &Counts, policy: &Policy, now: OffsetDateTime) -> EndpointView {
        EndpointView {
            webhook_id: self.webhook_id.clone(),
            url: self.url.clone(),
            event_types: self.event_types.clone(),
            description: self.description.clone(),
            status: self.status,
            disabled: self.disabled.clone(),
            rate_limit_per_second: self.rate_limit_per_second,
            secret_rotating_until: self.retiring_secret.as_ref().map(|r| r.until),
            health: counts.health_score(policy, now),
            circuit: self.breaker.state.name(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// An endpoint as the API returns it: never a secret, sealed or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(rename = "WebhookView")]
pub struct EndpointView {
    pub webhook_id: WebhookId,
    #[schemars(url)]
    pub url: String,
    #[schemars(with = "Vec<EventTypeName>")]
    pub event_types: Vec<String>,
    pub description: String,
    pub status: EndpointStatus,
    pub disabled: Option<Disabled>,
    pub rate_limit_per_second: Option<u32>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub secret_rotating_until: Option<OffsetDateTime>,
    /// Share of recent delivery attempts that succeeded, in percent.
    #[schemars(range(max = 100))]
    pub health: u8,
    #[schemars(with = "super::circuit::StateName")]
    pub circuit: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub updated_at: Option<OffsetDateTime>,
}
