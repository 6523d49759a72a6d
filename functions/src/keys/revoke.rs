//! `DELETE /v2/api-keys/{key_id}`: revokes a key at once, with a required reason and
//! the revoking principal. Repeating it is harmless: an already revoked key is returned
//! as it is.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::events::Category;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_body, json_response};
use gatehouse::keys::KeyStatus;
use gatehouse::keys::lifecycle::{self, load_key, reason_text};
use gatehouse::keys::model::KeyView;
use gatehouse::schema::PlainText;
use gatehouse::store::WriteBatch;
use schemars::JsonSchema;
use serde::Deserialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT);

pub const ACTION: &str = "api_key.revoke";

pub const DOC: Operation = Operation {
    body: RequestBody::Required(of::<RevokeRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::ApiKeys,
        "Revoke an API key",
        &[Reply::new(
            200,
            "The revoked key (repeating is harmless)",
            of::<KeyView>(),
        )],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    #[schemars(with = "PlainText<1, 500>")]
    reason: String,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: RevokeRequest = json_body(call.req)?;
    let reason = reason_text(&body.reason, "reason")?;
    let key = load_key(call).await?;
    if key.status == KeyStatus::Revoked {
        return Ok(json_response(200, &key.view()));
    }
    let revoked = lifecycle::revoke(call, &key, &reason);
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::ApiKey, key.key_id.as_str())
        .changes(
            Change::of("status", &key.status, &revoked.status)
                .into_iter()
                .collect(),
        )
        .detail(reason);
    let view = revoked.view();
    let audit = audit.publishing(lifecycle::event(
        call,
        "api_key.revoked",
        Category::Lifecycle,
        serde_json::json!({ "key": view }),
    ));
    let mut batch = WriteBatch::new();
    call.app.keys.put_changed(&mut batch, &revoked)?;
    lifecycle::commit(call, batch, &audit).await?;
    Ok(json_response(200, &view))
}
