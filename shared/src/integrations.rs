//! What the integration routes share: reading a Vault configuration from a request
//! (sealing its credentials), checking it against the tenant's Vault before it is
//! stored, and how an integration is shown (never a credential).

use crate::audit::{AuditEvent, TargetKind};
use crate::http::call::Call;
use crate::http::{Problem, ProblemType};
use crate::ids::IntegrationId;
use crate::secrets::store::{secret_id_context, token_context};
use crate::secrets::vault::VaultError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use gatehouse_service::integrations::*;

/// A credential as a request gives it: the value itself (sealed at rest, never shown
/// again), or a reference to a field of a secret in Gatehouse's own store, read at use.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CredentialInput {
    Value(#[schemars(length(min = 1, max = 2048), regex(pattern = r"^[!-~]+$"))] String),
    Reference { secret_ref: SecretRefInput },
}

/// Which secret field holds the credential.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRefInput {
    pub path: crate::secrets::SecretPath,
    #[schemars(length(min = 1, max = 256))]
    pub key: String,
    /// A fixed version; absent: the current one, so rotating the secret rotates the
    /// credential.
    #[serde(default)]
    #[schemars(range(min = 1, max = crate::secrets::meta::MAX_VERSION_NUMBER))]
    pub version: Option<u64>,
}

/// How Gatehouse logs in to the tenant's Vault, as a request gives it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(rename = "VaultAuthRequest")]
pub enum AuthRequest {
    /// A Vault token (sealed at rest, never shown again).
    Token { token: CredentialInput },
    /// AppRole: the secret id is sealed at rest and never shown again.
    #[serde(rename = "approle")]
    AppRole {
        #[schemars(length(min = 1, max = 256), regex(pattern = r"^[!-~]+$"))]
        role_id: String,
        secret_id: CredentialInput,
        /// The AppRole auth mount (default `approle`).
        #[serde(default)]
        #[schemars(length(min = 1, max = 128), regex(pattern = MOUNT_PATTERN))]
        mount: Option<String>,
    },
    /// AWS IAM: Gatehouse signs `sts:GetCallerIdentity` with its own role, and the
    /// Vault's aws method (`auth_type=iam`) maps that role to `role`. Nothing secret is
    /// stored. The Vault must require the `aws_iam_server_id` the answer shows.
    AwsIam {
        /// The Vault role bound to Gatehouse's IAM role.
        #[schemars(length(min = 1, max = 128), regex(pattern = MOUNT_PATTERN))]
        role: String,
        /// The aws auth mount (default `aws`).
        #[serde(default)]
        #[schemars(length(min = 1, max = 128), regex(pattern = MOUNT_PATTERN))]
        mount: Option<String>,
        /// The region of the STS endpoint the Vault verifies with (its `sts_region`);
        /// absent: the global endpoint.
        #[serde(default)]
        #[schemars(
            length(min = 1, max = 32),
            regex(pattern = "^[a-z]{2}(-[a-z]+)+-[0-9]+$")
        )]
        sts_region: Option<String>,
    },
}

/// [`check_mount`]'s rule, for the document.
pub const MOUNT_PATTERN: &str = "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$";
/// [`check_address`]'s rule, for the document (ports up to 9999 there; any port here).
pub const ADDRESS_PATTERN: &str = "^https?://(((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])|([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*)(:[0-9]{1,4})?/?$";
/// The largest body of a create or update (a CA chain fits).
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// A Vault configuration as an update gives it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "VaultIntegrationUpdate")]
pub struct VaultRequest {
    /// `https://host[:port]` of the Vault API.
    #[schemars(length(min = 8, max = 300), regex(pattern = ADDRESS_PATTERN))]
    pub address: String,
    /// Vault Enterprise / OpenBao namespace.
    #[serde(default)]
    #[schemars(length(min = 1, max = 128), regex(pattern = MOUNT_PATTERN))]
    pub namespace: Option<String>,
    /// The KV v2 mount holding the tenant's secrets (default `secret`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 128), regex(pattern = MOUNT_PATTERN))]
    pub mount: Option<String>,
    /// Absent: the current credentials are kept.
    #[serde(default)]
    pub auth: Option<AuthRequest>,
    /// A CA certificate (PEM) to trust for the Vault's TLS, besides the public roots.
    #[serde(default)]
    #[schemars(length(max = 8192), regex(pattern = PEM_PATTERN))]
    pub ca_certificate: Option<String>,
}

/// One or more PEM certificates.
pub const PEM_PATTERN: &str =
    "^(\\s*-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\r\\n]+-----END CERTIFICATE-----\\s*)+$";

/// A Vault configuration as a create gives it: `auth` is required.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "VaultIntegrationRequest", example = serde_json::json!({
    "address": "https://vault.example.com:8200",
    "namespace": "payments",
    "mount": "secret",
    "auth": {"method": "approle", "role_id": "2f8e0c7a-role", "secret_id": {"secret_ref": {"path": "vault/approle", "key": "secret_id"}}},
}))]
pub struct VaultCreateRequest {
    /// `https://host[:port]` of the Vault API.
    #[schemars(length(min = 8, max = 300), regex(pattern = ADDRESS_PATTERN))]
    pub address: String,
    /// Vault Enterprise / OpenBao namespace.
    #[serde(default)]
    #[schemars(length(min = 1, max = 128), regex(pattern = MOUNT_PATTERN))]
    pub namespace: Option<String>,
    /// The KV v2 mount holding the tenant's secrets (default `secret`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 128), regex(pattern = MOUNT_PATTERN))]
    pub mount: Option<String>,
    pub auth: AuthRequest,
    /// A CA certificate (PEM) to trust for the Vault's TLS, besides the public roots.
    #[serde(default)]
    #[schemars(length(max = 8192), regex(pattern = PEM_PATTERN))]
    pub ca_certificate: Option<String>,
}

impl From<VaultCreateRequest> for VaultRequest {
    fn from(r: VaultCreateRequest) -> Self {
        Self {
            address: r.address,
            namespace: r.namespace,
            mount: r.mount,
            auth: Some(r.auth),
            ca_certificate: r.ca_certificate,
        }
    }
}

fn invalid(detail: String) -> Problem {
    Problem::invalid_body(detail)
}

/// The configuration a request describes, its credentials sealed for `integration`
/// (`current` supplies the credentials an update leaves out).
pub async fn vault_config(
    call: &Call<'_>,
    integration: &IntegrationId,
    request: VaultRequest,
    current: Option<&VaultConfig>,
) -> Result<VaultConfig, Problem> {
    let tenant = &call.caller.tenant_id;
    let address = check_address(&request.address).map_err(invalid)?;
    let namespace = request
        .namespace
        .map(|n| check_mount("namespace", &n))
        .transpose()
        .map_err(invalid)?;
    let mount =
        check_mount("mount", request.mount.as_deref().unwrap_or("secret")).map_err(invalid)?;
    if let Some(pem) = &request.ca_certificate
        && !pem.contains("-----BEGIN CERTIFICATE-----")
    {
        return Err(invalid("`ca_certificate` must be a PEM certificate".into()));
    }
    let auth = match request.auth {
        Some(AuthRequest::Token { token }) => VaultAuth::Token {
            token: credential(call, token, &token_context(tenant, integration.as_str())).await?,
        },
        Some(AuthRequest::AppRole {
            role_id,
            secret_id,
            mount,
        }) => VaultAuth::AppRole {
            mount: check_mount("auth.mount", mount.as_deref().unwrap_or("approle"))
                .map_err(invalid)?,
            role_id,
            secret_id: credential(
                call,
                secret_id,
                &secret_id_context(tenant, integration.as_str()),
            )
            .await?,
        },
        Some(AuthRequest::AwsIam {
            role,
            mount,
            sts_region,
        }) => VaultAuth::AwsIam {
            mount: check_mount("auth.mount", mount.as_deref().unwrap_or("aws")).map_err(invalid)?,
            role: check_mount("auth.role", &role).map_err(invalid)?,
            sts_region: sts_region
                .map(|r| check_region(&r).map_err(invalid))
                .transpose()?,
        },
        None => match current {
            Some(config) => config.auth.clone(),
            None => return Err(invalid("`auth` is required".into())),
        },
    };
    Ok(VaultConfig {
        address,
        namespace,
        mount,
        auth,
        ca_pem: request.ca_certificate,
    })
}

/// An AWS region name (`eu-west-1`).
fn check_region(region: &str) -> Result<String, String> {
    let parts: Vec<&str> = region.split('-').collect();
    let valid = region.len() <= 32
        && parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit());
    if valid {
        Ok(region.to_owned())
    } else {
        Err(format!(
            "`auth.sts_region`: `{region}` is not an AWS region"
        ))
    }
}

/// A credential to store: a value sealed under `context`, or a reference checked now
/// (a reference to no secret, or to a missing field, is refused when it is saved).
pub async fn credential(
    call: &Call<'_>,
    input: CredentialInput,
    context: &crate::store::envelope::SealContext,
) -> Result<Credential, Problem> {
    match input {
        CredentialInput::Value(value) => Ok(Credential::Sealed(
            call.app
                .secrets
                .envelope
                .seal(value.as_bytes(), context)
                .await
                .map_err(|e| Problem::unavailable(&e))?,
        )),
        CredentialInput::Reference { secret_ref } => {
            let reference = Credential::Reference {
                secret_ref: SecretRef {
                    path: secret_ref.path,
                    key: secret_ref.key,
                    version: secret_ref.version,
                },
            };
            match call
                .app
                .secrets
                .credential(&call.caller.tenant_id, &reference, context)
                .await
            {
                Ok(_) => Ok(reference),
                Err(crate::secrets::SecretStoreError::Vault(VaultError::CredentialMissing(
                    why,
                ))) => Err(invalid(format!("`secret_ref`: the credential {why}"))),
                Err(other) => Err(other.into()),
            }
        }
    }
}

/// The problem of a check that failed: what Vault (or the way to it) said.
pub fn check_failed(diagnosis: &str) -> Problem {
    Problem::new(
        ProblemType::IntegrationFailed,
        format!("the Vault check failed: {diagnosis}"),
    )
}

/// The tenant's Vault integration; anything else is the same 404.
pub async fn load_vault(call: &Call<'_>) -> Result<Integration, Problem> {
    call.app
        .secrets
        .integrations
        .vault(&call.caller.tenant_id)
        .await?
        .ok_or_else(|| Problem::new(ProblemType::NotFound, "no Vault integration"))
}

pub fn audit(call: &Call<'_>, action: &str, integration: &IntegrationId) -> AuditEvent {
    call.audit_event(action)
        .target(TargetKind::Integration, integration.as_str())
}

/// The last connectivity check, as shown.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "IntegrationHealth")]
pub struct HealthView {
    pub healthy: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub checked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub last_success: Option<OffsetDateTime>,
    /// What went wrong at the last failed check (a diagnosis, never a credential).
    pub last_error: Option<String>,
    pub latency_ms: Option<u64>,
}

impl HealthView {
    pub fn of(h: &Health) -> Self {
        Self {
            healthy: h.healthy,
            checked_at: h.checked_at,
            last_success: h.last_success,
            last_error: h.last_error.clone(),
            latency_ms: h.latency_ms,
        }
    }
}

/// A Vault integration as the API shows it: never a credential.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "VaultIntegration")]
pub struct VaultView {
    pub integration_id: IntegrationId,
    pub kind: &'static str,
    pub address: String,
    pub namespace: Option<String>,
    pub mount: String,
    /// `token`, `approle` or `aws_iam`.
    pub auth_method: &'static str,
    /// The AppRole role id (not a secret); `null` for other methods.
    pub role_id: Option<String>,
    /// AWS IAM: the Vault role Gatehouse logs in to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_iam_role: Option<String>,
    /// AWS IAM: the `X-Vault-AWS-IAM-Server-ID` value Gatehouse signs into its logins.
    /// Set the Vault's `iam_server_id_header_value` to it, so a login meant for this
    /// Vault is refused by any other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_iam_server_id: Option<String>,
    pub has_ca_certificate: bool,
    pub health: HealthView,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<crate::schema::Rfc3339>")]
    pub updated_at: Option<OffsetDateTime>,
}

impl VaultView {
    pub fn of(i: &Integration) -> Self {
        Self {
            integration_id: i.integration_id.clone(),
            kind: "vault",
            address: i.vault.address.clone(),
            namespace: i.vault.namespace.clone(),
            mount: i.vault.mount.clone(),
            auth_method: i.vault.auth.method(),
            role_id: match &i.vault.auth {
                VaultAuth::AppRole { role_id, .. } => Some(role_id.clone()),
                _ => None,
            },
            aws_iam_role: match &i.vault.auth {
                VaultAuth::AwsIam { role, .. } => Some(role.clone()),
                _ => None,
            },
            aws_iam_server_id: matches!(i.vault.auth, VaultAuth::AwsIam { .. })
                .then(|| gatehouse_service::integrations::aws_iam_server_id(&i.tenant_id)),
            has_ca_certificate: i.vault.ca_pem.is_some(),
            health: HealthView::of(&i.health),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}
