//! `POST /v2/secrets/restore/{path+}`: restores a deleted secret, every version as it
//! was, within its recovery window.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::secrets::{self, MetadataView, STORE};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "secret.restore";

pub const DOC: Operation = Operation {
    query: &[STORE],
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Undoes a delete of the whole secret before its `purge_at`.",
    conflict: Some("The secret is not deleted, or changed concurrently"),
    ..Operation::new(
        Tag::Secrets,
        "Restore a deleted secret",
        &[Reply::new(
            200,
            "The metadata as it now is",
            of::<MetadataView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let path = secrets::path_of(call)?;
    let chosen = secrets::store_for(call, &Query::from_request(call.req, &[STORE])?)?;
    let store = chosen.own_store(&call.caller.tenant_id).await?;
    let mut record = store.load(&call.caller.tenant_id, &path, call.now).await?;
    record.meta.restore(call.now)?;
    // The ciphertext's deletion is cancelled first: once the record says restored,
    // every version must read.
    store.cancel_deletion(&record).await?;
    let batch = store.prepare_change(&mut record)?;
    let audit = secrets::audit(call, ACTION, &path).status(200);
    call.commit(
        batch,
        &audit,
        "the secret changed while this request was processed; read it again and retry",
    )
    .await?;
    Ok(json_response(200, &MetadataView::of(&path, &record.meta)))
}
