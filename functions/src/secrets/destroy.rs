//! `POST /v2/secrets/destroy/{path+}`: removes versions' data for good: see `DOC`.

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

pub const ACTION: &str = " their data keys are deleted, so their ciphertext can never be opened again. They stay listed as destroyed and read as 410.:secret.destroy";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Removes versions' data for good",
    body: RequestBody::Required(of::<VersionsRequest>()),
    query: &[secrets::STORE],
    conflict: Some("The secret is deleted, or changed concurrently"),
    ..Operation::new(
        Tag::Secrets,
        "Destroy secret versions",
        &[Reply::new(
            200,
            "The metadata as it now is",
            of::<MetadataView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    secrets::change_versions(call, ACTION, Change::Destroy).await
}
