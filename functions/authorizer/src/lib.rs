//! API Gateway HTTP API Lambda authorizer (payload 2.0, simple responses).
//!
//! Allows with the context {tenantId, keyId, principal, scopes} or denies; it never
//! errors, because an authorizer error is a 500 to the client instead of a 403.
#![forbid(unsafe_code)]

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use gatehouse::App;
use gatehouse::auth::{self, Decision};
use serde_json::Value;

pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Value>;

pub async fn handle(app: &App, event: ApiGatewayV2CustomAuthorizerV2Request) -> AuthorizerResponse {
    let route = event.route_key.as_deref().unwrap_or("-");
    let decision = auth::authenticate(app, auth::credential(&event.headers)).await;
    let mut response = AuthorizerResponse::default();
    match decision {
        Decision::Allow(grant) => {
            tracing::info!(route, tenant_id = %grant.tenant_id, key_id = %grant.key_id, "allow");
            response.is_authorized = true;
            response.context = Value::Object(grant.context().into_iter().collect());
        }
        Decision::Deny(reason) => {
            tracing::info!(route, reason = reason.code(), "deny");
            response.is_authorized = false;
            response.context = Value::Object(serde_json::Map::new());
        }
    }
    response
}
