//! API Gateway HTTP API Lambda authorizer (payload 2.0, simple responses).
//!
//! Allows with the context {tenantId, keyId, principal, scopes} or denies; it never
//! errors, because an authorizer error is a 500 to the client instead of a 403. A key
//! that is valid but lacks the route's declared scope is denied, and that refusal is
//! written to the tenant's audit trail.
#![forbid(unsafe_code)]

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use gatehouse::App;
use gatehouse::audit::{Actor, AuditEvent, Origin};
use gatehouse::auth::{self, Decision, Grant};
use serde_json::Value;

pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Value>;

pub async fn handle(app: &App, event: ApiGatewayV2CustomAuthorizerV2Request) -> AuthorizerResponse {
    let route = event.route_key.as_deref().unwrap_or("-");
    let origin = origin(&event);
    let authenticated =
        auth::authenticate_from(app, auth::credential(&event.headers), &origin).await;
    let mut response = AuthorizerResponse::default();
    response.context = Value::Object(serde_json::Map::new());
    match auth::authorize_route(authenticated, route) {
        Decision::Allow(grant) => {
            tracing::info!(route, tenant_id = %grant.tenant_id, key_id = %grant.key_id, "allow");
            response.is_authorized = true;
            response.context = Value::Object(grant.context().into_iter().collect());
        }
        Decision::DenyScope { grant, required } => {
            tracing::info!(route, tenant_id = %grant.tenant_id, key_id = %grant.key_id, reason = "insufficient_scope", "deny");
            audit_scope_refusal(app, &event, origin, &grant, required).await;
        }
        Decision::Deny(reason) => {
            tracing::info!(route, reason = reason.code(), "deny");
        }
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

async fn audit_scope_refusal(
    app: &App,
    event: &ApiGatewayV2CustomAuthorizerV2Request,
    origin: Origin,
    grant: &Grant,
    required: &str,
) {
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
    .target("route", event.route_key.clone().unwrap_or_default())
    .refused(
        403,
        format!("insufficient-scope: the route needs `{required}`"),
    );
    if let Err(e) = app.audit.put(&audit).await {
        tracing::error!(error = %e, "authorizer refusal not audited");
    }
}
