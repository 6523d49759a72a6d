//! `GET /v2/secrets/metadata/{path+}`: a secret's settings and versions, no value.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::secrets::{self, MetadataView};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS.with(Needs::AUDIT);

pub const ACTION: &str = "secret.metadata_read";

pub const DOC: Operation = Operation {
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
    let record = secrets::load(call, &path).await?;
    let audit = secrets::audit(call, ACTION, &path).status(200);
    call.app.audit.put(&audit).await?;
    Ok(json_response(200, &MetadataView::of(&record)))
}
