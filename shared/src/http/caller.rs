//! The verified caller: what the authorizer put in the request context. Tenant-owned
//! reads and writes take the tenant from here and nowhere else.

use super::problem::{Problem, ProblemType};
use crate::audit::Origin;
use crate::auth::context_keys;
use crate::ids::{KeyId, TenantId};
use crate::keys::{Scope, ScopeSet};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: TenantId,
    pub key_id: KeyId,
    pub principal: String,
    pub scopes: ScopeSet,
}

impl Caller {
    /// The caller from an API Gateway request (HTTP API `authorizer.lambda` or REST API
    /// `authorizer` context). A request without one never reached us through the
    /// authorizer, so it is refused.
    pub fn from_request(req: &Request) -> Result<Self, Problem> {
        let context = req
            .request_context_ref()
            .and_then(RequestContext::authorizer);
        context
            .and_then(|a| Self::from_context(&a.fields))
            .ok_or_else(|| {
                Problem::new(
                    ProblemType::Unauthenticated,
                    "the request has no verified authorizer context",
                )
            })
    }

    pub fn from_context(fields: &HashMap<String, Value>) -> Option<Self> {
        let text = |name: &str| fields.get(name).and_then(Value::as_str);
        Some(Self {
            tenant_id: TenantId::parse(text(context_keys::TENANT_ID)?).ok()?,
            key_id: KeyId::parse(text(context_keys::KEY_ID)?).ok()?,
            principal: text(context_keys::PRINCIPAL)?.to_owned(),
            scopes: ScopeSet::parse_space_separated(text(context_keys::SCOPES)?).ok()?,
        })
    }

    /// The caller's scopes with every built-in implication (`keys:write` brings
    /// `keys:read`).
    pub fn effective_scopes(&self) -> ScopeSet {
        crate::keys::catalogue::effective(&self.scopes)
    }

    /// Refuses the call unless the caller holds `required` (or a scope that covers it).
    pub fn require(&self, required: &str) -> Result<(), Problem> {
        let scope = Scope::parse(required).map_err(|e| Problem::internal(&e))?;
        if self.effective_scopes().allows(&scope) {
            Ok(())
        } else {
            Err(Problem::new(
                ProblemType::InsufficientScope,
                format!("this call needs the `{scope}` scope"),
            ))
        }
    }
}

/// Where a call came from, as API Gateway's request context says.
pub fn origin(req: &lambda_http::Request) -> Origin {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => Origin {
            source_ip: ctx.http.source_ip.clone(),
            user_agent: ctx.http.user_agent.clone(),
            request_id: ctx.request_id.clone(),
            route: ctx.route_key.clone(),
        },
        Some(RequestContext::ApiGatewayV1(ctx)) => Origin {
            source_ip: ctx.identity.source_ip.clone(),
            user_agent: ctx.identity.user_agent.clone(),
            request_id: ctx.request_id.clone(),
            route: ctx.resource_path.clone(),
        },
        _ => Origin::default(),
    }
}
