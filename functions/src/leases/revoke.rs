//! `POST /v2/leases/{lease_id}/revoke` (`revoke_lease`): ends a lease now. Vault
//! revokes its lease and the engine removes the credentials at their source. STS cannot
//! revoke one session: Gatehouse writes the role-wide `aws:TokenIssueTime` deny, so
//! every session of the role issued before now stops working (holders of other leases
//! on that role renew to get fresh credentials). Revoking twice changes nothing.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::leases::{self, LeaseView};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::LEASES)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "lease.revoke";

pub const DOC: Operation = Operation {
    dependency: Some("The tenant's Vault refused the revocation"),
    description: "Revokes the lease: its credentials stop working (on AWS, with every other session of the role issued before now). Revoking a revoked lease answers the same.",
    conflict: Some("The lease is the tenant's Vault's, and the tenant has no Vault any more"),
    ..Operation::new(
        Tag::Secrets,
        "Revoke a lease",
        &[Reply::new(200, "The revoked lease", of::<LeaseView>())],
    )
};

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let lease_id = leases::lease_id_of(call)?;
    let revoked = call
        .app
        .leases
        .revoke(&call.caller.tenant_id, &lease_id, call.now)
        .await?;
    if let Some(batch) = revoked.batch {
        let audit = leases::audit(call, ACTION, &revoked.lease).status(200);
        call.commit(batch, &audit, "the lease changed concurrently; retry")
            .await?;
    }
    Ok(json_response(200, &LeaseView::of(&revoked.lease, call.now)))
}
