//! `POST /v2/leases/{lease_id}/renew` (`renew_lease`): extends a lease. Vault extends
//! its lease (within the role's maximum); on AWS, STS credentials cannot be extended,
//! so new ones are issued and returned (the old ones work until they expire), within
//! the lease's 24-hour maximum.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body;
use gatehouse::http::call::Call;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::leases::{self, Credentials, LeaseView};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::LEASES)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "lease.renew";

pub const DOC: Operation = Operation {
    dependency: Some("The tenant's Vault refused the renewal"),
    description: "Extends the lease by `increment_seconds` (default: Vault's, or on AWS the lifetime first asked for). An AWS renewal answers with new credentials.",
    body: RequestBody::Optional(of::<RenewLease>()),
    conflict: Some("The lease was revoked, cannot be renewed, or reached its maximum lifetime"),
    gone: Some("The lease expired"),
    ..Operation::new(
        Tag::Secrets,
        "Renew a lease",
        &[Reply::new(200, "The renewed lease", of::<RenewedLease>())],
    )
};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RenewLease {
    /// How much longer, in seconds (AWS: 900 to 43200).
    #[serde(default)]
    #[schemars(range(min = 1, max = 43200))]
    increment_seconds: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct RenewedLease {
    lease: LeaseView,
    /// AWS only, shown once: the re-issued credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Credentials>,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let lease_id = leases::lease_id_of(call)?;
    let body: RenewLease = if call.req.body().is_empty() {
        RenewLease::default()
    } else {
        json_body(call.req)?
    };
    let renewed = call
        .app
        .leases
        .renew(
            &call.caller.tenant_id,
            &lease_id,
            body.increment_seconds,
            call.now,
        )
        .await?;
    let audit = leases::audit(call, ACTION, &renewed.lease).status(200);
    if let Some(batch) = renewed.batch {
        call.commit(batch, &audit, "the lease changed concurrently; retry")
            .await?;
    }
    Ok(json_response(
        200,
        &RenewedLease {
            lease: LeaseView::of(&renewed.lease, call.now),
            credentials: renewed.credentials,
        },
    ))
}
