//! `GET /v2/audit`: the tenant's audit trail, newest first, filtered by key, actor,
//! action and time range.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::audit::{AuditEvent, AuditQuery};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::cursor::CURSOR;
use gatehouse::http::query::Param;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::ids::KeyId;
use gatehouse::schema::Text;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::AUDIT.with(Needs::CURSORS);

pub const ACTION: &str = "audit.read";

const KEY_ID: Param = Param::text(
    "key_id",
    "Events about, or made with, this key",
    of::<KeyId>(),
);
const ACTOR: Param = Param::text(
    "actor",
    "Events by this principal or key id",
    of::<Text<1, 200>>(),
);
const ACTION_FILTER: Param = Param::text(
    "action",
    "e.g. `api_key.rotate`, `access.denied`",
    of::<Text<1, 200>>(),
);
const FROM: Param = Param::time("from", "Earliest time (inclusive)");
const TO: Param = Param::time("to", "Latest time (inclusive)");
const LIMIT: Param = Param::number("limit", "Page size", 1, 200, Some(50));
const QUERY: &[Param] = &[KEY_ID, ACTOR, ACTION_FILTER, FROM, TO, LIMIT, CURSOR];

pub const DOC: Operation = Operation {
    query: QUERY,
    ..Operation::new(
        Tag::Audit,
        "Read the audit trail",
        &[Reply::new(200, "Events, newest first", of::<AuditList>())],
    )
};
const LISTING: &str = "audit";

#[derive(Debug, Serialize, JsonSchema)]
struct AuditList {
    items: Vec<AuditEvent>,
    /// Present while older events remain to be read. A filtered read looks at a bounded
    /// number of events per request, so a page may hold fewer items than `limit`, even
    /// none, and still carry a cursor: read on until it is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn short_text(query: &Query, param: &Param) -> Result<Option<String>, Problem> {
    match query.text(param) {
        Some(t) if t.is_empty() || t.len() > 200 => Err(Problem::invalid_parameter(format!(
            "`{}` must be 1-200 characters",
            param.name
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, QUERY)?;
    let (from, to) = (query.time(&FROM)?, query.time(&TO)?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Problem::invalid_parameter("`from` must not be after `to`"));
    }
    let tenant = &call.caller.tenant_id;
    let after = match query.text(&CURSOR) {
        Some(c) => Some(call.app.cursors.decode(tenant, LISTING, c).await?),
        None => None,
    };
    let request = AuditQuery {
        key_id: short_text(&query, &KEY_ID)?,
        actor: short_text(&query, &ACTOR)?,
        action: short_text(&query, &ACTION_FILTER)?,
        from,
        to,
        limit: query.number(&LIMIT)?.unwrap_or(50),
        after,
        ..AuditQuery::default()
    };
    let page = call.app.audit.query(tenant, &request).await?;
    let next_cursor = match &page.next {
        Some(last) => Some(call.app.cursors.encode(tenant, LISTING, last).await?),
        None => None,
    };
    Ok(json_response(
        200,
        &AuditList {
            items: page.events,
            next_cursor,
        },
    ))
}
