//! `GET /v2/integrations/sso`: the tenant's connections (never their secrets).

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::sso::ConnectionView;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS.with(Needs::SSO).with(Needs::AUDIT);

pub const ACTION: &str = "sso.connection.list";

pub const DOC: Operation = Operation::new(
    Tag::Integrations,
    "List SSO connections",
    &[Reply::new(200, "The connections", of::<ConnectionList>())],
);

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SsoConnectionList")]
struct ConnectionList {
    items: Vec<ConnectionView>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    gatehouse::http::query::Query::from_request(call.req, &[])?;
    let connections = call
        .app
        .sso
        .connections
        .list(&call.caller.tenant_id)
        .await?;
    let base = gatehouse::sso::base_url(call.app, call.req);
    Ok(json_response(
        200,
        &ConnectionList {
            items: connections
                .iter()
                .map(|c| ConnectionView::of(c, &base))
                .collect(),
        },
    ))
}
