//! `GET /v2/api-keys`: the caller's tenant's keys, masked, a page at a time.

use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::ids::KeyId;
use gatehouse::keys::model::KeyView;
use gatehouse::store::ListKeys;
use serde::Serialize;
use time::Duration;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::CURSORS);

pub const ACTION: &str = "api_key.list";
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// Cursors are bound to this listing (and the tenant) by their signature.
const LISTING: &str = "api-keys";

#[derive(Debug, Serialize)]
struct KeyList {
    items: Vec<KeyView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(
        call.req,
        &[
            "include_inactive",
            "expiring_within_days",
            "limit",
            "cursor",
        ],
    )?;
    let tenant = &call.caller.tenant_id;
    let after = match query.text("cursor") {
        Some(cursor) => {
            let position = call.app.cursors.decode(tenant, LISTING, cursor).await?;
            Some(
                KeyId::parse(&position)
                    .map_err(|_| Problem::invalid_parameter("`cursor` is not valid"))?,
            )
        }
        None => None,
    };
    let expiring_within = match query.text("expiring_within_days") {
        Some(_) => Some(Duration::days(
            query.number_in("expiring_within_days", 0, 1..=3650)? as i64,
        )),
        None => None,
    };
    let request = ListKeys {
        include_inactive: query.flag("include_inactive", false)?,
        limit: query.number_in("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?,
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
