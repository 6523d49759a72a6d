//! Dynamic secrets: credentials issued for a while, recorded as leases.
//!
//! - On a tenant's Vault, any dynamic engine (`database/creds/<role>`): Vault issues,
//!   renews and revokes; revoking drops the credentials at their source.
//! - On Gatehouse's own store, STS AssumeRole into a role the deployment declares,
//!   with the tenant's session policy and session tags. Renewing re-issues
//!   credentials. STS cannot revoke one session: revoking writes the role-wide
//!   `aws:TokenIssueTime` deny (every session of the role issued before it stops
//!   working; holders of other leases renew to get fresh credentials).
//!
//! Every change is returned as a batch for the caller to commit with its audit event.

use super::SecretStoreError;
use super::store::{Backend, TenantSecrets};
use super::vault::{VaultError, VaultKv};
use crate::store::{Leases, StoreError, WriteBatch};
use gatehouse_domain::ids::{LeaseId, TenantId};
pub use gatehouse_domain::leases::*;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

/// A lease's credentials, returned once (when issued, or re-issued by an AWS renewal).
pub type Credentials = Map<String, Value>;

/// The lifetime of AWS credentials when none is asked for.
pub const DEFAULT_AWS_TTL_SECONDS: u32 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum LeaseFailure {
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error(transparent)]
    Secrets(#[from] SecretStoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// STS or IAM refused or did not answer (the deployment's to fix, or transient).
    #[error("AWS: {0}")]
    Aws(String),
    /// The lease is the tenant's Vault's, and the tenant has no Vault any more.
    #[error("the lease was issued by the tenant's Vault, which is no longer configured")]
    VaultGone,
    /// `ttl_seconds` on a Vault lease: the Vault role sets it.
    #[error("the Vault role sets the lease's lifetime; leave out `ttl_seconds`")]
    TtlOnVault,
}

impl From<VaultError> for LeaseFailure {
    fn from(e: VaultError) -> Self {
        Self::Secrets(SecretStoreError::Vault(e))
    }
}

/// STS and IAM, for the roles the deployment declares.
#[derive(Clone, Debug)]
pub struct AwsIssuer {
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    roles: Vec<AwsLeaseRole>,
}

impl AwsIssuer {
    pub fn new(
        sts: aws_sdk_sts::Client,
        iam: aws_sdk_iam::Client,
        roles: Vec<AwsLeaseRole>,
    ) -> Self {
        Self { sts, iam, roles }
    }

    fn role(&self, name: &str) -> Result<&AwsLeaseRole, LeaseError> {
        self.roles.iter().find(|r| r.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.roles.iter().map(|r| r.name.as_str()).collect();
            LeaseError::InvalidRole(if known.is_empty() {
                "this deployment declares no AWS roles for leases".to_owned()
            } else {
                format!("no AWS role `{name}`: the roles are {}", known.join(", "))
            })
        })
    }

    /// Credentials for `lease` from STS, for `ttl` seconds: the credentials and when
    /// they expire.
    async fn assume(
        &self,
        role: &AwsLeaseRole,
        lease_id: &LeaseId,
        tenant: &TenantId,
        ttl: u32,
    ) -> Result<(Credentials, OffsetDateTime), LeaseFailure> {
        let tag = |key: &str, value: &str| {
            aws_sdk_sts::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| LeaseFailure::Aws(e.to_string()))
        };
        let out = self
            .sts
            .assume_role()
            .role_arn(&role.role_arn)
            .role_session_name(format!("gatehouse-{lease_id}"))
            .duration_seconds(i32::try_from(ttl).unwrap_or(i32::MAX))
            .policy(role.session_policy(tenant))
            .tags(tag("gatehouse:tenant", tenant.as_str())?)
            .tags(tag("gatehouse:lease", lease_id.as_str())?)
            .send()
            .await
            .map_err(|e| LeaseFailure::Aws(aws_error("sts:AssumeRole", &e)))?;
        let issued = out
            .credentials()
            .ok_or_else(|| LeaseFailure::Aws("sts:AssumeRole gave no credentials".into()))?;
        let expires_at = OffsetDateTime::from_unix_timestamp(issued.expiration().secs())
            .map_err(|e| LeaseFailure::Aws(e.to_string()))?;
        let mut credentials = Credentials::new();
        credentials.insert("access_key_id".into(), json!(issued.access_key_id()));
        credentials.insert(
            "secret_access_key".into(),
            json!(issued.secret_access_key()),
        );
        credentials.insert("session_token".into(), json!(issued.session_token()));
        Ok((credentials, expires_at))
    }

    /// Denies every session of the role issued before `cutoff`, keeping a later cutoff
    /// already there. IAM has no conditional write, so the policy is read back: if a
    /// concurrent revocation wrote an earlier cutoff over ours, ours is written again.
    async fn deny_sessions_before(
        &self,
        role: &AwsLeaseRole,
        cutoff: OffsetDateTime,
    ) -> Result<(), LeaseFailure> {
        let role_name = role
            .role_arn
            .rsplit('/')
            .next()
            .unwrap_or(&role.role_arn)
            .to_owned();
        for _ in 0..3 {
            let current = self.current_cutoff(&role_name).await?;
            if current.is_some_and(|c| c >= cutoff) {
                return Ok(());
            }
            self.iam
                .put_role_policy()
                .role_name(&role_name)
                .policy_name(REVOCATION_POLICY_NAME)
                .policy_document(revocation_policy(cutoff))
                .send()
                .await
                .map_err(|e| LeaseFailure::Aws(aws_error("iam:PutRolePolicy", &e)))?;
        }
        match self.current_cutoff(&role_name).await? {
            Some(c) if c >= cutoff => Ok(()),
            _ => Err(LeaseFailure::Aws(
                "the role's revocation policy kept changing; retry".into(),
            )),
        }
    }

    async fn current_cutoff(
        &self,
        role_name: &str,
    ) -> Result<Option<OffsetDateTime>, LeaseFailure> {
        match self
            .iam
            .get_role_policy()
            .role_name(role_name)
            .policy_name(REVOCATION_POLICY_NAME)
            .send()
            .await
        {
            Ok(out) => {
                // IAM returns policy documents URL-encoded.
                let document = out.policy_document();
                let decoded = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
                Ok(revocation_cutoff(&decoded).or_else(|| revocation_cutoff(document)))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(LeaseFailure::Aws(aws_error("iam:GetRolePolicy", &e))),
        }
    }
}

fn aws_error<E: std::error::Error + 'static>(
    call: &str,
    e: &aws_sdk_sts::error::SdkError<E, aws_sdk_sts::config::http::HttpResponse>,
) -> String {
    format!("{call}: {}", crate::outbound::describe_error(e, 400))
}

/// A lease just issued, renewed or revoked, with the write to commit.
pub struct LeaseChange {
    pub lease: Lease,
    /// New credentials (issued, or re-issued by an AWS renewal).
    pub credentials: Option<Credentials>,
    /// `None` when nothing changed (revoking a revoked lease).
    pub batch: Option<WriteBatch>,
}

#[derive(Clone, Debug)]
pub struct DynamicSecrets {
    pub secrets: TenantSecrets,
    pub leases: Leases,
    aws: Option<AwsIssuer>,
}

impl DynamicSecrets {
    pub fn new(secrets: TenantSecrets, leases: Leases, aws: Option<AwsIssuer>) -> Self {
        Self {
            secrets,
            leases,
            aws,
        }
    }

    fn aws(&self) -> Result<&AwsIssuer, LeaseFailure> {
        self.aws.as_ref().ok_or_else(|| {
            LeaseError::InvalidRole("this deployment declares no AWS roles for leases".into())
                .into()
        })
    }

    /// Issues credentials for `role`: from the tenant's Vault if it has one (and
    /// `own` is false), else from STS.
    pub async fn issue(
        &self,
        tenant: &TenantId,
        own: bool,
        role: &str,
        ttl_seconds: Option<u32>,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<LeaseChange, LeaseFailure> {
        let lease_id =
            LeaseId::generate().map_err(|e| LeaseFailure::Aws(format!("random id: {e}")))?;
        let secrets = if own {
            self.secrets.own()
        } else {
            self.secrets.clone()
        };
        match secrets.backend(tenant).await? {
            Backend::Aws(_) => {
                let issuer = self.aws()?;
                let declared = issuer.role(role)?;
                let ttl = check_aws_ttl(ttl_seconds.unwrap_or(DEFAULT_AWS_TTL_SECONDS))?;
                let (credentials, expires_at) =
                    issuer.assume(declared, &lease_id, tenant, ttl).await?;
                let lease = Lease {
                    lease_id,
                    tenant_id: tenant.clone(),
                    backend: LeaseBackend::Aws,
                    role: declared.name.clone(),
                    ttl_seconds: ttl,
                    issued_at: now,
                    expires_at,
                    max_expires_at: Some(now + AWS_MAX_LIFETIME),
                    renewable: true,
                    renewed_at: None,
                    revoked_at: None,
                    vault_lease_id: None,
                    created_by: created_by.to_owned(),
                    revision: 0,
                };
                self.recorded(lease, Some(credentials))
            }
            Backend::Vault(kv) => {
                if ttl_seconds.is_some() {
                    return Err(LeaseFailure::TtlOnVault);
                }
                let path = vault_role(role)?;
                let secrets = &secrets;
                let path = &path;
                let issued = secrets
                    .on_vault(tenant, kv, |kv| async move {
                        secrets.vault(tenant, kv.issue(path).await)
                    })
                    .await?;
                let lease = Lease {
                    lease_id,
                    tenant_id: tenant.clone(),
                    backend: LeaseBackend::Vault,
                    role: path.clone(),
                    ttl_seconds: u32::try_from(issued.lease_seconds).unwrap_or(u32::MAX),
                    issued_at: now,
                    expires_at: now + time::Duration::seconds(issued.lease_seconds as i64),
                    max_expires_at: None,
                    renewable: issued.renewable,
                    renewed_at: None,
                    revoked_at: None,
                    vault_lease_id: Some(issued.lease_id),
                    created_by: created_by.to_owned(),
                    revision: 0,
                };
                self.recorded(lease, Some(issued.data))
            }
        }
    }

    fn recorded(
        &self,
        mut lease: Lease,
        credentials: Option<Credentials>,
    ) -> Result<LeaseChange, LeaseFailure> {
        let mut batch = WriteBatch::default();
        self.leases.put(&mut batch, &mut lease)?;
        Ok(LeaseChange {
            lease,
            credentials,
            batch: Some(batch),
        })
    }

    /// Undoes an issue whose record could not be committed (best effort: a Vault
    /// lease is revoked; STS credentials expire by themselves).
    pub async fn abandon(&self, lease: &Lease) {
        if let (LeaseBackend::Vault, Some(id)) = (lease.backend, &lease.vault_lease_id)
            && let Ok(kv) = self.vault_of(&lease.tenant_id).await
            && let Err(e) = kv.revoke_lease(id).await
        {
            tracing::warn!(lease = %lease.lease_id, error = %e, "an unrecorded Vault lease could not be revoked");
        }
    }

    pub async fn get(&self, tenant: &TenantId, lease_id: &LeaseId) -> Result<Lease, LeaseFailure> {
        self.leases
            .get(tenant, lease_id)
            .await?
            .ok_or(LeaseFailure::Lease(LeaseError::NotFound))
    }

    async fn vault_of(&self, tenant: &TenantId) -> Result<VaultKv, LeaseFailure> {
        match self.secrets.backend(tenant).await? {
            Backend::Vault(kv) => Ok(kv),
            Backend::Aws(_) => Err(LeaseFailure::VaultGone),
        }
    }

    /// Renews a lease by `increment` seconds (default: Vault's, or on AWS the lifetime
    /// first asked for). An AWS renewal re-issues credentials.
    pub async fn renew(
        &self,
        tenant: &TenantId,
        lease_id: &LeaseId,
        increment: Option<u32>,
        now: OffsetDateTime,
    ) -> Result<LeaseChange, LeaseFailure> {
        let mut lease = self.get(tenant, lease_id).await?;
        lease.check_renew(now)?;
        let credentials = match lease.backend {
            LeaseBackend::Aws => {
                let issuer = self.aws()?;
                let ttl = lease.aws_renewal_ttl(increment, now)?;
                let role = issuer.role(&lease.role)?;
                let (credentials, expires_at) =
                    issuer.assume(role, &lease.lease_id, tenant, ttl).await?;
                lease.renewed(expires_at, now);
                Some(credentials)
            }
            LeaseBackend::Vault => {
                let kv = self.vault_of(tenant).await?;
                let id = lease.vault_lease_id.clone().unwrap_or_default();
                let id = &id;
                let renewal = self
                    .secrets
                    .on_vault(tenant, kv, |kv| async move {
                        self.secrets
                            .vault(tenant, kv.renew_lease(id, increment).await)
                    })
                    .await;
                let (seconds, renewable) = match renewal {
                    Err(SecretStoreError::Vault(VaultError::LeaseNotFound)) => {
                        return Err(LeaseError::Expired(
                            "an earlier time (Vault no longer has it)".into(),
                        )
                        .into());
                    }
                    other => other?,
                };
                lease.renewable = renewable;
                lease.renewed(now + time::Duration::seconds(seconds as i64), now);
                None
            }
        };
        let mut change = self.recorded(lease, None)?;
        change.credentials = credentials;
        Ok(change)
    }

    /// Revokes a lease. Revoking a revoked lease changes nothing; revoking an expired
    /// one records it (its credentials already stopped working).
    pub async fn revoke(
        &self,
        tenant: &TenantId,
        lease_id: &LeaseId,
        now: OffsetDateTime,
    ) -> Result<LeaseChange, LeaseFailure> {
        let mut lease = self.get(tenant, lease_id).await?;
        if lease.revoked_at.is_some() {
            return Ok(LeaseChange {
                lease,
                credentials: None,
                batch: None,
            });
        }
        // Enforced first, recorded after: a failure leaves the lease active, and a
        // retry revokes it again (both steps are idempotent).
        match lease.backend {
            LeaseBackend::Aws => {
                let issuer = self.aws()?;
                let role = issuer.role(&lease.role)?;
                // Whole seconds, rounded up: sessions issued in this second are covered.
                let cutoff = now.replace_nanosecond(0).unwrap_or(now) + time::Duration::SECOND;
                issuer.deny_sessions_before(role, cutoff).await?;
            }
            LeaseBackend::Vault => {
                let kv = self.vault_of(tenant).await?;
                let id = lease.vault_lease_id.clone().unwrap_or_default();
                let id = &id;
                self.secrets
                    .on_vault(tenant, kv, |kv| async move {
                        self.secrets.vault(tenant, kv.revoke_lease(id).await)
                    })
                    .await?;
            }
        }
        lease.revoke(now);
        self.recorded(lease, None)
    }

    /// A page of the tenant's leases after `after`.
    pub async fn list(
        &self,
        tenant: &TenantId,
        after: Option<&LeaseId>,
        limit: usize,
    ) -> Result<(Vec<Lease>, Option<LeaseId>), LeaseFailure> {
        Ok(self.leases.list(tenant, after, limit).await?)
    }
}
