//! `POST /v2/secrets/delete/{path+}`: soft-deletes versions: see `DOC`.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::ApiResult;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::secrets::store::Change;
use gatehouse::secrets::{self, MetadataView, VersionsRequest};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = " they read as 404 until undeleted. Their data is kept.:secret.delete";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Soft-deletes versions",
    body: RequestBody::Required(of::<VersionsRequest>()),
    query: &[secrets::STORE],
    conflict: Some("The secret is deleted, or changed concurrently"),
    ..Operation::new(
        Tag::Secrets,
        "Delete secret versions",
        &[Reply::new(
            200,
            "The metadata as it now is",
            of::<MetadataView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    secrets::change_versions(call, ACTION, Change::Delete).await
}
