//! `GET /v2/api-keys`: the caller's tenant's keys, masked, a page at a time.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::cursor::CURSOR;
use gatehouse::http::query::Param;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::ids::KeyId;
use gatehouse::keys::model::KeyView;
use gatehouse::store::ListKeys;
use schemars::JsonSchema;
use serde::Serialize;
use time::Duration;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::CURSORS);

pub const ACTION: &str = "api_key.list";

const INCLUDE_INACTIVE: Param = Param::flag(
    "include_inactive",
    "Include disabled, revoked and expired keys",
    false,
);
const EXPIRING_WITHIN_DAYS: Param = Param::number(
    "expiring_within_days",
    "Only active keys expiring within this many days",
    1,
    3650,
    None,
);
const LIMIT: Param = Param::number("limit", "Page size", 1, MAX_LIMIT, Some(DEFAULT_LIMIT));
const QUERY: &[Param] = &[INCLUDE_INACTIVE, EXPIRING_WITHIN_DAYS, LIMIT, CURSOR];

pub const DOC: Operation = Operation {
    query: QUERY,
    ..Operation::new(
        Tag::ApiKeys,
        "List API keys",
        &[Reply::new(200, "A page of masked keys", of::<KeyList>())],
    )
};
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// Cursors are bound to this listing (and the tenant) by their signature.
const LISTING: &str = "api-keys";

#[derive(Debug, Serialize, JsonSchema)]
struct KeyList {
    items: Vec<KeyView>,
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
                KeyId::parse(&position)
                    .map_err(|_| Problem::invalid_parameter("`cursor` is not valid"))?,
            )
        }
        None => None,
    };
    let expiring_within = query
        .number(&EXPIRING_WITHIN_DAYS)?
        .map(|days| Duration::days(days as i64));
    let request = ListKeys {
        include_inactive: query.flag(&INCLUDE_INACTIVE)?,
        limit: query.number(&LIMIT)?.unwrap_or(DEFAULT_LIMIT),
        after,
        now: call.now,
        expiring_within,
    };
    let page = call.app.keys.list(tenant, &request).await?;
    let next_cursor = match &page.next {
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
        &KeyList {
            items: page.keys.iter().map(|k| k.view()).collect(),
            next_cursor,
        },
    ))
}
