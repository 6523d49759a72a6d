//! `GET /v2/audit`: the tenant's audit trail, newest first, filtered by key, actor,
//! action and time range.

use gatehouse::audit::{AuditEvent, AuditQuery};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::{ApiResult, Problem, json_response};
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::AUDIT.with(Needs::CURSORS);

pub const ACTION: &str = "audit.read";
const LISTING: &str = "audit";

#[derive(Debug, Serialize)]
struct AuditList {
    items: Vec<AuditEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn short_text(query: &Query, name: &str) -> Result<Option<String>, Problem> {
    match query.text(name) {
        Some(t) if t.is_empty() || t.len() > 200 => Err(Problem::invalid_parameter(format!(
            "`{name}` must be 1-200 characters"
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(
        call.req,
        &["key_id", "actor", "action", "from", "to", "limit", "cursor"],
    )?;
    let (from, to) = (query.time("from")?, query.time("to")?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Problem::invalid_parameter("`from` must not be after `to`"));
    }
    let tenant = &call.caller.tenant_id;
    let after = match query.text("cursor") {
        Some(c) => Some(call.app.cursors.decode(tenant, LISTING, c).await?),
        None => None,
    };
    let request = AuditQuery {
        key_id: short_text(&query, "key_id")?,
        actor: short_text(&query, "actor")?,
        action: short_text(&query, "action")?,
        from,
        to,
        limit: query.number_in("limit", 50, 1..=200)?,
        after,
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
