//! `GET /v2/secrets/data/{path+}`: one version's value (the current one unless
//! `version` names another). The read is audited before the value is returned: if the
//! audit trail cannot record it, the value is not given.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::secrets::{self, STORE, SecretData, SecretPath, VersionView};
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS.with(Needs::INTEGRATIONS).with(Needs::AUDIT);

pub const ACTION: &str = "secret.read";

const VERSION: Param = Param::number(
    "version",
    "The version to read (default, or 0: the current one).",
    0,
    u32::MAX as usize,
    None,
);

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "The value of the current version, or of `version`. A deleted version is 404 until it is undeleted; a destroyed one is 410.",
    query: &[VERSION, STORE],
    conflict: Some("The secret is deleted (restorable)"),
    gone: Some("The version is destroyed"),
    ..Operation::new(
        Tag::Secrets,
        "Read a secret",
        &[Reply::new(
            200,
            "The version and its value",
            of::<SecretValue>(),
        )],
    )
};

/// A version and its value.
#[derive(Debug, Serialize, JsonSchema)]
struct SecretValue {
    path: SecretPath,
    data: SecretData,
    #[serde(flatten)]
    version: VersionView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let path = secrets::path_of(call)?;
    let query = Query::from_request(call.req, &[VERSION, STORE])?;
    let store = secrets::store_for(call, &query)?;
    let wanted = query.number(&VERSION)?.map(|v| v as u64);
    let (version, data, state) = store
        .read(&call.caller.tenant_id, &path, wanted, call.now)
        .await?;
    let audit = secrets::audit(call, ACTION, &path)
        .status(200)
        .detail(format!("version {version}"));
    call.app.audit.put(&audit).await?;
    Ok(json_response(
        200,
        &SecretValue {
            path,
            data,
            version: VersionView::of(version, &state),
        },
    ))
}
