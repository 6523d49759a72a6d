//! `GET /v2/api-keys`: the caller's tenant's keys, masked, a page at a time.
#![forbid(unsafe_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::App;
use gatehouse::http::query::Query;
use gatehouse::http::{ApiResult, Caller, Problem, json_response, respond};
use gatehouse::ids::KeyId;
use gatehouse::keys::model::KeyView;
use gatehouse::store::ListKeys;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

pub const REQUIRED_SCOPE: &str = "keys:read";
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

#[derive(Debug, Serialize)]
struct KeyList {
    items: Vec<KeyView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(list(app, &req).await)
}

async fn list(app: &App, req: &Request) -> ApiResult {
    let caller = Caller::from_request(req)?;
    caller.require(REQUIRED_SCOPE)?;
    let query = Query::from_request(req, &["include_inactive", "limit", "cursor"])?;
    let request = ListKeys {
        include_inactive: query.flag("include_inactive", false)?,
        limit: query.number_in("limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?,
        after: query.text("cursor").map(decode_cursor).transpose()?,
        now: app.clock.now(),
    };
    let page = app.keys.list_keys(&caller.tenant_id, &request).await?;
    Ok(json_response(
        200,
        &KeyList {
            items: page.keys.iter().map(|k| k.view()).collect(),
            next_cursor: page.next.as_ref().map(encode_cursor),
        },
    ))
}

/// Cursors are opaque to clients. They only ever position a query inside the caller's
/// own tenant partition, so a forged one can skip keys but never reveal another
/// tenant's.
fn encode_cursor(after: &KeyId) -> String {
    URL_SAFE_NO_PAD.encode(after.as_str())
}

fn decode_cursor(cursor: &str) -> Result<KeyId, Problem> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| KeyId::parse(&text).ok())
        .ok_or_else(|| Problem::invalid_parameter("`cursor` is not a cursor this API issued"))
}

#[cfg(test)]
#[path = "tests/cursor.rs"]
mod tests;
