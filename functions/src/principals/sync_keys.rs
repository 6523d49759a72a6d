//! `POST /v2/principals/{principal_id}/sync-keys`: brings the principal's keys (those
//! acting as it and the service keys it owns) within the scopes it holds now, or
//! disables them as the key policy says (`sync_key_permissions`). Logins and the
//! scheduled directory check do the same by themselves; this is for an administrator
//! who changed a group and will not wait.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::audit::TargetKind;
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::keys::permission_sync::{SyncCause, SyncReport, sync_key_permissions};
use gatehouse::sso::load_principal;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS.with(Needs::AUDIT).with(Needs::EPHEMERAL);

pub const ACTION: &str = "principal.sync_keys";

pub const DOC: Operation = Operation {
    description: "Brings the principal's keys (those acting as it and the service keys it owns) within the scopes it holds now: keys lose the scopes it no longer holds, or are disabled when the key policy's `on_permission_loss` is `disable`, or when the principal is disabled. Each changed key is audited and published as `api_key.updated`.",
    ..Operation::new(
        Tag::Integrations,
        "Sync a principal's keys with its permissions",
        &[Reply::new(200, "What changed", of::<SyncReport>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let principal = load_principal(call).await?;
    let cause = SyncCause {
        actor: call.actor(),
        origin: call.origin.clone(),
        trigger: "request",
    };
    let report = sync_key_permissions(call.app, &principal, &cause, call.now).await?;
    let audit = call
        .audit_event(ACTION)
        .target(TargetKind::Principal, principal.principal_id.as_str())
        .status(200)
        .detail(format!(
            "{} keys narrowed, {} disabled, {} unchanged",
            report.narrowed.len(),
            report.disabled.len(),
            report.unchanged
        ));
    call.app.audit.put(&audit).await?;
    Ok(json_response(200, &report))
}
