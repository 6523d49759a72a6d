//! A tenant's access policy for its own APIs behind the authorizer: the scope each of
//! its routes requires, whether unlisted routes are open to any of its keys, and the
//! plan limits its keys inherit.

use super::{LimitSet, MAX_ROUTES, validate_route_key};
use crate::keys::Scope;
use crate::routes::Routes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicy {
    /// Route key (`GET /orders/{id}`) -> the scope a key needs to call it.
    #[serde(default)]
    #[schemars(extend("maxProperties" = MAX_ROUTES, "propertyNames" = {"pattern": super::ROUTE_KEY_PATTERN}))]
    pub route_scopes: BTreeMap<String, Scope>,
    /// Refuse routes `route_scopes` does not list (`insufficient_scope`) instead of
    /// leaving them to the backend.
    #[serde(default)]
    pub deny_unlisted_routes: bool,
    /// Limits for keys that set none of their own, window by window.
    #[serde(default)]
    pub plan: LimitSet,
}

/// What the policy says about one route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteRule<'a> {
    Requires(&'a Scope),
    Open,
    Refused,
}

impl AccessPolicy {
    /// `own`: Gatehouse's own routes, whose scopes a tenant cannot change.
    pub fn validate(&self, own: Routes) -> Result<(), String> {
        if self.route_scopes.len() > MAX_ROUTES {
            return Err(format!("at most {MAX_ROUTES} routes may be listed"));
        }
        for route in self.route_scopes.keys() {
            validate_route_key(route)?;
            if own.find(route).is_some() {
                return Err(format!(
                    "`{route}` is a Gatehouse route; its scope is fixed"
                ));
            }
        }
        self.plan.validate().map_err(|e| format!("plan: {e}"))
    }

    pub fn rule(&self, route: &str) -> RouteRule<'_> {
        match self.route_scopes.get(route) {
            Some(scope) => RouteRule::Requires(scope),
            None if self.deny_unlisted_routes => RouteRule::Refused,
            None => RouteRule::Open,
        }
    }
}

/// A tenant's access policy and the version its next write must replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredPolicy {
    pub policy: AccessPolicy,
    /// 0: never written.
    pub version: u64,
    pub updated_at: Option<OffsetDateTime>,
}
