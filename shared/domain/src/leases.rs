//! Dynamic secrets and their leases. A lease is credentials issued for a while: by the
//! tenant's Vault (a dynamic engine such as `database/creds/<role>`, which Vault
//! renews and revokes itself), or, on Gatehouse's own store, by STS AssumeRole into a
//! role the deployment declares, narrowed to the tenant by a session policy.
//!
//! The rules both backends share live here: which roles may be asked for, lifetime
//! bounds, what renew and revoke may do in each state, the tenant's session policy,
//! and the role-wide revocation policy (STS cannot revoke one session).

use crate::ids::{LeaseId, TenantId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// STS's bounds on a role session, in seconds.
pub const AWS_MIN_TTL_SECONDS: u32 = 900;
pub const AWS_MAX_TTL_SECONDS: u32 = 43_200;
/// The longest an AWS lease lives, renewals included: renewing re-issues credentials,
/// so without a bound one lease could be kept for ever. (Vault applies its own
/// `max_ttl` to its leases.)
pub const AWS_MAX_LIFETIME: Duration = Duration::hours(24);
/// STS refuses an inline session policy longer than this (plain text, compact JSON).
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;
/// Where a declared session policy names the tenant.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";
/// The inline role policy that denies sessions issued before the last revocation.
pub const REVOCATION_POLICY_NAME: &str = "gatehouse-revoked-sessions";

/// Who issued a lease's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LeaseBackend {
    /// STS, into a role the deployment declares (Gatehouse's own store).
    Aws,
    /// The tenant's Vault.
    Vault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LeaseState {
    Active,
    Expired,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseError {
    #[error("{0}")]
    InvalidRole(String),
    #[error("{0}")]
    InvalidTtl(String),
    #[error("no such lease")]
    NotFound,
    #[error("the lease was revoked")]
    Revoked,
    #[error("the lease expired at {0}; create a new one")]
    Expired(String),
    #[error("the lease cannot be renewed")]
    NotRenewable,
    #[error("the lease reaches its maximum lifetime at {0}; create a new one")]
    MaxLifetime(String),
}

/// One lease, as Gatehouse records it (never the credentials: those are returned once,
/// when issued or re-issued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub lease_id: LeaseId,
    pub tenant_id: TenantId,
    pub backend: LeaseBackend,
    /// A declared AWS role's name, or the Vault path the credentials were read from.
    pub role: String,
    /// The lifetime asked for, in seconds: what a renewal without an increment asks.
    pub ttl_seconds: u32,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Renewals stop here (AWS); Vault applies its own maximum.
    pub max_expires_at: Option<OffsetDateTime>,
    pub renewable: bool,
    pub renewed_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    /// Vault's own id for the lease (`database/creds/readonly/…`); not a credential.
    pub vault_lease_id: Option<String>,
    pub created_by: String,
    /// Incremented by every write; writes are conditional on it.
    pub revision: u64,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

impl Lease {
    pub fn state(&self, now: OffsetDateTime) -> LeaseState {
        if self.revoked_at.is_some() {
            LeaseState::Revoked
        } else if self.expires_at <= now {
            LeaseState::Expired
        } else {
            LeaseState::Active
        }
    }

    /// Whether the lease may be renewed now.
    pub fn check_renew(&self, now: OffsetDateTime) -> Result<(), LeaseError> {
        match self.state(now) {
            LeaseState::Revoked => Err(LeaseError::Revoked),
            LeaseState::Expired => Err(LeaseError::Expired(rfc3339(self.expires_at))),
            LeaseState::Active if !self.renewable => Err(LeaseError::NotRenewable),
            LeaseState::Active => Ok(()),
        }
    }

    /// The lifetime an AWS renewal re-issues credentials for: `increment` (default: the
    /// lifetime first asked for), within STS's bounds and the lease's maximum lifetime.
    pub fn aws_renewal_ttl(
        &self,
        increment: Option<u32>,
        now: OffsetDateTime,
    ) -> Result<u32, LeaseError> {
        self.check_renew(now)?;
        let wanted = match increment {
            Some(seconds) => check_aws_seconds("increment_seconds", seconds)?,
            None => self.ttl_seconds,
        };
        let left = self
            .max_expires_at
            .map(|max| (max - now).whole_seconds())
            .unwrap_or(i64::from(AWS_MAX_TTL_SECONDS));
        let ttl = i64::from(wanted).min(left);
        if ttl < i64::from(AWS_MIN_TTL_SECONDS) {
            return Err(LeaseError::MaxLifetime(rfc3339(
                self.max_expires_at.unwrap_or(now),
            )));
        }
        Ok(ttl as u32)
    }

    /// Records a renewal that runs until `expires_at`.
    pub fn renewed(&mut self, expires_at: OffsetDateTime, now: OffsetDateTime) {
        self.expires_at = expires_at;
        self.renewed_at = Some(now);
    }

    /// Marks the lease revoked; false if it already was (revoking is idempotent).
    pub fn revoke(&mut self, now: OffsetDateTime) -> bool {
        if self.revoked_at.is_some() {
            return false;
        }
        self.revoked_at = Some(now);
        true
    }
}

/// A lifetime STS accepts (`ttl_seconds` of a new lease).
pub fn check_aws_ttl(seconds: u32) -> Result<u32, LeaseError> {
    check_aws_seconds("ttl_seconds", seconds)
}

fn check_aws_seconds(field: &str, seconds: u32) -> Result<u32, LeaseError> {
    if (AWS_MIN_TTL_SECONDS..=AWS_MAX_TTL_SECONDS).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(LeaseError::InvalidTtl(format!(
            "`{field}` is {AWS_MIN_TTL_SECONDS} to {AWS_MAX_TTL_SECONDS} for AWS credentials"
        )))
    }
}

/// Vault paths a lease may not read: they are not dynamic engines, and reading them
/// through Gatehouse would make it a proxy to the tenant's Vault administration.
const VAULT_RESERVED: &[&str] = &["sys", "auth", "identity", "cubbyhole"];

/// A Vault path that issues credentials (`database/creds/readonly`, `aws/creds/deploy`):
/// 2 to 8 segments of `[A-Za-z0-9_.-]`, no `.` or `..`, at most 256 characters.
pub fn vault_role(text: &str) -> Result<String, LeaseError> {
    let invalid = |why: &str| LeaseError::InvalidRole(format!("`role`: {why}"));
    if text.len() > 256 {
        return Err(invalid("at most 256 characters"));
    }
    let segments: Vec<&str> = text.split('/').collect();
    if !(2..=8).contains(&segments.len()) {
        return Err(invalid(
            "a Vault path of 2 to 8 segments, such as `database/creds/readonly`",
        ));
    }
    let segment_ok = |s: &&str| {
        !s.is_empty()
            && *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    };
    if !segments.iter().all(segment_ok) {
        return Err(invalid(
            "segments of letters, digits, `_`, `.` and `-` (no `..`)",
        ));
    }
    if VAULT_RESERVED.contains(&segments[0]) {
        return Err(invalid(&format!(
            "`{}/` is not a secrets engine",
            segments[0]
        )));
    }
    Ok(text.to_owned())
}

/// A role the deployment declares for AWS leases: its name, the IAM role sessions
/// assume, and the session policy that narrows them to one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsLeaseRole {
    pub name: String,
    pub role_arn: String,
    /// Compact JSON with [`TENANT_PLACEHOLDER`] where the tenant id goes.
    session_policy: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclaredRole {
    name: String,
    role_arn: String,
    session_policy: serde_json::Value,
}

impl AwsLeaseRole {
    /// The declared roles: a JSON array of `{name, role_arn, session_policy}`, where the
    /// policy names the tenant as `{tenant}` (in a resource, a prefix or a tag) and is
    /// at most 2048 characters once the tenant id is in. An error says which role and
    /// why (the operator's to fix).
    pub fn parse_list(text: &str) -> Result<Vec<Self>, String> {
        let declared: Vec<DeclaredRole> =
            serde_json::from_str(text).map_err(|e| format!("not a JSON array of roles: {e}"))?;
        let mut roles: Vec<Self> = Vec::new();
        for role in declared {
            let name_ok = (1..=64).contains(&role.name.len())
                && role
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !name_ok {
                return Err(format!(
                    "role name `{}`: 1 to 64 of `a-z`, `0-9` and `-`",
                    role.name
                ));
            }
            if roles.iter().any(|r| r.name == role.name) {
                return Err(format!("role `{}` is declared twice", role.name));
            }
            if !(role.role_arn.starts_with("arn:") && role.role_arn.contains(":role/")) {
                return Err(format!(
                    "role `{}`: `role_arn` is not a role ARN",
                    role.name
                ));
            }
            let policy = &role.session_policy;
            if policy.get("Version").is_none() || policy.get("Statement").is_none() {
                return Err(format!(
                    "role `{}`: `session_policy` is an IAM policy with `Version` and `Statement`",
                    role.name
                ));
            }
            let compact = policy.to_string();
            if !compact.contains(TENANT_PLACEHOLDER) {
                return Err(format!(
                    "role `{}`: `session_policy` must name the tenant as `{TENANT_PLACEHOLDER}`",
                    role.name
                ));
            }
            let longest = compact.replace(TENANT_PLACEHOLDER, &"0".repeat(crate::ids::ID_LEN));
            if longest.len() > MAX_SESSION_POLICY_CHARS {
                return Err(format!(
                    "role `{}`: the session policy is {} characters with a tenant id in; STS takes {MAX_SESSION_POLICY_CHARS}",
                    role.name,
                    longest.len()
                ));
            }
            roles.push(Self {
                name: role.name,
                role_arn: role.role_arn,
                session_policy: compact,
            });
        }
        Ok(roles)
    }

    /// The session policy for `tenant` (within STS's length, checked when declared).
    pub fn session_policy(&self, tenant: &TenantId) -> String {
        self.session_policy
            .replace(TENANT_PLACEHOLDER, tenant.as_str())
    }
}

/// The role policy that revokes every session of the role issued before `cutoff`
/// (AWS's documented way to revoke role sessions: `aws:TokenIssueTime`).
pub fn revocation_policy(cutoff: OffsetDateTime) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "GatehouseRevokedLeases",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": rfc3339(cutoff)}}
        }]
    })
    .to_string()
}

/// The cutoff of a revocation policy (as [`revocation_policy`] writes it).
pub fn revocation_cutoff(policy: &str) -> Option<OffsetDateTime> {
    let policy: serde_json::Value = serde_json::from_str(policy).ok()?;
    let at = policy["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"].as_str()?;
    OffsetDateTime::parse(at, &Rfc3339).ok()
}

#[cfg(test)]
#[path = "tests/leases.rs"]
mod tests;
