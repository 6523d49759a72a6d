//! `POST /v2/api-keys`: creates a key for the caller's tenant and returns it once.
//! With `service`, the key acts as that service rather than as the caller
//! (`create_service_key`).

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::events::Category;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_body, json_response};
use gatehouse::keys::ScopeSet;
use gatehouse::keys::issue::{NewKey, prepare_key};
use gatehouse::keys::lifecycle::{
    self, check_expiry, check_grantable, checked_limits, checked_restrictions, parse_scopes,
};
use gatehouse::keys::model::{DisplayName, KeyView, Principal};
use gatehouse::keys::policy::{check_new_key, key_policy};
use gatehouse::keys::restrictions::KeyRestrictions;
use gatehouse::limits::LimitSet;
use gatehouse::schema::Rfc3339;
use gatehouse::store::WriteBatch;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

pub const ACTION: &str = "api_key.create";

pub const DOC: Operation = Operation {
    description: "Creates a key for the caller's tenant. With `service`, the key acts as `service:<name>`. A key can only be given scopes its creator holds.",
    body: RequestBody::Required(of::<CreateKeyRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::ApiKeys,
        "Create an API key",
        &[Reply::new(
            201,
            "The key, shown once, and its metadata",
            of::<CreatedKey>(),
        )],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({
    "name": "billing worker",
    "scopes": ["keys:read"],
    "expires_at": "2027-06-30T00:00:00Z",
    "limits": {"all_routes": {"per_second": 10, "per_day": 100000}},
}))]
struct CreateKeyRequest {
    #[schemars(with = "DisplayName")]
    name: String,
    #[schemars(with = "ScopeSet", length(min = 1))]
    scopes: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<Rfc3339>")]
    expires_at: Option<OffsetDateTime>,
    /// Makes a service key: its principal is `service:<name>`.
    #[serde(default)]
    #[schemars(regex(pattern = "^[a-z][a-z0-9-]{0,62}$"))]
    service: Option<String>,
    /// The key's own rate limits and quotas; windows left out follow the plan.
    #[serde(default)]
    limits: Option<LimitSet>,
    /// Where, what, from which web origins and when the key may be used; checked by
    /// the authorizer on every request.
    #[serde(default)]
    restrictions: Option<KeyRestrictions>,
}

/// A new key, shown once, and its metadata.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedKey {
    /// The full key, shown once. `null` in an idempotent replay: it is never stored.
    #[schemars(with = "Option<String>")]
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
    let caller = Principal::parse(&call.caller.principal).map_err(|e| Problem::internal(&e.0))?;
    // A service key is bound to its creator's permissions (permission sync).
    let (principal, owner) = match &body.service {
        Some(service) => (service_principal(service)?, Some(caller)),
        None => (caller, None),
    };
    check_grantable(call, &scopes).await?;
    let policy = key_policy(call).await?;
    check_new_key(
        call,
        &policy,
        call.app.config.key_environment,
        &scopes,
        expires_at,
        &principal,
    )
    .await?;

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
        owner,
        created_by: Some(call.caller.key_id.clone()),
        expires_at,
        rotated_from: None,
        limits: checked_limits(body.limits)?,
        restrictions: checked_restrictions(body.restrictions)?.map(std::sync::Arc::new),
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
                Change::of("restrictions", &None, &view.restrictions),
            ]
            .into_iter()
            .flatten()
            .collect(),
        );
    let audit = audit.publishing(lifecycle::event(
        call,
        "api_key.created",
        Category::Lifecycle,
        serde_json::json!({ "key": view }),
    ));
    let mut batch = WriteBatch::new();
    call.app.keys.put_new(&mut batch, &record)?;
    lifecycle::commit(call, batch, &audit).await?;

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
