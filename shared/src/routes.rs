//! The scope each management route needs: one declaration, read by the authorizer
//! (which refuses before the function runs) and by the handlers (which check again, so
//! a misconfigured gateway cannot open a route).

/// `(route key, scope)`. `None`: any verified key of the tenant may call the route.
pub const ROUTE_SCOPES: &[(&str, Option<&str>)] = &[
    ("POST /v2/api-keys", Some("keys:write")),
    ("GET /v2/api-keys", Some("keys:read")),
    ("GET /v2/api-keys/{key_id}", Some("keys:read")),
    ("PUT /v2/api-keys/{key_id}", Some("keys:write")),
    ("DELETE /v2/api-keys/{key_id}", Some("keys:revoke")),
    ("POST /v2/api-keys/{key_id}/rotate", Some("keys:rotate")),
    ("POST /v2/api-keys/{key_id}/compromise", Some("keys:revoke")),
    ("GET /v2/scopes", None),
    ("POST /v2/scopes", Some("scopes:write")),
    ("GET /v2/audit", Some("audit:read")),
    ("GET /v2/access-policy", Some("policy:read")),
    ("PUT /v2/access-policy", Some("policy:write")),
    (
        "POST /v2/api-keys/{key_id}/usage/reset",
        Some("usage:write"),
    ),
    ("GET /v2/api-keys/{key_id}/usage", Some("usage:read")),
    ("GET /v2/usage/report", Some("usage:read")),
    ("POST /v2/webhooks", Some("webhooks:write")),
    ("GET /v2/webhooks", Some("webhooks:read")),
    ("GET /v2/webhooks/{webhook_id}", Some("webhooks:read")),
    ("PUT /v2/webhooks/{webhook_id}", Some("webhooks:write")),
    ("DELETE /v2/webhooks/{webhook_id}", Some("webhooks:write")),
    (
        "POST /v2/webhooks/{webhook_id}/disable",
        Some("webhooks:write"),
    ),
    (
        "POST /v2/webhooks/{webhook_id}/enable",
        Some("webhooks:write"),
    ),
    (
        "POST /v2/webhooks/{webhook_id}/rotate-secret",
        Some("webhooks:write"),
    ),
    (
        "POST /v2/webhooks/{webhook_id}/test",
        Some("webhooks:write"),
    ),
    (
        "GET /v2/webhooks/{webhook_id}/deliveries",
        Some("webhooks:read"),
    ),
    (
        "GET /v2/webhooks/deliveries/{delivery_id}",
        Some("webhooks:read"),
    ),
    (
        "POST /v2/webhooks/deliveries/{delivery_id}/retry",
        Some("webhooks:write"),
    ),
    (
        "POST /v2/webhooks/{webhook_id}/recover",
        Some("webhooks:write"),
    ),
    ("GET /v2/webhooks/report", Some("webhooks:read")),
];

/// The scope a route needs: `Ok(None)` for routes any tenant key may call, `Err(())`
/// for a route this table does not know (refused: a new route must be declared).
#[allow(clippy::result_unit_err)]
pub fn required_scope(route_key: &str) -> Result<Option<&'static str>, ()> {
    ROUTE_SCOPES
        .iter()
        .find(|(route, _)| *route == route_key)
        .map(|(_, scope)| *scope)
        .ok_or(())
}
