//! The API Gateway Lambda authorizer, for both API types, detected from the event:
//!
//! * HTTP APIs (payload 2.0 REQUEST): a simple response, `isAuthorized` and a context.
//!   A deny is API Gateway's 403; a missing identity header is its 401 before we run.
//! * REST APIs (TOKEN or REQUEST authorizers): an IAM policy for the method ARN, a
//!   context and `usageIdentifierKey` (the key id, for usage plans whose API keys are
//!   named by it). A deny is an explicit Deny policy (403) whose context carries the
//!   reason code, for a gateway response template (`$context.authorizer.reason`); a
//!   missing credential is the error `Unauthorized`, which API Gateway turns into 401.
//!
//! Allows carry {tenantId, keyId, principal, scopes}. After the key, its own
//! restrictions (the gateway's `sourceIp`, the route key, the `Origin` / `Referer`
//! headers, the time), the route's scope (Gatehouse's own routes from
//! `crate::ROUTES`, a tenant's routes from its access policy) and then the key's rate
//! limits and quotas are applied; a refused request never reaches the backend. A
//! scope or restriction refusal is written to the tenant's audit trail;
//! a REST deny's context carries `reason` (and `retryAfter` for limits). Nothing else
//! is ever an error: an authorizer error is a 500 to the client.

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use gatehouse::App;
use gatehouse::audit::{Actor, AuditEvent, Origin};
use gatehouse::auth::{self, Decision, DenyReason, Grant, RequestFacts, Restricted};
use gatehouse::config::Needs;
use serde_json::{Value, json};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::AUTHORIZER)
    .with(Needs::SESSIONS);

pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Value>;

/// What the function returns to API Gateway.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Value),
    /// REST APIs only: answered with the error `Unauthorized` (API Gateway's 401).
    Unauthorized,
}

/// Any authorizer event: HTTP API payload 2.0, or a REST API TOKEN / REQUEST event.
pub async fn handle_event(app: &App, event: Value) -> Outcome {
    let is_http_api = event.get("version").and_then(Value::as_str) == Some("2.0");
    if is_http_api {
        return match serde_json::from_value::<ApiGatewayV2CustomAuthorizerV2Request>(event) {
            Ok(event) => Outcome::Response(
                serde_json::to_value(handle(app, event).await).unwrap_or_default(),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable HTTP API authorizer event");
                Outcome::Response(json!({ "isAuthorized": false, "context": {} }))
            }
        };
    }
    rest(app, &event).await
}

/// REST API authorizers: TOKEN (`authorizationToken`) or REQUEST (headers).
async fn rest(app: &App, event: &Value) -> Outcome {
    let method_arn = event
        .get("methodArn")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let header = |name: &str| {
        event
            .get("headers")
            .and_then(Value::as_object)
            .and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| text(v))
            })
    };
    let presented = match event.get("type").and_then(Value::as_str) {
        Some("TOKEN") => event.get("authorizationToken").and_then(text),
        _ => header("authorization").or_else(|| header("x-api-key")),
    };
    let presented = presented.map(|p| {
        let p = p.trim();
        match p.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                token.trim().to_owned()
            }
            _ => p.to_owned(),
        }
    });
    let route = rest_route_key(event, method_arn);
    let ctx = event.get("requestContext");
    let origin = Origin {
        source_ip: ctx
            .and_then(|c| c.pointer("/identity/sourceIp"))
            .and_then(text),
        user_agent: ctx
            .and_then(|c| c.pointer("/identity/userAgent"))
            .and_then(text),
        request_id: ctx.and_then(|c| c.get("requestId")).and_then(text),
        route: Some(route.clone()),
    };
    let presented = presented.as_deref().filter(|p| !p.is_empty());
    let (web_origin, referer) = (header("origin"), header("referer"));
    let request = RequestFacts {
        // A TOKEN event carries no request context: a key restricted to addresses is
        // then refused, never allowed unchecked.
        source_ip: origin.source_ip.as_deref(),
        route: &route,
        origin: web_origin.as_deref(),
        referer: referer.as_deref(),
        at: app.clock.now(),
    };
    let decision = decide(app, presented, &request, &origin).await;
    let deny = |principal: &str, context: Value| {
        Outcome::Response(json!({
            "principalId": principal,
            "policyDocument": policy("Deny", method_arn),
            "context": context,
        }))
    };
    match decision {
        Decision::Deny(DenyReason::MissingCredential) => Outcome::Unauthorized,
        Decision::Allow(grant) => Outcome::Response(json!({
            "principalId": grant.principal,
            "policyDocument": policy("Allow", method_arn),
            "context": grant.context(),
            "usageIdentifierKey": grant.key_id,
        })),
        Decision::Limited { grant, refusal } => deny(
            &grant.principal,
            json!({
                "reason": refusal.code(),
                "retryAfter": refusal.retry_after_seconds(app.clock.precise_now()).to_string(),
                "keyId": grant.key_id,
            }),
        ),
        Decision::DenyScope { grant, .. } => deny(
            &grant.principal,
            json!({ "reason": DenyReason::InsufficientScope.code(), "keyId": grant.key_id }),
        ),
        Decision::DenyRestricted { grant, restricted } => deny(
            &grant.principal,
            json!({ "reason": restricted.code(), "keyId": grant.key_id }),
        ),
        Decision::Deny(reason) => deny("anonymous", json!({ "reason": reason.code() })),
    }
}

/// The route key of a REST API request: `METHOD /resource` from a REQUEST event (the
/// resource as declared, `/orders/{id}`); a TOKEN event only has the method ARN
/// (`arn:...:api/stage/METHOD/path`), so the path as called.
fn rest_route_key(event: &Value, method_arn: &str) -> String {
    let field = |name: &str| event.get(name).and_then(Value::as_str);
    if let (Some(method), Some(resource)) = (field("httpMethod"), field("resource")) {
        return format!("{method} {resource}");
    }
    let mut parts = method_arn.splitn(4, '/');
    let (_api, _stage) = (parts.next(), parts.next());
    match (parts.next(), parts.next()) {
        (Some(method), path) => format!("{method} /{}", path.unwrap_or_default()),
        (None, _) => "-".to_owned(),
    }
}

/// A policy for exactly the method called: with API Gateway's authorizer cache on, a
/// decision is then never reused for another method with other scope needs.
fn policy(effect: &str, method_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{ "Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn }],
    })
}

/// Authentication, the key's restrictions, the route's scope and the key's limits;
/// every decision is logged (never with the credential), and a scope or restriction
/// refusal is audited in the key's tenant.
async fn decide(
    app: &App,
    presented: Option<&str>,
    request: &RequestFacts<'_>,
    origin: &Origin,
) -> Decision {
    let started = std::time::Instant::now();
    // Boxed: each step's future is large, and a caller polls them deep in its stack.
    let authenticated = Box::pin(auth::authenticate_from(app, presented, origin)).await;
    let decision = Box::pin(auth::authorize(app, authenticated, request, crate::ROUTES)).await;
    record_metrics(&decision, started.elapsed());
    let route = request.route;
    match &decision {
        Decision::Allow(grant) => {
            tracing::info!(route, tenant_id = %grant.tenant_id, key_id = %grant.key_id, "allow");
        }
        Decision::DenyScope { grant, required } => {
            tracing::info!(route, tenant_id = %grant.tenant_id, key_id = %grant.key_id, reason = "insufficient_scope", "deny");
            let detail = format!("insufficient-scope: the route needs `{required}`");
            audit_refusal(app, route, origin.clone(), grant, detail).await;
        }
        Decision::DenyRestricted { grant, restricted } => {
            tracing::info!(route, tenant_id = %grant.tenant_id, key_id = %grant.key_id, reason = restricted.code(), "deny");
            let detail = restriction_detail(*restricted, request);
            audit_refusal(app, route, origin.clone(), grant, detail).await;
        }
        Decision::Limited { grant, refusal } => {
            tracing::info!(route, tenant_id = %grant.tenant_id, key_id = %grant.key_id, reason = refusal.code(), window = refusal.window.as_str(), "deny");
        }
        Decision::Deny(reason) => tracing::info!(route, reason = reason.code(), "deny"),
    }
    decision
}

/// The decision's count (by outcome and reason code) and the authorizer's time.
fn record_metrics(decision: &Decision, took: std::time::Duration) {
    use gatehouse::telemetry::metrics::{self, AUTHORIZER_DECISIONS, AUTHORIZER_LATENCY};
    let (outcome, reason, path) = match decision {
        Decision::Allow(grant) => (
            "allow",
            "none",
            if grant.from_cache {
                "cached"
            } else {
                "uncached"
            },
        ),
        other => ("deny", other.reason_code().unwrap_or("unknown"), "deny"),
    };
    metrics::count(
        AUTHORIZER_DECISIONS,
        &[("Outcome", outcome), ("Reason", reason)],
    );
    metrics::time(AUTHORIZER_LATENCY, &[("Path", path)], took);
}

/// What the audit trail says of a restriction refusal: the reason code and what the
/// request presented (an address or origin is the tenant's own caller's, not secret).
fn restriction_detail(restricted: Restricted, request: &RequestFacts<'_>) -> String {
    let seen = match restricted {
        Restricted::SourceIp => {
            format!("from {}", request.source_ip.unwrap_or("an unknown address"))
        }
        Restricted::Route => format!("to {}", request.route),
        Restricted::Origin => format!(
            "from origin {}",
            request.origin.or(request.referer).unwrap_or("(none)")
        ),
        Restricted::Hours => format!("at {}", request.at),
    };
    let seen: String = seen.chars().take(300).collect();
    format!(
        "{}: the key's restrictions refuse requests {seen}",
        restricted.code()
    )
}

pub async fn handle(app: &App, event: ApiGatewayV2CustomAuthorizerV2Request) -> AuthorizerResponse {
    let route = event.route_key.as_deref().unwrap_or("-");
    let origin = origin(&event);
    let header = |name: &str| event.headers.get(name).and_then(|v| v.to_str().ok());
    let request = RequestFacts {
        source_ip: origin.source_ip.as_deref(),
        route,
        origin: header("origin"),
        referer: header("referer"),
        at: app.clock.now(),
    };
    let decision = decide(app, auth::credential(&event.headers), &request, &origin).await;
    let mut response = AuthorizerResponse::default();
    response.context = Value::Object(serde_json::Map::new());
    if let Decision::Allow(grant) = decision {
        response.is_authorized = true;
        response.context = Value::Object(grant.context().into_iter().collect());
    }
    response
}

fn origin(event: &ApiGatewayV2CustomAuthorizerV2Request) -> Origin {
    let ctx = &event.request_context;
    Origin {
        source_ip: ctx.http.source_ip.clone(),
        user_agent: ctx.http.user_agent.clone(),
        request_id: ctx.request_id.clone(),
        route: event.route_key.clone(),
    }
}

async fn audit_refusal(app: &App, route: &str, origin: Origin, grant: &Grant, detail: String) {
    let actor = Actor {
        principal: grant.principal.clone(),
        key_id: Some(grant.key_id.clone()),
    };
    let audit = AuditEvent::new(
        &grant.tenant_id,
        "access.denied",
        actor,
        origin,
        app.clock.now(),
    )
    .target(gatehouse::audit::TargetKind::Route, route)
    .refused(403, detail);
    if let Err(e) = app.audit.put(&audit).await {
        tracing::error!(error = %e, "authorizer refusal not audited");
    }
}
