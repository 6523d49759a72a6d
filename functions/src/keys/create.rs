//! `POST /v2/api-keys`: creates a key for the caller's tenant and returns it once.
//! With `service`, the key acts as that service rather than as the caller
//! (`create_service_key`).

use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::events::Category;
use gatehouse::http::call::Call;
use gatehouse::http::{ApiResult, Problem, json_body, json_response};
use gatehouse::keys::issue::{NewKey, prepare_key};
use gatehouse::keys::lifecycle::{
    self, check_expiry, check_grantable, checked_limits, parse_scopes,
};
use gatehouse::keys::model::{DisplayName, KeyView, Principal};
use gatehouse::limits::LimitSet;
use gatehouse::store::WriteBatch;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::EVENTS);

pub const ACTION: &str = "api_key.create";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKeyRequest {
    name: String,
    scopes: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    /// Makes a service key: its principal is `service:<name>`.
    #[serde(default)]
    service: Option<String>,
    /// The key's own rate limits and quotas (see README "Limits and quotas").
    #[serde(default)]
    limits: Option<LimitSet>,
}

#[derive(Debug, Serialize)]
pub struct CreatedKey {
    /// The full key: shown here once, never stored, never retrievable again.
    pub key: String,
    #[serde(flatten)]
    pub metadata: KeyView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: CreateKeyRequest = json_body(call.req)?;
    let name = DisplayName::parse(&body.name).map_err(|e| Problem::invalid_body(e.0))?;
    let scopes = parse_scopes(&body.scopes)?;
    let expires_at = body
        .expires_at
        .map(|at| check_expiry(at, call.now))
        .transpose()?;
    let principal = match &body.service {
        Some(service) => service_principal(service)?,
        None => Principal::parse(&call.caller.principal).map_err(|e| Problem::internal(&e.0))?,
    };
    check_grantable(call, &scopes).await?;

    let tenant = call
        .app
        .tenants
        .get(&call.caller.tenant_id)
        .await?
        .ok_or_else(|| Problem::internal(&"the verified caller's tenant is missing"))?;
    let spec = NewKey {
        name,
        scopes,
        principal,
        created_by: Some(call.caller.key_id.clone()),
        expires_at,
        rotated_from: None,
        limits: checked_limits(body.limits)?,
    };
    let (key, record) = prepare_key(call.app, &tenant.tenant_id, &tenant.key_prefix, spec)?;
    let view = record.view();
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::ApiKey, record.key_id.as_str())
        .status(201)
        .changes(
            [
                Change::of("name", &None, &Some(view.name.clone())),
                Change::of("scopes", &None, &Some(view.scopes.clone())),
                Change::of("principal", &None, &Some(view.principal.clone())),
                Change::of(
                    "expires_at",
                    &None,
                    &view.expires_at.map(|t| t.unix_timestamp()),
                ),
            ]
            .into_iter()
            .flatten()
            .collect(),
        );
    let mut batch = WriteBatch::new();
    call.app.keys.put_new(&mut batch, &record)?;
    lifecycle::commit(call, batch, &audit).await?;
    lifecycle::publish(
        call,
        "api_key.created",
        Category::Lifecycle,
        serde_json::json!({ "key": view }),
    )
    .await;

    let mut response = json_response(
        201,
        &CreatedKey {
            key: key.expose().to_owned(),
            metadata: view,
        },
    );
    if let Ok(location) = format!("/v2/api-keys/{}", record.key_id).parse() {
        response
            .headers_mut()
            .insert(http::header::LOCATION, location);
    }
    Ok(response)
}

/// `service:<name>`, where the name is 1-63 lowercase letters, digits or `-`,
/// starting with a letter.
fn service_principal(service: &str) -> Result<Principal, Problem> {
    let valid = (1..=63).contains(&service.len())
        && service
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(Problem::invalid_body(
            "`service` must be 1-63 lowercase letters, digits or `-`, starting with a letter",
        ));
    }
    Principal::parse(&format!("service:{service}")).map_err(|e| Problem::invalid_body(e.0))
}
