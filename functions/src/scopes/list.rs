//! `GET /v2/scopes`: every scope of the tenant, built-in and custom, with its
//! documentation, and whether the caller could grant it to a new key.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::Scope;
use gatehouse::keys::catalogue::BUILTIN_SCOPES;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "scope.list";

pub const DOC: Operation = Operation::new(
    Tag::Scopes,
    "List scopes",
    &[Reply::new(
        200,
        "Built-in and custom scopes with their documentation",
        of::<ScopeList>(),
    )],
);

#[derive(Debug, Serialize, JsonSchema)]
struct ScopeDoc {
    name: String,
    description: String,
    builtin: bool,
    /// Scopes that holding this one also grants.
    implies: Vec<String>,
    /// Whether the caller holds it, and so could give it to a key.
    grantable: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct ScopeList {
    items: Vec<ScopeDoc>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    Query::from_request(call.req, &[])?;
    let held = call.caller.effective_scopes();
    let grantable = |name: &str| Scope::parse(name).is_ok_and(|s| held.allows(&s));
    let mut items: Vec<ScopeDoc> = BUILTIN_SCOPES
        .iter()
        .map(|b| ScopeDoc {
            name: b.name.to_owned(),
            description: b.description.to_owned(),
            builtin: true,
            implies: b.implies.iter().map(|s| (*s).to_owned()).collect(),
            grantable: grantable(b.name),
        })
        .collect();
    for custom in call.app.scopes.list(&call.caller.tenant_id).await? {
        items.push(ScopeDoc {
            grantable: grantable(custom.name.as_str()),
            name: custom.name.to_string(),
            description: custom.description,
            builtin: false,
            implies: Vec::new(),
        });
    }
    Ok(json_response(200, &ScopeList { items }))
}
