//! `POST /v2/api-keys/{key_id}/compromise`: the compromise response. The key is revoked
//! at once (no grace period), the incident is recorded in the audit trail, a security
//! event is published, and on request a replacement with the same scopes is issued.

use crate::keys::create::CreatedKey;
use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::events::Category;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, ProblemType, json_body, json_response};
use gatehouse::keys::KeyStatus;
use gatehouse::keys::issue::{NewKey, prepare_key};
use gatehouse::keys::lifecycle::{self, check_grantable, load_key, reason_text};
use gatehouse::keys::model::KeyView;
use gatehouse::keys::policy::{check_replacement, key_policy};
use gatehouse::schema::PlainText;
use gatehouse::store::WriteBatch;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

pub const ACTION: &str = "api_key.compromise";

pub const DOC: Operation = Operation {
    description: "Revokes the key at once, records the incident in the audit trail, publishes an `api_key.compromised` security event and, with `replace`, issues a replacement (needs `keys:write` too). A key already revoked (by secret scanning, say) can be reported again to get its replacement, once.",
    body: RequestBody::Required(of::<CompromiseRequest>()),
    conflict: Some("Conflicts with the object's state"),
    ..Operation::new(
        Tag::ApiKeys,
        "Report a compromised API key",
        &[Reply::new(
            200,
            "The revoked key, the incident id and any replacement",
            of::<CompromiseResponse>(),
        )],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CompromiseRequest {
    /// What happened: where the key leaked, how it was found.
    #[schemars(with = "PlainText<1, 500>")]
    description: String,
    /// Issue a replacement key with the same name, scopes, principal and expiry.
    #[serde(default)]
    replace: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct CompromiseResponse {
    /// The audit event that records the incident.
    incident_id: String,
    revoked: KeyView,
    #[serde(skip_serializing_if = "Option::is_none")]
    replacement: Option<CreatedKey>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let body: CompromiseRequest = json_body(call.req)?;
    let description = reason_text(&body.description, "description")?;
    let key = load_key(call).await?;
    // The replacement is checked before anything changes: a refusal leaves the key
    // as it was, and the report can be sent again without `replace`.
    let replacement_spec = if body.replace {
        call.caller.require("keys:write")?;
        // One replacement per key: a key revoked by secret scanning gets its
        // replacement here, once.
        if let Some(successor) = &key.rotated_to {
            return Err(Problem::new(
                ProblemType::Conflict,
                format!("this key was already replaced by {successor}"),
            ));
        }
        check_grantable(call, &key.scopes).await?;
        let mut spec = NewKey::replacing(&key, &call.caller.key_id, call.now);
        check_replacement(call, &key_policy(call).await?, &key, &mut spec)?;
        Some(spec)
    } else {
        None
    };

    let mut revoked = if key.status == KeyStatus::Revoked {
        lifecycle::next_version(&key, call.now)
    } else {
        lifecycle::revoke(call, &key, &format!("compromised: {description}"))
    };
    let mut batch = WriteBatch::new();
    let replacement = if let Some(spec) = replacement_spec {
        let (new_key, record) = prepare_key(call.app, &key.tenant_id, &key.prefix, spec)?;
        revoked.rotated_to = Some(record.key_id.clone());
        call.app.keys.put_new(&mut batch, &record)?;
        Some((new_key, record))
    } else {
        None
    };
    call.app.keys.put_changed(&mut batch, &revoked)?;
    let audit = call
        .audit_event(ACTION)
        .target(gatehouse::audit::TargetKind::ApiKey, key.key_id.as_str())
        .changes(
            Change::of("status", &key.status, &revoked.status)
                .into_iter()
                .collect(),
        )
        .detail(match &replacement {
            Some((_, r)) => format!("{description} (replaced by {})", r.key_id),
            None => description.clone(),
        });
    let revoked_view = revoked.view();
    let incident = lifecycle::event(
        call,
        "api_key.compromised",
        Category::Security,
        serde_json::json!({
            "key": revoked_view,
            "incident_id": audit.event_id,
            "description": description,
            "reported_by": call.caller.principal,
            "source_ip": call.origin.source_ip,
            "replacement_key_id": replacement.as_ref().map(|(_, r)| r.key_id.to_string()),
        }),
    );
    let audit = audit.publishing(incident);
    lifecycle::commit(call, batch, &audit).await?;
    Ok(json_response(
        200,
        &CompromiseResponse {
            incident_id: audit.event_id.clone(),
            revoked: revoked_view,
            replacement: replacement.map(|(k, r)| CreatedKey {
                key: k.expose().to_owned(),
                metadata: r.view(),
            }),
        },
    ))
}
