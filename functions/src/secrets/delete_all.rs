//! `DELETE /v2/secrets/metadata/{path+}`: deletes the whole secret, every version and
//! its metadata, restorable for `recovery_window_days` (default 30); then gone for good.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::secrets::{self, MetadataView, STORE};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS.with(Needs::INTEGRATIONS).with(Needs::AUDIT);

pub const ACTION: &str = "secret.delete_all";

const RECOVERY_WINDOW_DAYS: Param = Param::number(
    "recovery_window_days",
    "How long the secret can be restored (7-30 days, default 30).",
    7,
    30,
    Some(30),
);

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or its mount",
    ),
    description: "Deletes every version and the metadata. Until `purge_at` the secret can be restored as it was; nothing can be written to it meanwhile. After, it is gone for good and the path is free.",
    query: &[RECOVERY_WINDOW_DAYS, STORE],
    conflict: Some("The secret is already deleted, or changed concurrently"),
    ..Operation::new(
        Tag::Secrets,
        "Delete a secret",
        &[Reply::new(
            200,
            "The metadata, with the restore deadline",
            of::<MetadataView>(),
        )],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let path = secrets::path_of(call)?;
    let query = Query::from_request(call.req, &[RECOVERY_WINDOW_DAYS, STORE])?;
    let chosen = secrets::store_for(call, &query)?;
    let days = query.number(&RECOVERY_WINDOW_DAYS)?.unwrap_or(30) as u32;
    let store = chosen.own_store(&call.caller.tenant_id).await?;
    let mut record = store.load(&call.caller.tenant_id, &path, call.now).await?;
    let deletion = record.meta.delete_all(days, call.now)?;
    let batch = store.prepare_change(&mut record)?;
    let audit = secrets::audit(call, ACTION, &path)
        .status(200)
        .detail(format!(
            "restorable until {}",
            gatehouse::clock::rfc3339(deletion.purge_at)
        ));
    call.commit(
        batch,
        &audit,
        "the secret changed while this request was processed; read it again and retry",
    )
    .await?;
    // The record says deleted first, so no read or write gets through while the
    // ciphertext's own deletion is scheduled.
    store.schedule_deletion(&record, days).await?;
    Ok(json_response(200, &MetadataView::of(&path, &record.meta)))
}
