//! `POST /v2/api-keys`: creates a key for the caller's tenant and returns it once.
#![forbid(unsafe_code)]

use gatehouse::App;
use gatehouse::http::{ApiResult, Caller, Problem, ProblemType, json_body, json_response, respond};
use gatehouse::keys::issue::{IssueError, NewKey, issue_key};
use gatehouse::keys::model::{DisplayName, KeyView, Principal};
use gatehouse::keys::{Scope, ScopeSet};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The scope this route needs.
pub const REQUIRED_SCOPE: &str = "keys:write";
/// Longest lifetime a key can be given at creation.
pub const MAX_LIFETIME: Duration = Duration::days(5 * 366);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKeyRequest {
    name: String,
    scopes: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize)]
struct CreatedKey {
    /// The full key: shown here once, never stored, never retrievable again.
    key: String,
    #[serde(flatten)]
    metadata: KeyView,
}

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    respond(create(app, &req).await)
}

async fn create(app: &App, req: &Request) -> ApiResult {
    let caller = Caller::from_request(req)?;
    caller.require(REQUIRED_SCOPE)?;
    let body: CreateKeyRequest = json_body(req)?;
    let now = app.clock.now();

    let name = DisplayName::parse(&body.name).map_err(|e| Problem::invalid_body(e.0))?;
    let scopes = parse_scopes(&body.scopes)?;
    let missing = caller.scopes.missing_from(&scopes);
    if !missing.is_empty() {
        let names: Vec<_> = missing.iter().map(|s| format!("`{s}`")).collect();
        return Err(Problem::new(
            ProblemType::InsufficientScope,
            format!(
                "a key can only be given scopes its creator holds; you lack {}",
                names.join(", ")
            ),
        ));
    }
    let expires_at = body
        .expires_at
        .map(|at| check_expiry(at, now))
        .transpose()?;
    let principal = Principal::parse(&caller.principal).map_err(|e| Problem::internal(&e.0))?;

    let tenant = app
        .keys
        .get_tenant(&caller.tenant_id)
        .await?
        .ok_or_else(|| {
            Problem::internal(&format!(
                "tenant {} of a verified caller is missing",
                caller.tenant_id
            ))
        })?;

    let spec = NewKey {
        name,
        scopes,
        principal,
        created_by: Some(caller.key_id.clone()),
        expires_at,
    };
    let (key, record) = issue_key(app, &tenant, spec).await.map_err(|e| match e {
        IssueError::Store(store) => Problem::from(store),
        IssueError::Crypto(_) => Problem::internal(&e),
    })?;
    tracing::info!(tenant_id = %record.tenant_id, key_id = %record.key_id, "key created");
    let mut response = json_response(
        201,
        &CreatedKey {
            key: key.expose().to_owned(),
            metadata: record.view(),
        },
    );
    if let Ok(location) = format!("/v2/api-keys/{}", record.key_id).parse() {
        response
            .headers_mut()
            .insert(http::header::LOCATION, location);
    }
    Ok(response)
}

fn parse_scopes(raw: &[String]) -> Result<ScopeSet, Problem> {
    if raw.is_empty() {
        return Err(Problem::invalid_body(
            "`scopes` must name at least one scope",
        ));
    }
    let scopes = raw
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Problem::invalid_body(e.to_string()))?;
    ScopeSet::new(scopes).map_err(|e| Problem::invalid_body(e.to_string()))
}

fn check_expiry(at: OffsetDateTime, now: OffsetDateTime) -> Result<OffsetDateTime, Problem> {
    let at = at.to_offset(time::UtcOffset::UTC);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    if at <= now {
        return Err(Problem::invalid_body("`expires_at` must be in the future"));
    }
    if at - now > MAX_LIFETIME {
        return Err(Problem::invalid_body(format!(
            "`expires_at` may be at most {} days ahead",
            MAX_LIFETIME.whole_days()
        )));
    }
    Ok(at)
}
