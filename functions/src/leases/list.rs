//! `GET /v2/leases`: the tenant's leases (never their credentials), a page at a time.
//! Leases stay listed, as expired or revoked, until DynamoDB's TTL removes them after
//! they expire.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::cursor::CURSOR;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::ids::LeaseId;
use gatehouse::leases::LeaseView;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::AUDIT)
    .with(Needs::CURSORS);

pub const ACTION: &str = "lease.list";
/// Cursors are bound to this listing (and the tenant) by their signature.
const LISTING: &str = "leases";

const LIMIT: Param = Param::number("limit", "Page size", 1, 200, Some(50));
const QUERY: &[Param] = &[LIMIT, CURSOR];

pub const DOC: Operation = Operation {
    description: "The tenant's leases, active, expired and revoked, in lease-id order; never their credentials.",
    query: QUERY,
    ..Operation::new(
        Tag::Secrets,
        "List leases",
        &[Reply::new(200, "A page of leases", of::<LeaseList>())],
    )
};

#[derive(Debug, Serialize, JsonSchema)]
struct LeaseList {
    items: Vec<LeaseView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, QUERY)?;
    let tenant = &call.caller.tenant_id;
    let after = match query.text(&CURSOR) {
        Some(cursor) => {
            let position = call.app.cursors.decode(tenant, LISTING, cursor).await?;
            Some(
                LeaseId::parse(&position)
                    .map_err(|_| Problem::invalid_parameter("`cursor` is not valid"))?,
            )
        }
        None => None,
    };
    let limit = query.number(&LIMIT)?.unwrap_or(50);
    let (leases, next) = call.app.leases.list(tenant, after.as_ref(), limit).await?;
    let next_cursor = match &next {
        Some(last) => Some(
            call.app
                .cursors
                .encode(tenant, LISTING, last.as_str())
                .await?,
        ),
        None => None,
    };
    Ok(json_response(
        200,
        &LeaseList {
            items: leases.iter().map(|l| LeaseView::of(l, call.now)).collect(),
            next_cursor,
        },
    ))
}
