//! `PUT /v2/api-keys/{key_id}`: changes a key's name, scopes, status (active/disabled)
//! or expiry. Fields left out keep their value; `"expires_at": null` removes the
//! expiry. Every change is audited with its before and after values.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::events::Category;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_body, json_response};
use gatehouse::keys::KeyRecord;
use gatehouse::keys::KeyStatus;
use gatehouse::keys::ScopeSet;
use gatehouse::keys::lifecycle::{
    self, check_expiry, check_grantable, check_manageable, checked_limits, checked_restrictions,
    load_key, parse_scopes,
};
use gatehouse::keys::model::DisplayName;
use gatehouse::keys::model::KeyView;
use gatehouse::keys::permission_sync::beyond_its_holder;
use gatehouse::keys::policy::{check_counts, key_policy, refused};
use gatehouse::keys::restrictions::KeyRestrictions;
use gatehouse::limits::LimitSet;
use gatehouse::schema::Rfc3339;
use gatehouse::store::WriteBatch;
use schemars::JsonSchema;
use serde::Deserialize;
use time::OffsetDateTime;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "api_key.update";

pub const DOC: Operation = Operation {
    description: "Changes name, scopes, status (`active`/`disabled`), expiry, limits or restrictions (`null` removes expiry, limits or restrictions). Fields left out keep their value. A key bound to an SSO principal (acting as it, or a service key it owns) cannot be enabled or given scopes beyond what the principal holds now (409).",
    body: RequestBody::Required(of::<UpdateKeyRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::ApiKeys,
        "Update an API key",
        &[Reply::new(200, "The updated key", of::<KeyView>())],
    )
};

/// The statuses a caller may set (`revoked` is `DELETE`'s).
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum SettableStatus {
    Active,
    Disabled,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
struct UpdateKeyRequest {
    // Option fields are absent when not given; `default` says so to the schema.
    #[serde(default)]
    #[schemars(with = "DisplayName")]
    name: Option<String>,
    #[serde(default)]
    #[schemars(with = "ScopeSet", length(min = 1))]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    #[schemars(with = "SettableStatus")]
    status: Option<String>,
    /// Absent: unchanged. `null`: no expiry. A timestamp: the new expiry.
    #[serde(default, deserialize_with = "gatehouse::http::body::present")]
    #[schemars(with = "Option<Rfc3339>")]
    expires_at: Option<Option<String>>,
    /// Absent: unchanged. `null`: the plan's limits only. An object: the key's own
    /// limits, replacing the ones it had (`update_usage_quotas`).
    #[serde(default, deserialize_with = "gatehouse::http::body::present")]
    #[schemars(with = "Option<LimitSet>")]
    limits: Option<Option<LimitSet>>,
    /// Absent: unchanged. `null`: no restrictions. An object: the key's restrictions,
    /// replacing the ones it had.
    #[serde(default, deserialize_with = "gatehouse::http::body::present")]
    #[schemars(with = "Option<KeyRestrictions>")]
    restrictions: Option<Option<KeyRestrictions>>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: UpdateKeyRequest = json_body(call.req)?;
    if body.name.is_none()
        && body.scopes.is_none()
        && body.status.is_none()
        && body.expires_at.is_none()
        && body.limits.is_none()
        && body.restrictions.is_none()
    {
        return Err(Problem::invalid_body(
            "give at least one of `name`, `scopes`, `status`, `expires_at`, `limits`, `restrictions`",
        ));
    }
    let current = load_key(call).await?;
    check_manageable(call, &current)?;
    if current.status == KeyStatus::Revoked {
        return Err(Problem::new(
            ProblemType::Conflict,
            "a revoked key cannot be changed",
        ));
    }

    let mut next = lifecycle::next_version(&current, call.now);
    if let Some(name) = &body.name {
        next.name = DisplayName::parse(name).map_err(|e| Problem::invalid_body(e.0))?;
    }
    if let Some(scopes) = &body.scopes {
        next.scopes = parse_scopes(scopes)?;
        check_grantable(call, &next.scopes).await?;
    }
    if let Some(status) = &body.status {
        next.status = match status.as_str() {
            "active" => KeyStatus::Active,
            "disabled" => KeyStatus::Disabled,
            _ => {
                return Err(Problem::invalid_body(
                    "`status` must be `active` or `disabled` (revoke with DELETE)",
                ));
            }
        };
    }
    if let Some(expiry) = &body.expires_at {
        next.expires_at = match expiry {
            None => None,
            Some(text) => {
                let at =
                    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                        .map_err(|_| {
                            Problem::invalid_body(
                                "`expires_at` must be an RFC 3339 timestamp or null",
                            )
                        })?;
                Some(check_expiry(at, call.now)?)
            }
        };
    }

    if let Some(limits) = body.limits {
        next.limits = checked_limits(limits)?;
    }
    if let Some(restrictions) = body.restrictions {
        next.restrictions = checked_restrictions(restrictions)?.map(std::sync::Arc::new);
    }
    check_key_policy(call, &current, &next).await?;

    let (before, after) = (current.view(), next.view());
    let changes: Vec<Change> = [
        Change::of("name", &before.name, &after.name),
        Change::of("scopes", &before.scopes, &after.scopes),
        Change::of("status", &before.status, &after.status),
        Change::of(
            "expires_at",
            &before.expires_at.map(|t| t.unix_timestamp()),
            &after.expires_at.map(|t| t.unix_timestamp()),
        ),
        Change::of("limits", &before.limits, &after.limits),
        Change::of("restrictions", &before.restrictions, &after.restrictions),
    ]
    .into_iter()
    .flatten()
    .collect();
    if changes.is_empty() {
        return Ok(json_response(200, &before));
    }
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::ApiKey, next.key_id.as_str())
        .changes(changes.clone())
        .publishing(lifecycle::event(
            call,
            "api_key.updated",
            Category::Lifecycle,
            serde_json::json!({ "key": after, "changes": changes }),
        ));
    let mut batch = WriteBatch::new();
    call.app.keys.put_changed(&mut batch, &next)?;
    lifecycle::commit(call, batch, &audit).await?;
    Ok(json_response(200, &after))
}

/// The key policy's rules for what this update changes, and only those (a key that
/// broke a rule before the policy changed can still be renamed or disabled), and its
/// SSO principal's scopes when it is enabled or its scopes change.
async fn check_key_policy(
    call: &Call<'_>,
    current: &KeyRecord,
    next: &KeyRecord,
) -> Result<(), Problem> {
    let reactivated = current.status != KeyStatus::Active && next.status == KeyStatus::Active;
    let changed_scopes = current.scopes != next.scopes;
    let changed_expiry = current.expires_at != next.expires_at;
    if !(reactivated || changed_scopes || changed_expiry) {
        return Ok(());
    }
    let policy = key_policy(call).await?;
    if changed_scopes {
        policy
            .check_scopes(next.environment, &next.scopes)
            .map_err(refused)?;
    }
    if changed_expiry {
        policy
            .check_expiry(next.environment, next.expires_at, call.now)
            .map_err(refused)?;
    }
    if reactivated {
        check_counts(call, &policy, &next.principal).await?;
    }
    // A key an SSO principal binds cannot get back, by enabling or new scopes, what
    // permission sync took from it or would take (a sync may have missed it).
    if (reactivated || changed_scopes)
        && let Some(why) = beyond_its_holder(call.app, next).await?
    {
        return Err(Problem::new(
            ProblemType::Conflict,
            format!("{why}: an active key cannot hold more than its principal does"),
        ));
    }
    Ok(())
}
