//! The HashiCorp Vault / OpenBao backend of tenant secrets: the KV v2 engine of the
//! tenant's own Vault, over the SSRF-safe outbound client. Vault keeps the versions and
//! applies the KV v2 rules itself; this client maps its answers onto the same domain
//! types and refusals as the AWS backend, and says what is wrong when Vault refuses
//! (sealed, token refused, permission denied on the path, mount missing).
//!
//! The token is held only in memory (zeroed on drop) and sent only as
//! `X-Vault-Token`; no request or answer body is logged.

use crate::outbound::{OutboundClient, Unanswered};
use gatehouse_domain::secrets::{
    SecretData, SecretError, SecretMeta, SecretPath, Settings, VersionState,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

/// The most an answer may hold (a 64 KiB value, its metadata and JSON escaping).
const MAX_ANSWER_BYTES: usize = 512 * 1024;

/// Why Vault could not do what was asked, as a person can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("Vault did not answer: {0}")]
    Unreachable(String),
    #[error("Vault is sealed")]
    Sealed,
    #[error("Vault refused the token (expired, revoked or wrong)")]
    AuthRefused,
    /// A login (AppRole, AWS IAM) refused, with what Vault said.
    #[error("Vault refused the login: {0}")]
    LoginRefused(String),
    #[error("the token may not {0}")]
    PermissionDenied(String),
    #[error("Vault has no KV v2 engine at `{0}`")]
    MountMissing(String),
    #[error("Vault answered {status}: {detail}")]
    Unexpected { status: u16, detail: String },
    #[error("the credential {0}")]
    CredentialMissing(String),
    #[error("Vault has no such lease (it expired or was revoked)")]
    LeaseNotFound,
    #[error("Vault failed repeatedly; calls resume in {retry_after_seconds} s")]
    CircuitOpen { retry_after_seconds: u64 },
}

/// Where the tenant's Vault is and which engine holds its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultTarget {
    /// `https://vault.example.com:8200`, without a path.
    pub address: String,
    /// Vault Enterprise / OpenBao namespace, if any.
    pub namespace: Option<String>,
    /// The KV v2 mount (`secret`).
    pub mount: String,
}

#[derive(Clone)]
pub struct VaultKv {
    http: OutboundClient,
    target: VaultTarget,
    token: Zeroizing<String>,
}

impl std::fmt::Debug for VaultKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultKv")
            .field("target", &self.target)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A version's state from Vault's `{created_time, deletion_time, destroyed}`.
fn version_state(value: &Value) -> Option<VersionState> {
    let time = |field: &str| {
        value[field]
            .as_str()
            .filter(|t| !t.is_empty())
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            // Whole seconds, as every time Gatehouse shows.
            .map(|t| t.replace_nanosecond(0).unwrap_or(t))
    };
    Some(VersionState {
        created_at: time("created_time")?,
        deleted_at: time("deletion_time"),
        destroyed: value["destroyed"].as_bool().unwrap_or(false),
    })
}

/// `"1h30m5s"` (Vault's duration) in seconds.
fn duration_seconds(text: &str) -> u64 {
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().unwrap_or(0);
        number.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => 0,
        };
    }
    total
}

impl VaultKv {
    pub fn new(http: OutboundClient, target: VaultTarget, token: String) -> Self {
        Self {
            http,
            target,
            token: Zeroizing::new(token),
        }
    }

    pub fn target(&self) -> &VaultTarget {
        &self.target
    }

    /// One call to `/v1/<path>`; the answer's JSON (`{}` when empty) and status.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), VaultError> {
        let url = format!("{}/v1/{path}", self.target.address.trim_end_matches('/'));
        let mut headers = vec![("X-Vault-Token", self.token.as_str())];
        if let Some(namespace) = &self.target.namespace {
            headers.push(("X-Vault-Namespace", namespace.as_str()));
        }
        let answer = self
            .http
            .send_json(method, &url, &headers, body, MAX_ANSWER_BYTES)
            .await
            .map_err(|e: Unanswered| VaultError::Unreachable(e.to_string()))?;
        let json = if answer.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&answer.body).unwrap_or_else(|_| json!({}))
        };
        Ok((answer.status, json))
    }

    /// A refusal that is not about the secret itself.
    fn refusal(&self, status: u16, body: &Value, doing: &str) -> VaultError {
        let errors: Vec<&str> = body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let text = errors.join("; ");
        match status {
            403 if text.contains("permission denied") => {
                VaultError::PermissionDenied(doing.to_owned())
            }
            403 => VaultError::AuthRefused,
            503 if text.contains("sealed") => VaultError::Sealed,
            404 if text.contains("no handler for route") => {
                VaultError::MountMissing(self.target.mount.clone())
            }
            _ => VaultError::Unexpected {
                status,
                detail: text.chars().take(300).collect(),
            },
        }
    }

    fn engine(&self, kind: &str, path: &SecretPath) -> String {
        format!("{}/{kind}/{path}", self.target.mount)
    }

    /// Writes the next version; its number and state.
    pub async fn write(
        &self,
        path: &SecretPath,
        data: &SecretData,
        cas: Option<u64>,
    ) -> Result<Result<(u64, VersionState), SecretError>, VaultError> {
        let mut body = json!({ "data": data.fields() });
        if let Some(cas) = cas {
            body["options"] = json!({ "cas": cas });
        }
        let (status, answer) = self
            .call(Method::POST, &self.engine("data", path), Some(&body))
            .await?;
        match status {
            200 | 204 => {
                let version = answer["data"]["version"].as_u64().unwrap_or(0);
                match version_state(&answer["data"]) {
                    Some(state) if version > 0 => Ok(Ok((version, state))),
                    _ => Err(VaultError::Unexpected {
                        status,
                        detail: "a write answer without a version".into(),
                    }),
                }
            }
            400 => {
                let text = answer["errors"].to_string();
                if text.contains("check-and-set parameter required") {
                    Ok(Err(SecretError::CasRequired))
                } else if text.contains("check-and-set parameter did not match") {
                    let current = self
                        .metadata(path)
                        .await?
                        .map(|m| m.current_version)
                        .unwrap_or(0);
                    Ok(Err(SecretError::CasMismatch {
                        given: cas.unwrap_or(0),
                        current,
                    }))
                } else {
                    Err(self.refusal(status, &answer, "write this path"))
                }
            }
            _ => Err(self.refusal(status, &answer, "write this path")),
        }
    }

    /// A version's value (`None` or 0: the current one).
    pub async fn read(
        &self,
        path: &SecretPath,
        version: Option<u64>,
    ) -> Result<Result<(u64, SecretData, VersionState), SecretError>, VaultError> {
        let mut uri = self.engine("data", path);
        if let Some(v) = version.filter(|v| *v > 0) {
            uri.push_str(&format!("?version={v}"));
        }
        let (status, answer) = self.call(Method::GET, &uri, None).await?;
        let metadata = &answer["data"]["metadata"];
        match status {
            200 => {
                let number = metadata["version"].as_u64().unwrap_or(0);
                let state = version_state(metadata);
                let fields = answer["data"]["data"].as_object().cloned();
                match (state, fields.and_then(|f| SecretData::new(f).ok())) {
                    (Some(state), Some(data)) => Ok(Ok((number, data, state))),
                    _ => Err(VaultError::Unexpected {
                        status,
                        detail: "a read answer without data".into(),
                    }),
                }
            }
            404 if metadata.is_object() => {
                let number = metadata["version"].as_u64().unwrap_or(0);
                if metadata["destroyed"].as_bool() == Some(true) {
                    Ok(Err(SecretError::VersionDestroyed(number)))
                } else {
                    Ok(Err(SecretError::VersionDeleted(number)))
                }
            }
            404 if answer["errors"].as_array().is_some_and(Vec::is_empty) => {
                Ok(Err(match version {
                    Some(v) if v > 0 => SecretError::NoSuchVersion(v),
                    _ => SecretError::NotFound,
                }))
            }
            _ => Err(self.refusal(status, &answer, "read this path")),
        }
    }

    /// The secret's metadata, as the domain's state machine (`None`: no such secret).
    pub async fn metadata(&self, path: &SecretPath) -> Result<Option<SecretMeta>, VaultError> {
        let (status, answer) = self
            .call(Method::GET, &self.engine("metadata", path), None)
            .await?;
        match status {
            200 => {}
            404 if answer["errors"].as_array().is_some_and(Vec::is_empty) => return Ok(None),
            _ => return Err(self.refusal(status, &answer, "read this path's metadata")),
        }
        let data = &answer["data"];
        let time = |field: &str| {
            data[field]
                .as_str()
                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        };
        let versions: BTreeMap<u64, VersionState> = data["versions"]
            .as_object()
            .map(|all| {
                all.iter()
                    .filter_map(|(n, v)| Some((n.parse().ok()?, version_state(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        let custom_metadata = data["custom_metadata"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let max_versions = match data["max_versions"].as_u64().unwrap_or(0) {
            0 => gatehouse_domain::secrets::meta::DEFAULT_MAX_VERSIONS,
            n => u32::try_from(n).unwrap_or(u32::MAX),
        };
        Ok(Some(SecretMeta {
            settings: Settings {
                max_versions,
                cas_required: data["cas_required"].as_bool().unwrap_or(false),
                delete_version_after_seconds: duration_seconds(
                    data["delete_version_after"].as_str().unwrap_or("0s"),
                ),
                custom_metadata,
            },
            current_version: data["current_version"].as_u64().unwrap_or(0),
            created_at: time("created_time"),
            updated_at: time("updated_time"),
            versions,
            deletion: None,
        }))
    }

    /// Replaces the secret's settings (creating the secret, without a version).
    pub async fn configure(
        &self,
        path: &SecretPath,
        settings: &Settings,
    ) -> Result<(), VaultError> {
        let body = json!({
            "max_versions": settings.max_versions,
            "cas_required": settings.cas_required,
            "delete_version_after": format!("{}s", settings.delete_version_after_seconds),
            "custom_metadata": settings.custom_metadata,
        });
        let (status, answer) = self
            .call(Method::POST, &self.engine("metadata", path), Some(&body))
            .await?;
        match status {
            200 | 204 => Ok(()),
            _ => Err(self.refusal(status, &answer, "change this path's metadata")),
        }
    }

    /// Deletes, undeletes (`POST`) or destroys (`PUT`) versions.
    pub async fn change_versions(
        &self,
        kind: VersionOp,
        path: &SecretPath,
        versions: &[u64],
    ) -> Result<(), VaultError> {
        let (method, engine, doing) = match kind {
            VersionOp::Delete => (Method::POST, "delete", "delete versions of this path"),
            VersionOp::Undelete => (Method::POST, "undelete", "undelete versions of this path"),
            VersionOp::Destroy => (Method::PUT, "destroy", "destroy versions of this path"),
        };
        let (status, answer) = self
            .call(
                method,
                &self.engine(engine, path),
                Some(&json!({ "versions": versions })),
            )
            .await?;
        match status {
            200 | 204 => Ok(()),
            _ => Err(self.refusal(status, &answer, doing)),
        }
    }

    /// The names directly under `folder` (`""`: the engine's root); a name ending in
    /// `/` is a folder.
    pub async fn list(&self, folder: &str) -> Result<Vec<String>, VaultError> {
        let uri = format!("{}/metadata/{folder}", self.target.mount);
        let method = Method::from_bytes(b"LIST").unwrap_or(Method::GET);
        let (status, answer) = self.call(method, &uri, None).await?;
        match status {
            200 => Ok(answer["data"]["keys"]
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()),
            404 => Ok(Vec::new()),
            _ => Err(self.refusal(status, &answer, "list this folder")),
        }
    }

    /// The token's remaining lifetime in seconds (`None`: it does not expire) and
    /// whether it can be renewed.
    pub async fn token_lifetime(&self) -> Result<(Option<u64>, bool), VaultError> {
        let (status, answer) = self
            .call(Method::GET, "auth/token/lookup-self", None)
            .await?;
        match status {
            200 => {
                let ttl = answer["data"]["ttl"].as_u64().filter(|t| *t > 0);
                Ok((ttl, answer["data"]["renewable"].as_bool().unwrap_or(false)))
            }
            403 => Err(VaultError::AuthRefused),
            _ => Err(self.refusal(status, &answer, "look itself up")),
        }
    }

    /// Renews the token; its new lifetime in seconds.
    pub async fn renew(&self) -> Result<u64, VaultError> {
        let (status, answer) = self
            .call(Method::POST, "auth/token/renew-self", Some(&json!({})))
            .await?;
        match status {
            200 => Ok(answer["auth"]["lease_duration"].as_u64().unwrap_or(0)),
            403 => Err(VaultError::AuthRefused),
            _ => Err(self.refusal(status, &answer, "renew itself")),
        }
    }

    /// Whether Vault is up, unsealed and accepts the token (for connectivity tests).
    pub async fn check(&self) -> Result<(), VaultError> {
        let (status, answer) = self.call(Method::GET, "sys/health", None).await?;
        match status {
            200 | 429 | 472 | 473 => {}
            503 => return Err(VaultError::Sealed),
            _ => return Err(self.refusal(status, &answer, "read Vault's health")),
        }
        let (status, answer) = self
            .call(Method::GET, "auth/token/lookup-self", None)
            .await?;
        if status != 200 {
            return Err(match status {
                403 => VaultError::AuthRefused,
                _ => self.refusal(status, &answer, "look itself up"),
            });
        }
        let (status, answer) = self
            .call(Method::GET, &format!("{}/config", self.target.mount), None)
            .await?;
        match status {
            200 => Ok(()),
            _ => Err(self.refusal(status, &answer, "read the engine's configuration")),
        }
    }
}

/// Credentials a dynamic engine issued, and Vault's lease on them.
pub struct IssuedByVault {
    pub lease_id: String,
    pub lease_seconds: u64,
    pub renewable: bool,
    /// The engine's credentials (`username`, `password`, ...): returned to the caller
    /// once, never stored or logged.
    pub data: serde_json::Map<String, Value>,
}

impl VaultKv {
    /// Reads credentials from a dynamic engine's path (`database/creds/readonly`). A
    /// path that answers without a lease is not a dynamic secret: its data is dropped.
    pub async fn issue(&self, path: &str) -> Result<IssuedByVault, VaultError> {
        let (status, answer) = self.call(Method::GET, path, None).await?;
        if status != 200 {
            return Err(self.refusal(status, &answer, &format!("read `{path}`")));
        }
        match answer["lease_id"].as_str().filter(|id| !id.is_empty()) {
            Some(lease_id) => Ok(IssuedByVault {
                lease_id: lease_id.to_owned(),
                lease_seconds: answer["lease_duration"].as_u64().unwrap_or(0),
                renewable: answer["renewable"].as_bool().unwrap_or(false),
                data: answer["data"].as_object().cloned().unwrap_or_default(),
            }),
            None => Err(VaultError::Unexpected {
                status,
                detail: format!("`{path}` is not a dynamic secret: Vault gave no lease"),
            }),
        }
    }

    /// Renews a lease by `increment` seconds (Vault's default when `None`, and Vault
    /// caps it at the role's maximum): the lease's new lifetime and whether it can be
    /// renewed again.
    pub async fn renew_lease(
        &self,
        lease_id: &str,
        increment: Option<u32>,
    ) -> Result<(u64, bool), VaultError> {
        let mut body = json!({ "lease_id": lease_id });
        if let Some(increment) = increment {
            body["increment"] = json!(increment);
        }
        let (status, answer) = self
            .call(Method::PUT, "sys/leases/renew", Some(&body))
            .await?;
        match status {
            200 => Ok((
                answer["lease_duration"].as_u64().unwrap_or(0),
                answer["renewable"].as_bool().unwrap_or(false),
            )),
            400 if errors_mention(&answer, "lease not found")
                || errors_mention(&answer, "lease expired") =>
            {
                Err(VaultError::LeaseNotFound)
            }
            _ => Err(self.refusal(status, &answer, "renew leases (`sys/leases/renew`)")),
        }
    }

    /// Revokes a lease: the engine removes the credentials (the database role is
    /// dropped). Revoking a lease Vault no longer has succeeds.
    pub async fn revoke_lease(&self, lease_id: &str) -> Result<(), VaultError> {
        let (status, answer) = self
            .call(
                Method::PUT,
                "sys/leases/revoke",
                Some(&json!({ "lease_id": lease_id })),
            )
            .await?;
        match status {
            200 | 204 => Ok(()),
            _ => Err(self.refusal(status, &answer, "revoke leases (`sys/leases/revoke`)")),
        }
    }
}

fn errors_mention(answer: &Value, text: &str) -> bool {
    answer["errors"].as_array().is_some_and(|errors| {
        errors
            .iter()
            .filter_map(Value::as_str)
            .any(|e| e.contains(text))
    })
}

/// The version changes Vault has an endpoint for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionOp {
    Delete,
    Undelete,
    Destroy,
}

#[cfg(test)]
#[path = "../tests/vault.rs"]
mod tests;
