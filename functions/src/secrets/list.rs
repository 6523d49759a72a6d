//! `GET /v2/secrets`: the tenant's secrets (metadata only), in path order, a page at
//! a time, optionally under a prefix.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::cursor::CURSOR;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::secrets::{MetadataView, STORE, SecretPath};
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::AUDIT)
    .with(Needs::CURSORS);

pub const ACTION: &str = "secret.list";
/// Cursors are bound to this listing (and the tenant) by their signature.
const LISTING: &str = "secrets";

const PREFIX: Param = Param::text(
    "prefix",
    "Only secrets whose path starts with this (`team/` for the secrets under `team`).",
    of::<gatehouse::schema::Text<1, 512>>(),
);
const LIMIT: Param = Param::number("limit", "Page size", 1, 200, Some(50));
const QUERY: &[Param] = &[PREFIX, LIMIT, CURSOR, STORE];

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Metadata of the tenant's secrets in path order; never a value.",
    query: QUERY,
    ..Operation::new(
        Tag::Secrets,
        "List secrets",
        &[Reply::new(200, "A page of secrets", of::<SecretList>())],
    )
};

#[derive(Debug, Serialize, JsonSchema)]
struct SecretList {
    items: Vec<MetadataView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, QUERY)?;
    let store = gatehouse::secrets::store_for(call, &query)?;
    let tenant = &call.caller.tenant_id;
    let prefix = query.text(&PREFIX).unwrap_or_default();
    if prefix.chars().count() > 512 || prefix.chars().any(char::is_control) {
        return Err(Problem::invalid_parameter(
            "`prefix` is at most 512 characters, without control characters",
        ));
    }
    let after = match query.text(&CURSOR) {
        Some(cursor) => {
            let position = call.app.cursors.decode(tenant, LISTING, cursor).await?;
            SecretPath::parse(&position)
                .map_err(|_| Problem::invalid_parameter("`cursor` is not valid"))?;
            Some(position)
        }
        None => None,
    };
    let limit = query.number(&LIMIT)?.unwrap_or(50);
    let (items, next) = store
        .list(tenant, prefix, after.as_deref(), limit, call.now)
        .await?;
    let next_cursor = match &next {
        Some(last) => Some(call.app.cursors.encode(tenant, LISTING, last).await?),
        None => None,
    };
    Ok(json_response(
        200,
        &SecretList {
            items: items
                .iter()
                .map(|(path, meta)| MetadataView::of(path, meta))
                .collect(),
            next_cursor,
        },
    ))
}
