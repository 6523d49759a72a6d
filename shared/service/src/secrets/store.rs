//! The tenant's secret store, whichever backend holds it: Gatehouse's own (AWS: Secrets
//! Manager, DynamoDB, KMS) unless the tenant has configured its Vault, in which case
//! Vault. Every operation returns the same domain outcomes on both, and a
//! [`Committed`] that says whether the caller's audit event joins a write (AWS) or is
//! recorded on its own after Vault did the work.

use super::aws::{AwsSecretStore, SecretStoreError};
use super::vault::{VaultError, VaultKv, VaultTarget, VersionOp};
use crate::outbound::OutboundClient;
use crate::store::envelope::{Envelope, SealContext};
use crate::store::{Integrations, WriteBatch};
use crate::webhooks::ssrf::AllowList;
use gatehouse_domain::ids::TenantId;
use gatehouse_domain::integrations::{Credential, Integration, VaultAuth, VaultConfig};
use gatehouse_domain::secrets::{
    SecretData, SecretError, SecretMeta, SecretPath, Settings, VersionState,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The envelope purposes of Vault credentials.
pub const VAULT_TOKEN_PURPOSE: &str = "vault-token";
pub const APPROLE_SECRET_ID_PURPOSE: &str = "vault-approle-secret-id";
/// How long a Vault session (opened credentials, an AppRole login) is reused.
const SESSION_TTL: Duration = Duration::from_secs(300);

/// How a change's audit event is stored.
#[derive(Debug)]
pub enum Committed {
    /// Commit this batch together with the audit event (AWS).
    Batch(WriteBatch),
    /// The change is done (in Vault); record the audit event on its own.
    Done,
}

/// What a write made.
#[derive(Debug, Clone)]
pub struct Written {
    pub version: u64,
    pub state: VersionState,
    /// The secret's first version.
    pub created: bool,
}

/// Which version change.
pub use super::vault::VersionOp as Change;

#[derive(Clone)]
struct Session {
    kv: VaultKv,
    integration_version: u64,
    opened: Instant,
    /// When the token expires (`None`: it does not), and its lifetime when renewed.
    expires: Option<Instant>,
    lifetime: Duration,
    renewable: bool,
}

impl Session {
    /// Past half its lifetime, a renewable token is renewed before it is used.
    fn wants_renewal(&self) -> bool {
        self.renewable
            && self
                .expires
                .is_some_and(|at| at.saturating_duration_since(Instant::now()) < self.lifetime / 2)
    }

    fn expired(&self) -> bool {
        self.expires.is_some_and(|at| at <= Instant::now())
    }
}

#[derive(Clone)]
pub struct TenantSecrets {
    pub aws: AwsSecretStore,
    pub integrations: Integrations,
    /// Seals and opens integration credentials (the secrets key).
    pub envelope: Envelope,
    pub allow: AllowList,
    pub timeout: Duration,
    /// Consecutive failures to reach a tenant's Vault (unreachable, sealed) that open
    /// its circuit: calls then fail at once, for `circuit_cooldown`, instead of each
    /// waiting out the timeout; the next call after it is a trial.
    pub circuit_threshold: u32,
    pub circuit_cooldown: Duration,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    circuits: Arc<Mutex<HashMap<String, Circuit>>>,
    /// Gatehouse's own store whatever the tenant configured (see [`Self::own`]).
    own_only: bool,
    /// This function's AWS identity, for Vault's AWS IAM login.
    aws_identity: Option<super::aws_iam::AwsIdentity>,
}

/// One tenant's Vault circuit, per container.
#[derive(Debug, Clone, Copy, Default)]
struct Circuit {
    failures: u32,
    open_until: Option<Instant>,
}

pub const CIRCUIT_THRESHOLD: u32 = 3;
pub const CIRCUIT_COOLDOWN: Duration = Duration::from_secs(30);

impl std::fmt::Debug for TenantSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSecrets").finish_non_exhaustive()
    }
}

/// The backend a tenant's secrets are in.
pub enum Backend<'a> {
    Aws(&'a AwsSecretStore),
    Vault(VaultKv),
}

impl Backend<'_> {
    /// The metrics' name for the backend.
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Aws(_) => "aws",
            Backend::Vault(_) => "vault",
        }
    }
}

pub fn token_context(tenant: &TenantId, integration: &str) -> SealContext {
    SealContext::new(VAULT_TOKEN_PURPOSE)
        .with("tenant", tenant.as_str())
        .with("integration", integration)
}

pub fn secret_id_context(tenant: &TenantId, integration: &str) -> SealContext {
    SealContext::new(APPROLE_SECRET_ID_PURPOSE)
        .with("tenant", tenant.as_str())
        .with("integration", integration)
}

impl TenantSecrets {
    pub fn new(
        aws: AwsSecretStore,
        integrations: Integrations,
        envelope: Envelope,
        allow: AllowList,
        timeout: Duration,
    ) -> Self {
        Self {
            aws,
            integrations,
            envelope,
            allow,
            timeout,
            circuit_threshold: CIRCUIT_THRESHOLD,
            circuit_cooldown: CIRCUIT_COOLDOWN,
            sessions: Arc::default(),
            circuits: Arc::default(),
            own_only: false,
            aws_identity: None,
        }
    }

    /// Signs Vault AWS IAM logins with `identity` (the function's own credentials).
    pub fn with_aws_identity(mut self, identity: Option<super::aws_iam::AwsIdentity>) -> Self {
        self.aws_identity = identity;
        self
    }

    /// A Vault client logged in with `config`'s credentials (the sealed ones opened,
    /// an AppRole logged in): for checking new credentials, and for sessions.
    pub async fn connect(
        &self,
        tenant: &TenantId,
        integration: &str,
        config: &VaultConfig,
    ) -> Result<VaultKv, SecretStoreError> {
        let http = OutboundClient::for_integration(
            self.allow.clone(),
            self.timeout,
            config.ca_pem.as_deref().map(str::as_bytes),
        )
        .map_err(|e| VaultError::Unreachable(format!("the CA certificate: {e}")))?;
        let target = VaultTarget {
            address: config.address.clone(),
            namespace: config.namespace.clone(),
            mount: config.mount.clone(),
        };
        let token = match &config.auth {
            VaultAuth::Token { token } => {
                self.credential(tenant, token, &token_context(tenant, integration))
                    .await?
            }
            VaultAuth::AppRole {
                mount,
                role_id,
                secret_id,
            } => {
                let secret_id = self
                    .credential(tenant, secret_id, &secret_id_context(tenant, integration))
                    .await?;
                let body = json!({"role_id": role_id, "secret_id": secret_id.as_str()});
                Zeroizing::new(login(&http, &target, mount, &body).await?)
            }
            VaultAuth::AwsIam {
                mount,
                role,
                sts_region,
            } => {
                let identity = self.aws_identity.as_ref().ok_or_else(|| {
                    VaultError::CredentialMissing(
                        "of this function's AWS role is not available".into(),
                    )
                })?;
                let server_id = gatehouse_domain::integrations::aws_iam_server_id(tenant);
                let body = identity
                    .login_body(role, sts_region.as_deref(), &server_id)
                    .await?;
                Zeroizing::new(login(&http, &target, mount, &body).await?)
            }
        };
        Ok(VaultKv::new(http, target, token.to_string()))
    }

    /// Logs in to the Vault `config` describes and checks it (up, unsealed, token
    /// accepted, the KV mount there): the health found, and the diagnosis if it failed.
    pub async fn check(
        &self,
        tenant: &TenantId,
        integration: &str,
        config: &VaultConfig,
        now: time::OffsetDateTime,
    ) -> (gatehouse_domain::integrations::Health, Option<String>) {
        let started = Instant::now();
        let outcome = match self.connect(tenant, integration, config).await {
            Ok(kv) => kv.check().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let healthy = outcome.is_ok();
        let diagnosis = outcome.err();
        (
            gatehouse_domain::integrations::Health {
                healthy,
                checked_at: Some(now),
                last_success: healthy.then_some(now),
                last_error: diagnosis.clone(),
                latency_ms: Some(latency),
            },
            diagnosis,
        )
    }

    /// A credential's value: opened from its seal, or read from the secret it names in
    /// Gatehouse's own store (a Vault's credentials cannot live in that Vault).
    pub async fn credential(
        &self,
        tenant: &TenantId,
        credential: &Credential,
        sealed_as: &SealContext,
    ) -> Result<Zeroizing<String>, SecretStoreError> {
        match credential {
            Credential::Sealed(sealed) => {
                let opened = self.envelope.open(sealed, sealed_as).await?;
                String::from_utf8(opened.bytes().to_vec())
                    .map(Zeroizing::new)
                    .map_err(|_| VaultError::AuthRefused.into())
            }
            Credential::Reference { secret_ref } => {
                let missing = |why: String| {
                    SecretStoreError::Vault(VaultError::CredentialMissing(format!(
                        "`{}` {why}",
                        secret_ref.path
                    )))
                };
                let now = time::OffsetDateTime::now_utc();
                let record = self
                    .aws
                    .load(tenant, &secret_ref.path, now)
                    .await
                    .map_err(|_| missing("is not a secret of Gatehouse's store".into()))?;
                let (_, data) = self
                    .aws
                    .read(&record, secret_ref.version, now)
                    .await
                    .map_err(|e| missing(format!("cannot be read: {e}")))?;
                data.field(&secret_ref.key)
                    .map(Zeroizing::new)
                    .ok_or_else(|| missing(format!("has no field `{}`", secret_ref.key)))
            }
        }
    }

    /// This store, always on Gatehouse's own backend: for the secrets a tenant keeps
    /// there beside its Vault (the ones its Vault credentials reference).
    pub fn own(&self) -> Self {
        Self {
            own_only: true,
            ..self.clone()
        }
    }

    /// The tenant's backend: its Vault if it has configured one, else Gatehouse's own.
    pub async fn backend(&self, tenant: &TenantId) -> Result<Backend<'_>, SecretStoreError> {
        if self.own_only {
            return Ok(Backend::Aws(&self.aws));
        }
        let Some(integration) = self.integrations.vault(tenant).await? else {
            return Ok(Backend::Aws(&self.aws));
        };
        let open = self
            .circuits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant.as_str())
            .and_then(|c| c.open_until)
            .filter(|until| *until > Instant::now());
        if let Some(until) = open {
            return Err(VaultError::CircuitOpen {
                retry_after_seconds: until.saturating_duration_since(Instant::now()).as_secs() + 1,
            }
            .into());
        }
        match self.session(&integration).await {
            Ok(kv) => Ok(Backend::Vault(kv)),
            // A login or renewal that Vault refused or did not answer counts for its
            // circuit; anything else (KMS, storage) is not Vault's.
            Err(SecretStoreError::Vault(e)) => Err(self.vault::<()>(tenant, Err(e)).unwrap_err()),
            Err(other) => Err(other),
        }
    }

    async fn session(&self, integration: &Integration) -> Result<VaultKv, SecretStoreError> {
        let key = integration.tenant_id.to_string();
        let cached = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .filter(|s| {
                s.integration_version == integration.version
                    && s.opened.elapsed() < SESSION_TTL
                    && !s.expired()
            })
            .cloned();
        if let Some(mut session) = cached {
            if session.wants_renewal() {
                // Renewed before it expires; a refusal drops the session (the next
                // call logs in again, or finds the token gone).
                let lifetime = session.kv.renew().await?;
                session.lifetime = Duration::from_secs(lifetime);
                session.expires = Some(Instant::now() + session.lifetime);
                self.sessions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, session.clone());
            }
            return Ok(session.kv);
        }
        let kv = self
            .connect(
                &integration.tenant_id,
                integration.integration_id.as_str(),
                &integration.vault,
            )
            .await?;
        let (ttl, renewable) = kv.token_lifetime().await?;
        let lifetime = Duration::from_secs(ttl.unwrap_or(0));
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                key,
                Session {
                    kv: kv.clone(),
                    integration_version: integration.version,
                    opened: Instant::now(),
                    expires: ttl.map(|_| Instant::now() + lifetime),
                    lifetime,
                    renewable,
                },
            );
        Ok(kv)
    }

    /// Gatehouse's own store, for the operations only it offers (delete-all with a
    /// recovery window, and restore): a tenant on Vault is refused.
    pub async fn own_store(&self, tenant: &TenantId) -> Result<&AwsSecretStore, SecretStoreError> {
        if self.own_only {
            return Ok(&self.aws);
        }
        match self.integrations.vault(tenant).await? {
            None => Ok(&self.aws),
            Some(_) => Err(SecretStoreError::Unsupported(
                "the tenant's secrets are in its Vault, which deletes a whole secret at once and \
                 cannot restore it: delete or destroy its versions instead",
            )),
        }
    }

    /// Forgets a tenant's session (after Vault refused its token: the next call logs in
    /// again).
    pub fn forget_session(&self, tenant: &TenantId) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(tenant.as_str());
    }

    /// Runs `call` on the tenant's backend, timed for the metrics, and counted if the
    /// store failed (not a caller's mistake such as a secret that is not there).
    /// Opening the backend is part of the operation: a tenant's Vault that cannot be
    /// reached fails there.
    async fn measured<'s, T, F, Fut>(
        &'s self,
        tenant: &TenantId,
        operation: &'static str,
        call: F,
    ) -> Result<T, SecretStoreError>
    where
        F: FnOnce(Backend<'s>) -> Fut,
        Fut: std::future::Future<Output = Result<T, SecretStoreError>>,
    {
        use crate::telemetry::metrics;
        let started = std::time::Instant::now();
        let (store, result) = match self.backend(tenant).await {
            Ok(backend) => (backend.kind(), call(backend).await),
            Err(e @ SecretStoreError::Vault(_)) => ("vault", Err(e)),
            Err(e) => ("aws", Err(e)),
        };
        let labels = [("Store", store), ("Operation", operation)];
        metrics::time(metrics::SECRET_STORE_LATENCY, &labels, started.elapsed());
        if result
            .as_ref()
            .is_err_and(SecretStoreError::is_store_failure)
        {
            metrics::count(metrics::SECRET_STORE_ERRORS, &labels);
        }
        result
    }

    /// Runs a Vault operation; if Vault refused the session's token (a token revoked
    /// or expired under a cached session reads as refused or "permission denied"), the
    /// session is dropped and the operation runs once more after a fresh login, within
    /// the same call. Vault checks the token before it acts, so nothing ran twice.
    pub(super) async fn on_vault<T, F, Fut>(
        &self,
        tenant: &TenantId,
        kv: VaultKv,
        op: F,
    ) -> Result<T, SecretStoreError>
    where
        F: Fn(VaultKv) -> Fut,
        Fut: std::future::Future<Output = Result<T, SecretStoreError>>,
    {
        match op(kv).await {
            Err(SecretStoreError::Vault(
                VaultError::AuthRefused | VaultError::PermissionDenied(_),
            )) => {
                match self.backend(tenant).await? {
                    Backend::Vault(fresh) => op(fresh).await,
                    // The integration went away meanwhile: the caller retries afresh.
                    Backend::Aws(_) => Err(VaultError::AuthRefused.into()),
                }
            }
            other => other,
        }
    }

    pub async fn write(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        data: &SecretData,
        cas: Option<u64>,
        now: time::OffsetDateTime,
    ) -> Result<(Written, Committed), SecretStoreError> {
        self.measured(tenant, "write", |backend| async move {
            match backend {
                Backend::Aws(aws) => {
                    let prepared = aws.prepare_write(tenant, path, data, cas, now).await?;
                    let state = prepared.record.meta.versions[&prepared.version].clone();
                    Ok((
                        Written {
                            version: prepared.version,
                            state,
                            created: prepared.created,
                        },
                        Committed::Batch(prepared.batch),
                    ))
                }
                Backend::Vault(kv) => {
                    let (version, state) = self
                        .on_vault(tenant, kv, |kv| async move {
                            Ok(self.vault(tenant, kv.write(path, data, cas).await)??)
                        })
                        .await?;
                    Ok((
                        Written {
                            version,
                            state,
                            created: version == 1,
                        },
                        Committed::Done,
                    ))
                }
            }
        })
        .await
    }

    /// A version's value and state.
    pub async fn read(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        version: Option<u64>,
        now: time::OffsetDateTime,
    ) -> Result<(u64, SecretData, VersionState), SecretStoreError> {
        self.measured(tenant, "read", |backend| async move {
            match backend {
                Backend::Aws(aws) => {
                    let record = aws.load(tenant, path, now).await?;
                    let (version, data) = aws.read(&record, version, now).await?;
                    Ok((version, data, record.meta.versions[&version].clone()))
                }
                Backend::Vault(kv) => {
                    self.on_vault(tenant, kv, |kv| async move {
                        Ok(self.vault(tenant, kv.read(path, version).await)??)
                    })
                    .await
                }
            }
        })
        .await
    }

    pub async fn metadata(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        now: time::OffsetDateTime,
    ) -> Result<SecretMeta, SecretStoreError> {
        self.measured(tenant, "metadata", |backend| async move {
            match backend {
                Backend::Aws(aws) => Ok(aws.load(tenant, path, now).await?.meta),
                Backend::Vault(kv) => {
                    self.on_vault(tenant, kv, |kv| async move {
                        self.vault(tenant, kv.metadata(path).await)?
                            .ok_or(SecretError::NotFound.into())
                    })
                    .await
                }
            }
        })
        .await
    }

    /// Changes a secret's settings (creating it without a version if need be): the
    /// metadata after, the settings before, and whether it was created.
    pub async fn configure(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        change: impl Fn(&mut Settings),
        now: time::OffsetDateTime,
    ) -> Result<(SecretMeta, Settings, bool, Committed), SecretStoreError> {
        match self.backend(tenant).await? {
            Backend::Aws(aws) => {
                let (mut record, created) = aws.load_or_new(tenant, path, now).await?;
                let before = record.meta.settings.clone();
                let mut settings = before.clone();
                change(&mut settings);
                record.meta.configure(settings, now)?;
                let batch = aws.prepare_change(&mut record)?;
                Ok((record.meta, before, created, Committed::Batch(batch)))
            }
            Backend::Vault(kv) => {
                let change = &change;
                self.on_vault(tenant, kv, |kv| async move {
                    let existing = self.vault(tenant, kv.metadata(path).await)?;
                    let created = existing.is_none();
                    let mut meta =
                        existing.unwrap_or_else(|| SecretMeta::new(Settings::default(), now));
                    let before = meta.settings.clone();
                    let mut settings = before.clone();
                    change(&mut settings);
                    meta.configure(settings.clone(), now)?;
                    self.vault(tenant, kv.configure(path, &settings).await)?;
                    let after = self.vault(tenant, kv.metadata(path).await)?.unwrap_or(meta);
                    Ok((after, before, created, Committed::Done))
                })
                .await
            }
        }
    }

    /// Deletes, undeletes or destroys versions: the metadata after and the versions the
    /// change applied to (the domain's rules decide which, on both backends).
    pub async fn change_versions(
        &self,
        tenant: &TenantId,
        path: &SecretPath,
        op: Change,
        versions: &[u64],
        now: time::OffsetDateTime,
    ) -> Result<(SecretMeta, Vec<u64>, Committed), SecretStoreError> {
        let apply = |meta: &mut SecretMeta| match op {
            VersionOp::Delete => meta.delete(versions, now),
            VersionOp::Undelete => meta.undelete(versions, now),
            VersionOp::Destroy => meta.destroy(versions, now),
        };
        match self.backend(tenant).await? {
            Backend::Aws(aws) => {
                let mut record = aws.load(tenant, path, now).await?;
                let changed = apply(&mut record.meta)?;
                let committed = if changed.is_empty() {
                    Committed::Done
                } else {
                    Committed::Batch(aws.prepare_change(&mut record)?)
                };
                Ok((record.meta, changed, committed))
            }
            Backend::Vault(kv) => {
                let apply = &apply;
                self.on_vault(tenant, kv, |kv| async move {
                    let mut meta = self
                        .vault(tenant, kv.metadata(path).await)?
                        .ok_or(SecretError::NotFound)?;
                    let changed = apply(&mut meta)?;
                    if !changed.is_empty() {
                        self.vault(tenant, kv.change_versions(op, path, &changed).await)?;
                        if let Some(after) = self.vault(tenant, kv.metadata(path).await)? {
                            meta = after;
                        }
                    }
                    Ok((meta, changed, Committed::Done))
                })
                .await
            }
        }
    }

    /// A page of the tenant's secrets whose path starts with `prefix`, after `after`:
    /// paths with their metadata, and the last path when there may be more.
    pub async fn list(
        &self,
        tenant: &TenantId,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        now: time::OffsetDateTime,
    ) -> Result<(Vec<(SecretPath, SecretMeta)>, Option<String>), SecretStoreError> {
        match self.backend(tenant).await? {
            Backend::Aws(aws) => {
                let page = aws.list(tenant, prefix, after, limit, now).await?;
                Ok((
                    page.records.into_iter().map(|r| (r.path, r.meta)).collect(),
                    page.next,
                ))
            }
            Backend::Vault(kv) => {
                self.on_vault(tenant, kv, |kv| async move {
                    let paths =
                        self.vault(tenant, vault_paths(&kv, prefix, after, limit + 1).await)?;
                    let more = paths.len() > limit;
                    let mut items = Vec::new();
                    for path in paths.into_iter().take(limit) {
                        if let Some(meta) = self.vault(tenant, kv.metadata(&path).await)? {
                            items.push((path, meta));
                        }
                    }
                    let next = more
                        .then(|| items.last().map(|(p, _)| p.as_str().to_owned()))
                        .flatten();
                    Ok((items, next))
                })
                .await
            }
        }
    }

    /// A Vault outcome; a 403 forgets the session, so the next call logs in again (a
    /// fresh AppRole login, the tenant's updated token, or a lookup that finds the
    /// token gone: Vault answers an expired token with "permission denied" too).
    pub(super) fn vault<T>(
        &self,
        tenant: &TenantId,
        result: Result<T, VaultError>,
    ) -> Result<T, SecretStoreError> {
        if result
            .as_ref()
            .is_err_and(|e| matches!(e, VaultError::AuthRefused | VaultError::PermissionDenied(_)))
        {
            self.forget_session(tenant);
        }
        let unreachable = result
            .as_ref()
            .is_err_and(|e| matches!(e, VaultError::Unreachable(_) | VaultError::Sealed));
        let mut circuits = self.circuits.lock().unwrap_or_else(|p| p.into_inner());
        if unreachable {
            let circuit = circuits.entry(tenant.to_string()).or_default();
            circuit.failures += 1;
            if circuit.failures >= self.circuit_threshold {
                circuit.open_until = Some(Instant::now() + self.circuit_cooldown);
            }
        } else {
            // Vault answered (yes or no): it is reachable.
            circuits.remove(tenant.as_str());
        }
        drop(circuits);
        result.map_err(SecretStoreError::Vault)
    }
}

/// A login at `auth/<mount>/login` (AppRole, AWS IAM): the client token.
async fn login(
    http: &OutboundClient,
    target: &VaultTarget,
    mount: &str,
    body: &serde_json::Value,
) -> Result<String, VaultError> {
    let url = format!(
        "{}/v1/auth/{mount}/login",
        target.address.trim_end_matches('/')
    );
    let mut headers = Vec::new();
    if let Some(namespace) = &target.namespace {
        headers.push(("X-Vault-Namespace", namespace.as_str()));
    }
    let answer = http
        .send_json(reqwest::Method::POST, &url, &headers, Some(body), 64 * 1024)
        .await
        .map_err(|e| VaultError::Unreachable(e.to_string()))?;
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    let said = || {
        let errors: Vec<&str> = body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        let text: String = errors.join("; ").chars().take(300).collect();
        if text.is_empty() {
            "no reason given".to_owned()
        } else {
            text
        }
    };
    match (answer.status, body["auth"]["client_token"].as_str()) {
        (200, Some(token)) => Ok(token.to_owned()),
        (400 | 403, _) => Err(VaultError::LoginRefused(said())),
        (503, _) => Err(VaultError::Sealed),
        (status, _) => Err(VaultError::Unexpected {
            status,
            detail: format!("the {mount} login gave no token"),
        }),
    }
}

/// Up to `want` secret paths under `prefix` in path order after `after`. Vault lists
/// one folder at a time; folders and secrets wait in one min-heap by full name, and
/// every path under a folder `f/` sorts right after `f/` and before any other name
/// after it, so paths come out in order and the walk stops at `want`.
async fn vault_paths(
    kv: &VaultKv,
    prefix: &str,
    after: Option<&str>,
    want: usize,
) -> Result<Vec<SecretPath>, VaultError> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let (folder, start) = match prefix.rfind('/') {
        Some(at) => (&prefix[..=at], &prefix[at + 1..]),
        None => ("", prefix),
    };
    let mut waiting: BinaryHeap<Reverse<String>> = BinaryHeap::new();
    for name in kv.list(folder).await? {
        if name.starts_with(start) {
            waiting.push(Reverse(format!("{folder}{name}")));
        }
    }
    let mut found = Vec::new();
    while let Some(Reverse(next)) = waiting.pop() {
        if found.len() >= want {
            break;
        }
        if next.ends_with('/') {
            // A folder wholly before `after` holds nothing to list.
            if after.is_some_and(|a| a > next.as_str() && !a.starts_with(next.as_str())) {
                continue;
            }
            for name in kv.list(&next).await? {
                waiting.push(Reverse(format!("{next}{name}")));
            }
        } else if after.is_none_or(|a| next.as_str() > a)
            && let Ok(path) = SecretPath::parse(&next)
        {
            found.push(path);
        }
    }
    Ok(found)
}
