//! `POST /v2/secrets/data/{path+}`: writes a new version of a secret (creating the
//! secret on its first write), with optional check-and-set.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::audit::Change;
use gatehouse::config::Needs;
use gatehouse::http::body::json_body_up_to;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::secrets::{self, MAX_WRITE_BODY_BYTES, STORE, SecretData, VersionView};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "secret.write";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Stores `data` as the secret's next version. With `cas`, only if `cas` is the current version (0: only if the secret has none yet); a secret with `cas_required` refuses a write without it. Beyond `max_versions`, the oldest versions are removed for good.",
    body: RequestBody::Required(of::<WriteRequest>()),
    query: &[STORE],
    conflict: Some("`cas` does not match, is required, or the secret is deleted"),
    ..Operation::new(
        Tag::Secrets,
        "Write a secret version",
        &[
            Reply::new(201, "The secret's first version", of::<Written>()),
            Reply::new(200, "The new version", of::<Written>()),
        ],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SecretWriteRequest", example = serde_json::json!({
    "data": {"username": "app", "password": "correct horse battery staple"},
    "cas": 0,
}))]
struct WriteRequest {
    #[schemars(with = "SecretData")]
    data: serde_json::Map<String, serde_json::Value>,
    /// The version this write expects to replace (0: create only).
    #[serde(default)]
    #[schemars(range(max = gatehouse::secrets::meta::MAX_VERSION_NUMBER))]
    cas: Option<u64>,
}

/// The version a write created.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SecretWritten")]
struct Written {
    path: gatehouse::secrets::SecretPath,
    #[serde(flatten)]
    version: VersionView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let path = secrets::path_of(call)?;
    let store = secrets::store_for(call, &Query::from_request(call.req, &[STORE])?)?;
    let body: WriteRequest = json_body_up_to(call.req, MAX_WRITE_BODY_BYTES)?;
    let data = SecretData::new(body.data)?;
    let (written, committed) = store
        .write(&call.caller.tenant_id, &path, &data, body.cas, call.now)
        .await?;
    let status = if written.created { 201 } else { 200 };
    let previous = written.version - 1;
    let audit = secrets::audit(call, ACTION, &path).status(status).changes(
        Change::of("current_version", &previous, &written.version)
            .into_iter()
            .collect(),
    );
    secrets::finish(call, committed, &audit).await?;
    Ok(json_response(
        status,
        &Written {
            path,
            version: VersionView::of(written.version, &written.state),
        },
    ))
}
