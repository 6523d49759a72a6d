//! `GET /v2/principals`: the tenant's principals.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso::PrincipalView;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "principal.list";

pub const DOC: Operation = Operation::new(
    Tag::Integrations,
    "List principals",
    &[Reply::new(200, "The principals", of::<PrincipalList>())],
);

#[derive(Debug, Serialize, JsonSchema)]
struct PrincipalList {
    items: Vec<PrincipalView>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    gatehouse::http::query::Query::from_request(call.req, &[])?;
    let principals = call.app.sso.principals.list(&call.caller.tenant_id).await?;
    let items = principals
        .iter()
        .map(PrincipalView::of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json_response(200, &PrincipalList { items }))
}
