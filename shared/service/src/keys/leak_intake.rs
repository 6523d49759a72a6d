//! Leaked-key intake: reports from GitHub's secret scanning (signed with ECDSA by the
//! keys GitHub publishes) or from any other scanner (Standard Webhooks signatures with
//! the deployment's scanner secret), then each token judged and, when it is a live
//! key, the compromise response run as `system:secret_scanning`.
//!
//! A token costs a storage read only when its checksum holds (a scanner's false
//! matches cost nothing), and counts as a key only when its secret verifies (argon2id),
//! so a forged look-alike naming a real key id revokes nothing.

use crate::App;
use crate::audit::{AuditEvent, Change, TargetKind};
use crate::events::{Category, DomainEvent};
use crate::keys::leaks::{Label, LeakReport, MAX_TOKEN_CHARS, Verdict};
use crate::keys::model::Revocation;
use crate::keys::{ApiKey, KeyRecord, KeyStatus, VerifyOutcome};
use crate::outbound::OutboundClient;
use crate::store::{StoreError, WriteBatch};
use crate::webhooks::signature::{self, SigningSecret};
use crate::webhooks::ssrf::AllowList;
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Who the compromise response acts as.
pub const SCANNER: &str = "secret_scanning";
/// How long fetched keys are trusted before they are fetched again.
const KEYS_TTL: Duration = Duration::from_secs(3600);
/// A signature by a key not yet seen fetches the keys again, at most this often (a
/// stream of made-up identifiers must not turn into a stream of fetches).
const REFETCH_AFTER: Duration = Duration::from_secs(60);
/// Largest key document read.
const MAX_KEYS_DOCUMENT: usize = 64 * 1024;

/// Why a report's signature was not accepted. Every case refuses the report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the report is not signed: {0} required")]
    Missing(&'static str),
    #[error("the report's timestamp is more than 5 minutes from now")]
    Stale,
    #[error("the signature is not base64 DER ECDSA")]
    Malformed,
    #[error("no published key has the identifier the report names")]
    UnknownKey,
    #[error("the signature does not match the report")]
    Invalid,
    #[error("the keys that check the report could not be read: {0}")]
    KeysUnavailable(String),
}

/// A base64 DER ECDSA signature.
fn decode(signature: &str) -> Result<Signature, SignatureError> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::Malformed)?;
    Signature::from_der(&der).map_err(|_| SignatureError::Malformed)
}

/// Where reports' signing keys come from, and the keys a warm function fetched.
pub struct LeakIntake {
    keys_url: String,
    allow: AllowList,
    timeout: Duration,
    /// Built at the first report (a function that never receives one builds none).
    client: OnceLock<OutboundClient>,
    keys: ScannerKeys,
    shared: ScannerSecret,
}

impl LeakIntake {
    pub fn new(
        keys_url: String,
        allow: AllowList,
        timeout: Duration,
        shared: ScannerSecret,
    ) -> Self {
        Self {
            keys_url,
            allow,
            timeout,
            client: OnceLock::new(),
            keys: ScannerKeys::default(),
            shared,
        }
    }

    /// Checks another scanner's report: Standard Webhooks headers (`webhook-id`,
    /// `webhook-timestamp`, `webhook-signature`) made with the scanner secret, its
    /// current or previous version.
    pub async fn verify_shared(
        &self,
        id: Option<&str>,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<(), SignatureError> {
        let (Some(id), Some(timestamp), Some(signature)) = (id, timestamp, signature) else {
            return Err(SignatureError::Missing(
                "webhook-id, webhook-timestamp and webhook-signature",
            ));
        };
        let secrets = self.shared.secrets().await?;
        let secrets: Vec<&SigningSecret> = secrets.iter().collect();
        signature::verify(
            &secrets,
            id,
            timestamp,
            signature,
            body,
            now,
            signature::DEFAULT_TOLERANCE,
        )
        .map_err(|e| match e {
            signature::VerifyError::NoMatch => SignatureError::Invalid,
            signature::VerifyError::BadTimestamp => SignatureError::Malformed,
            signature::VerifyError::TooOld | signature::VerifyError::TooNew => {
                SignatureError::Stale
            }
        })
    }

    /// Checks a GitHub report's `Github-Public-Key-Identifier` and
    /// `Github-Public-Key-Signature` over its raw body.
    pub async fn verify_github(
        &self,
        identifier: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let (Some(identifier), Some(signature)) = (identifier, signature) else {
            return Err(SignatureError::Missing(
                "Github-Public-Key-Identifier and Github-Public-Key-Signature",
            ));
        };
        let client = match self.client.get() {
            Some(client) => client,
            None => {
                let built = OutboundClient::for_integration(self.allow.clone(), self.timeout, None)
                    .map_err(|e| SignatureError::KeysUnavailable(e.to_string()))?;
                self.client.get_or_init(|| built)
            }
        };
        self.keys
            .verify(client, &self.keys_url, identifier, signature, body)
            .await
    }
}

/// The deployment's scanner secret (`SECRET_SCANNING_SECRET_ARN`): the shared secret
/// other scanners sign reports with. Both its current and previous versions verify,
/// so a rotation does not cut a scanner off before it has the new one.
pub struct ScannerSecret {
    client: Option<aws_sdk_secretsmanager::Client>,
    arn: String,
    cached: Mutex<Option<(Instant, Vec<SigningSecret>)>>,
}

/// How long a read of the scanner secret is used.
const SECRET_TTL: Duration = Duration::from_secs(300);

impl ScannerSecret {
    pub fn new(client: Option<aws_sdk_secretsmanager::Client>, arn: String) -> Self {
        Self {
            client,
            arn,
            cached: Mutex::new(None),
        }
    }

    async fn secrets(&self) -> Result<Vec<SigningSecret>, SignatureError> {
        let fresh = self.cached.lock().ok().and_then(|c| {
            c.as_ref()
                .filter(|(at, _)| at.elapsed() < SECRET_TTL)
                .map(|(_, s)| s.clone())
        });
        if let Some(secrets) = fresh {
            return Ok(secrets);
        }
        let unavailable = |e: String| SignatureError::KeysUnavailable(e);
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| unavailable("no scanner secret is configured".into()))?;
        let mut secrets = Vec::new();
        for stage in ["AWSCURRENT", "AWSPREVIOUS"] {
            let read = client
                .get_secret_value()
                .secret_id(&self.arn)
                .version_stage(stage)
                .send()
                .await;
            match read {
                Ok(out) => {
                    let value = out.secret_string.unwrap_or_default();
                    secrets.push(scanner_secret(&value).map_err(|e| unavailable(e.to_string()))?);
                }
                // A secret never rotated has no previous version.
                Err(e)
                    if stage == "AWSPREVIOUS"
                        && e.as_service_error()
                            .is_some_and(|s| s.is_resource_not_found_exception()) => {}
                Err(e) => {
                    return Err(unavailable(
                        aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
                    ));
                }
            }
        }
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((Instant::now(), secrets.clone()));
        }
        Ok(secrets)
    }
}

/// The signing secret a stored value stands for: a `whsec_` secret as is, or the
/// value's bytes (what CloudFormation's `GenerateSecretString` makes: 64 characters),
/// which a scanner is given as `whsec_` + their base64.
pub fn scanner_secret(value: &str) -> Result<SigningSecret, signature::SecretError> {
    let value = value.trim();
    if value.starts_with(signature::SECRET_PREFIX) {
        SigningSecret::parse(value)
    } else {
        SigningSecret::from_bytes(value.as_bytes().to_vec())
    }
}

/// GitHub's published signing keys, by identifier.
#[derive(Default)]
struct KnownKeys {
    keys: HashMap<String, VerifyingKey>,
    fetched: Option<Instant>,
}

/// The signing keys a warm function fetched, shared by its invocations.
#[derive(Default)]
struct ScannerKeys {
    known: Mutex<KnownKeys>,
}

#[derive(Deserialize)]
struct KeysDocument {
    public_keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    key: String,
}

/// The keys a document publishes; keys that do not parse as P-256 SPKI PEM are left
/// out (a document may one day carry other kinds).
fn parse_keys(document: &[u8]) -> Result<HashMap<String, VerifyingKey>, String> {
    let document: KeysDocument =
        serde_json::from_slice(document).map_err(|e| format!("not a key document: {e}"))?;
    Ok(document
        .public_keys
        .into_iter()
        .filter_map(|k| {
            VerifyingKey::from_public_key_pem(&k.key)
                .ok()
                .map(|key| (k.key_identifier, key))
        })
        .collect())
}

impl ScannerKeys {
    /// Checks `signature` (base64 DER ECDSA P-256 with SHA-256) over the raw `body`
    /// with the key `identifier` names, fetching the keys from `url` when they are
    /// unknown or stale.
    async fn verify(
        &self,
        client: &OutboundClient,
        url: &str,
        identifier: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        decode(signature)?;
        if self.cached(identifier).is_none() {
            self.fetch(client, url).await?;
        }
        self.check(identifier, signature, body)
    }

    /// Checks a signature against the keys known now.
    fn check(&self, identifier: &str, signature: &str, body: &[u8]) -> Result<(), SignatureError> {
        let signature = decode(signature)?;
        let key = self.cached(identifier).ok_or(SignatureError::UnknownKey)?;
        key.verify(body, &signature)
            .map_err(|_| SignatureError::Invalid)
    }

    fn learn(&self, keys: HashMap<String, VerifyingKey>) {
        if let Ok(mut known) = self.known.lock() {
            *known = KnownKeys {
                keys,
                fetched: Some(Instant::now()),
            };
        }
    }

    /// The key, if known and the keys are fresh.
    fn cached(&self, identifier: &str) -> Option<VerifyingKey> {
        let known = self.known.lock().ok()?;
        let fresh = known.fetched.is_some_and(|at| at.elapsed() < KEYS_TTL);
        fresh.then(|| known.keys.get(identifier).copied()).flatten()
    }

    async fn fetch(&self, client: &OutboundClient, url: &str) -> Result<(), SignatureError> {
        let recently = self
            .known
            .lock()
            .ok()
            .and_then(|k| k.fetched)
            .is_some_and(|at| at.elapsed() < REFETCH_AFTER);
        if recently {
            // Fresh keys that lack the identifier: nothing new to fetch yet.
            return Ok(());
        }
        let answer = client
            .send(
                reqwest::Method::GET,
                url,
                &[("accept", "application/json")],
                None,
                MAX_KEYS_DOCUMENT,
            )
            .await
            .map_err(|e| SignatureError::KeysUnavailable(e.detail))?;
        if answer.status != 200 {
            return Err(SignatureError::KeysUnavailable(format!(
                "{url} answered {}",
                answer.status
            )));
        }
        self.learn(parse_keys(&answer.body).map_err(SignatureError::KeysUnavailable)?);
        Ok(())
    }
}

/// Judges each reported token, revoking the live keys among them. A storage failure
/// stops the whole report (the scanner sends it again), so no real key is ever
/// answered `false_positive` for want of a read.
pub async fn assess(
    app: &App,
    reports: &[LeakReport],
    now: OffsetDateTime,
) -> Result<Vec<Verdict>, StoreError> {
    let mut verdicts = Vec::with_capacity(reports.len());
    for report in reports {
        let label = match real_key(app, &report.token).await? {
            None => Label::FalsePositive,
            Some(record) => {
                if record.status != KeyStatus::Revoked {
                    revoke_leaked(app, record, report, now).await?;
                }
                Label::TruePositive
            }
        };
        verdicts.push(Verdict::of(report, label));
    }
    Ok(verdicts)
}

/// The stored key `token` is, if it is one: checksum, then one read, then argon2id.
async fn real_key(app: &App, token: &str) -> Result<Option<KeyRecord>, StoreError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Ok(None);
    }
    let Ok(key) = ApiKey::parse(token) else {
        return Ok(None);
    };
    let Some(record) = app.keys.get(key.tenant_id(), key.key_id()).await? else {
        return Ok(None);
    };
    if record.prefix != *key.prefix() || record.environment != key.environment() {
        return Ok(None);
    }
    Ok(match app.verifier.verify(key.secret(), &record.verifier) {
        VerifyOutcome::Valid { .. } => Some(record),
        VerifyOutcome::Mismatch | VerifyOutcome::CorruptVerifier => None,
    })
}

/// The compromise response for a leaked key: revoked at once, the incident audited,
/// `api_key.compromised` published with where the key was found. A write that races
/// another change of the key reads it again and tries once more.
async fn revoke_leaked(
    app: &App,
    mut record: KeyRecord,
    report: &LeakReport,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for _ in 0..2 {
        match app
            .dynamo
            .commit(leak_response(app, &record, report, now)?)
            .await
        {
            Err(StoreError::Conflict) => {
                match app.keys.get(&record.tenant_id, &record.key_id).await? {
                    Some(current) if current.status != KeyStatus::Revoked => record = current,
                    _ => return Ok(()),
                }
            }
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}

/// The writes of one compromise response: the revoked key and its audit event.
fn leak_response(
    app: &App,
    key: &KeyRecord,
    report: &LeakReport,
    now: OffsetDateTime,
) -> Result<WriteBatch, StoreError> {
    let principal = format!("system:{SCANNER}");
    let place = report.url.as_deref().unwrap_or("an undisclosed location");
    let description = format!("reported by secret scanning: found at {place}");
    let revoked = KeyRecord {
        status: KeyStatus::Revoked,
        revocation: Some(Revocation {
            at: now,
            by: principal.clone(),
            by_key: None,
            reason: format!("compromised: {description}"),
        }),
        version: key.version + 1,
        updated_at: Some(now),
        ..key.clone()
    };
    let audit = AuditEvent::system(&key.tenant_id, "api_key.compromise", SCANNER, now)
        .target(TargetKind::ApiKey, key.key_id.as_str())
        .changes(
            Change::of("status", &key.status, &revoked.status)
                .into_iter()
                .collect(),
        )
        .detail(description.clone());
    let incident = DomainEvent::new(
        "api_key.compromised",
        Category::Security,
        &key.tenant_id,
        now,
        serde_json::json!({
            "key": revoked.view(),
            "incident_id": audit.event_id,
            "description": description,
            "reported_by": principal,
            "source": SCANNER,
            "url": report.url,
            "found_in": report.source,
            "token_type": report.token_type,
            "replacement_key_id": null,
        }),
    );
    let audit = audit.publishing(incident);
    let mut batch = WriteBatch::new();
    app.keys.put_changed(&mut batch, &revoked)?;
    app.audit.add_to(&mut batch, &audit)?;
    Ok(batch)
}

#[cfg(test)]
#[path = "tests/leak_intake.rs"]
mod tests;
