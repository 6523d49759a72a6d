//! `POST /v2/leases` (`create_dynamic_secret`): issues credentials for `role` and
//! records the lease. On the tenant's Vault, `role` is the engine path that issues them
//! (`database/creds/readonly`); on Gatehouse's own store (no Vault, or
//! `store=gatehouse`) it names a role the deployment declares, and STS issues
//! credentials narrowed to the tenant by its session policy.

use crate::openapi::{Operation, Reply, RequestBody, Tag};
use gatehouse::config::Needs;
use gatehouse::http::body::json_body;
use gatehouse::http::call::Call;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::leases::{self, Credentials, LeaseView};
use gatehouse::secrets::STORE;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::SECRETS
    .with(Needs::INTEGRATIONS)
    .with(Needs::LEASES)
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "lease.create";

pub const DOC: Operation = Operation {
    dependency: Some(
        "The tenant's Vault refused: its token, its policy for the path, or the path is not a dynamic secret",
    ),
    description: "Issues credentials and records their lease; the credentials are in this answer only. On the tenant's Vault, `role` is the path of a dynamic engine's credentials and the Vault role sets the lifetime. On Gatehouse's own store, `role` is one the deployment declares and `ttl_seconds` is 900 to 43200 (default 3600); the credentials can reach only what the role's session policy allows the tenant.",
    body: RequestBody::Required(of::<CreateLease>()),
    query: &[STORE],
    ..Operation::new(
        Tag::Secrets,
        "Create a dynamic secret",
        &[Reply::new(
            201,
            "The lease and its credentials",
            of::<IssuedLease>(),
        )],
    )
};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"role": "tenant-files", "ttl_seconds": 900}))]
struct CreateLease {
    /// A Vault path (`database/creds/readonly`) or a declared AWS role's name.
    #[schemars(length(min = 1, max = 256))]
    role: String,
    /// AWS only: the credentials' lifetime.
    #[serde(default)]
    #[schemars(range(min = 900, max = 43200))]
    ttl_seconds: Option<u32>,
}

/// A lease and the credentials it covers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IssuedLease {
    pub lease: LeaseView,
    /// Shown once: Vault's `data` (`username`, `password`, ...), or AWS
    /// `access_key_id`, `secret_access_key` and `session_token`. `null` in an
    /// idempotent replay: credentials are never stored.
    #[schemars(with = "Option<Credentials>")]
    pub credentials: Credentials,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, &[STORE])?;
    let own = gatehouse::secrets::own_store_asked(&query)?;
    let body: CreateLease = json_body(call.req)?;
    let dynamic = &call.app.leases;
    let issued = dynamic
        .issue(
            &call.caller.tenant_id,
            own,
            &body.role,
            body.ttl_seconds,
            &call.caller.principal,
            call.now,
        )
        .await?;
    let audit = leases::audit(call, ACTION, &issued.lease).status(201);
    if let Some(batch) = issued.batch
        && let Err(problem) = call
            .commit(batch, &audit, "the lease was recorded concurrently; retry")
            .await
    {
        // Credentials nobody can see, renew or revoke through Gatehouse: undo them.
        dynamic.abandon(&issued.lease).await;
        return Err(problem);
    }
    Ok(json_response(
        201,
        &IssuedLease {
            lease: LeaseView::of(&issued.lease, call.now),
            credentials: issued.credentials.unwrap_or_default(),
        },
    ))
}
