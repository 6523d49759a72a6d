//! What the lease routes share: the lease a route names, how lease refusals read as
//! problems, how a lease is shown, and its audit event (never its credentials).

use crate::audit::{AuditEvent, TargetKind};
use crate::http::call::Call;
use crate::http::{Problem, ProblemType};
use crate::ids::LeaseId;
use schemars::JsonSchema;
use serde::Serialize;
use time::OffsetDateTime;

pub use gatehouse_service::secrets::leases::*;

/// A lease as the API shows it: what was issued, to which role, until when.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LeaseView {
    pub lease_id: LeaseId,
    pub backend: LeaseBackend,
    /// The declared AWS role, or the Vault path the credentials came from.
    pub role: String,
    pub state: LeaseState,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Renewals stop here (AWS leases; Vault applies its role's maximum).
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub max_expires_at: Option<OffsetDateTime>,
    pub renewable: bool,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub renewed_at: Option<OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Vault's id for the lease (not a credential), for the tenant's own Vault tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vault_lease_id: Option<String>,
    pub created_by: String,
}

impl LeaseView {
    pub fn of(lease: &Lease, now: OffsetDateTime) -> Self {
        Self {
            lease_id: lease.lease_id.clone(),
            backend: lease.backend,
            role: lease.role.clone(),
            state: lease.state(now),
            issued_at: lease.issued_at,
            expires_at: lease.expires_at,
            max_expires_at: lease.max_expires_at,
            renewable: lease.renewable,
            renewed_at: lease.renewed_at,
            revoked_at: lease.revoked_at,
            vault_lease_id: lease.vault_lease_id.clone(),
            created_by: lease.created_by.clone(),
        }
    }
}

/// The lease named by the `{lease_id}` path parameter.
pub fn lease_id_of(call: &Call<'_>) -> Result<LeaseId, Problem> {
    call.path_parameter("lease_id")
        .and_then(|id| LeaseId::parse(&id).ok())
        .ok_or_else(|| Problem::new(ProblemType::NotFound, "no such lease"))
}

/// An audit event about a lease: its role and backend, never its credentials.
pub fn audit(call: &Call<'_>, action: &str, lease: &Lease) -> AuditEvent {
    call.audit_event(action)
        .target(TargetKind::Lease, lease.lease_id.as_str())
        .detail(format!(
            "{} role `{}`, expires {}",
            match lease.backend {
                LeaseBackend::Aws => "AWS",
                LeaseBackend::Vault => "Vault",
            },
            lease.role,
            lease
                .expires_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        ))
}

impl From<LeaseError> for Problem {
    fn from(err: LeaseError) -> Self {
        let kind = match &err {
            LeaseError::InvalidRole(_) | LeaseError::InvalidTtl(_) => ProblemType::InvalidBody,
            LeaseError::NotFound => ProblemType::NotFound,
            LeaseError::Revoked | LeaseError::NotRenewable | LeaseError::MaxLifetime(_) => {
                ProblemType::Conflict
            }
            LeaseError::Expired(_) => ProblemType::Gone,
        };
        Problem::new(kind, err.to_string())
    }
}

impl From<LeaseFailure> for Problem {
    fn from(err: LeaseFailure) -> Self {
        match err {
            LeaseFailure::Lease(e) => e.into(),
            LeaseFailure::Secrets(e) => e.into(),
            LeaseFailure::Store(e) => e.into(),
            LeaseFailure::Aws(_) => Problem::unavailable(&err),
            LeaseFailure::VaultGone => Problem::new(ProblemType::Conflict, err.to_string()),
            LeaseFailure::TtlOnVault => Problem::invalid_body(err.to_string()),
        }
    }
}
