//! `POST /v2/api-keys/{key_id}/rotate`: issues a replacement key (returned once) that
//! inherits the old key's name, scopes, principal and expiry. The old key keeps working
//! for the grace period the caller chooses (`0` revokes it now; at most 7 days), and
//! both keys record the link.

use crate::keys::create::CreatedKey;
use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::events::Category;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_body, json_response};
use gatehouse::keys::KeyStatus;
use gatehouse::keys::issue::{NewKey, prepare_key};
use gatehouse::keys::lifecycle::{self, DEFAULT_GRACE, MAX_GRACE, check_manageable, load_key};
use gatehouse::keys::model::KeyView;
use gatehouse::keys::policy::{check_replacement, key_policy};
use gatehouse::store::WriteBatch;
use lambda_http::Body;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Duration;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

pub const ACTION: &str = "api_key.rotate";

pub const DOC: Operation = Operation {
    description: "Issues a replacement that inherits name, scopes, principal and expiry. The old key keeps working for `grace_period_seconds` (0 revokes it now; at most 604800).",
    body: RequestBody::Required(of::<RotateRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::ApiKeys,
        "Rotate an API key",
        &[Reply::new(
            201,
            "The new key, shown once, and the previous key",
            of::<Rotated>(),
        )],
    )
};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RotateRequest {
    /// How long the old key keeps working: 0 to 604800 seconds, default 86400.
    #[schemars(range(min = 0, max = MAX_GRACE.whole_seconds()), extend("default" = DEFAULT_GRACE.whole_seconds()))]
    grace_period_seconds: Option<i64>,
}

/// The replacement key, shown once, and the key it replaces.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "RotatedKey")]
struct Rotated {
    #[serde(flatten)]
    new_key: CreatedKey,
    previous: KeyView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: RotateRequest = match call.req.body() {
        Body::Empty => RotateRequest::default(),
        _ => json_body(call.req)?,
    };
    let grace = match body.grace_period_seconds {
        None => DEFAULT_GRACE,
        Some(s) if (0..=MAX_GRACE.whole_seconds()).contains(&s) => Duration::seconds(s),
        Some(_) => {
            return Err(Problem::invalid_body(format!(
                "`grace_period_seconds` must be 0 to {}",
                MAX_GRACE.whole_seconds()
            )));
        }
    };
    let old = load_key(call).await?;
    check_manageable(call, &old)?;
    if old.status != KeyStatus::Active || old.is_expired(call.now) {
        return Err(Problem::new(
            ProblemType::Conflict,
            "only an active, unexpired key can be rotated",
        ));
    }
    if let Some(successor) = &old.rotated_to {
        return Err(Problem::new(
            ProblemType::Conflict,
            format!("this key was already rotated to {successor}"),
        ));
    }

    let mut spec = NewKey::replacing(&old, &call.caller.key_id, call.now);
    check_replacement(call, &key_policy(call).await?, &old, &mut spec)?;
    let (key, new) = prepare_key(call.app, &old.tenant_id, &old.prefix, spec)?;
    let mut retired = if grace.is_zero() {
        lifecycle::revoke(call, &old, "rotated without grace period")
    } else {
        let mut next = lifecycle::next_version(&old, call.now);
        let rotated_at = call.app.clock.precise_now();
        next.expires_at = Some(lifecycle::grace_end(rotated_at, grace, old.expires_at));
        next
    };
    retired.rotated_to = Some(new.key_id.clone());

    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::ApiKey, old.key_id.as_str())
        .status(201)
        .detail(format!(
            "rotated to {}; old key valid for {} s",
            new.key_id,
            grace.whole_seconds()
        ));
    let (new_view, old_view) = (new.view(), retired.view());
    let audit = audit.publishing(lifecycle::event(
        call,
        "api_key.rotated",
        Category::Lifecycle,
        serde_json::json!({ "key": new_view, "previous": old_view }),
    ));
    let mut batch = WriteBatch::new();
    call.app.keys.put_changed(&mut batch, &retired)?;
    call.app.keys.put_new(&mut batch, &new)?;
    lifecycle::commit(call, batch, &audit).await?;
    Ok(json_response(
        201,
        &Rotated {
            new_key: CreatedKey {
                key: key.expose().to_owned(),
                metadata: new_view,
            },
            previous: old_view,
        },
    ))
}
