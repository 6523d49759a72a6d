//! A tenant's integrations with its own services: now the tenant's Vault / OpenBao as
//! its secret store. Credentials are kept only sealed ([`Sealed`]); what the API shows
//! of an integration never includes them.

use crate::ids::{IntegrationId, TenantId};
use crate::sealed::Sealed;
use crate::secrets::SecretPath;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A field of one of the tenant's secrets in Gatehouse's own store, naming a
/// credential instead of holding it: read at use, so rotating that secret rotates the
/// credential without another call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    pub path: SecretPath,
    pub key: String,
    /// A fixed version; `None`: the current one.
    #[serde(default)]
    pub version: Option<u64>,
}

/// A stored credential: sealed, or a reference to a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Credential {
    Sealed(Sealed),
    Reference { secret_ref: SecretRef },
}

/// How Gatehouse logs in to the tenant's Vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum VaultAuth {
    /// A token the tenant issued (renewed before it expires, when renewable).
    Token { token: Credential },
    /// AppRole: `role_id` and a `secret_id`, logged in with at `mount`.
    AppRole {
        mount: String,
        role_id: String,
        secret_id: Credential,
    },
    /// AWS IAM: a signed `sts:GetCallerIdentity` proves Gatehouse's own IAM identity
    /// (the function's role) to the Vault role `role` at `mount`; no stored secret.
    AwsIam {
        mount: String,
        role: String,
        /// The STS region the Vault's aws method verifies with (`None`: the global
        /// endpoint, signed for `us-east-1`).
        sts_region: Option<String>,
    },
}

impl VaultAuth {
    pub fn method(&self) -> &'static str {
        match self {
            VaultAuth::Token { .. } => "token",
            VaultAuth::AppRole { .. } => "approle",
            VaultAuth::AwsIam { .. } => "aws_iam",
        }
    }
}

/// The `X-Vault-AWS-IAM-Server-ID` value Gatehouse signs into every AWS IAM login to
/// this tenant's Vault, which that Vault must require (`iam_server_id_header_value`).
/// It names the tenant, so a login request one tenant's Vault receives cannot be
/// replayed to another tenant's Vault that trusts the same role. (A tenant has one
/// Vault, and knows its tenant id before configuring it.)
pub fn aws_iam_server_id(tenant: &crate::ids::TenantId) -> String {
    format!("gatehouse:{tenant}")
}

/// Where the tenant's Vault is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultConfig {
    /// `https://vault.example.com:8200`.
    pub address: String,
    pub namespace: Option<String>,
    /// The KV v2 mount holding the tenant's secrets.
    pub mount: String,
    pub auth: VaultAuth,
    /// A CA certificate (PEM) to trust for the Vault's TLS, besides the public roots.
    pub ca_pem: Option<String>,
}

/// The last connectivity check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub healthy: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub checked_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub latency_ms: Option<u64>,
}

impl Health {
    /// This check's health after `previous`: a failed check keeps the last success.
    pub fn after(mut self, previous: &Health) -> Health {
        if !self.healthy {
            self.last_success = previous.last_success;
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub tenant_id: TenantId,
    pub integration_id: IntegrationId,
    pub vault: VaultConfig,
    pub health: Health,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub updated_at: Option<OffsetDateTime>,
    /// Incremented by every write; writes are conditional on it.
    pub version: u64,
}

/// Checks a Vault address: `http(s)://host[:port]`, nothing after (a path is the API's,
/// not the tenant's to choose).
pub fn check_address(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|_| "`address` is not a URL".to_owned())?;
    let bad = !matches!(url.scheme(), "https" | "http")
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || !matches!(url.path(), "" | "/")
        || url.query().is_some()
        || url.fragment().is_some();
    if bad || text.len() > 300 {
        return Err(
            "`address` must be `https://host[:port]`, without a path, query or credentials".into(),
        );
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// Checks a mount or namespace path: 1-128 of `[A-Za-z0-9_-]` segments joined by `/`.
pub fn check_mount(field: &str, text: &str) -> Result<String, String> {
    let valid = (1..=128).contains(&text.len())
        && text.split('/').all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{field}` must be 1-128 characters: letters, digits, `_` and `-`, in `/`-separated segments"
        ))
    }
}
