//! `GET /v2/secrets/metadata/{path+}`: a secret's settings and versions, no value.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::secrets::{self, MetadataView, STORE};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS.with(Needs::INTEGRATIONS).with(Needs::AUDIT);

pub const ACTION: &str = "secret.metadata_read";

pub const DOC: Operation = Operation {
    query: &[STORE],
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Settings, custom metadata and every kept version (created, deleted, destroyed); never a value.",
    ..Operation::new(
        Tag::Secrets,
        "Read a secret's metadata",
        &[Reply::new(200, "The metadata", of::<MetadataView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let path = secrets::path_of(call)?;
    let store = secrets::store_for(call, &Query::from_request(call.req, &[STORE])?)?;
    let meta = store
        .metadata(&call.caller.tenant_id, &path, call.now)
        .await?;
    let audit = secrets::audit(call, ACTION, &path).status(200);
    call.app.audit.put(&audit).await?;
    Ok(json_response(200, &MetadataView::of(&path, &meta)))
}
