//! Opaque, tamper-evident pagination cursors: `base64url(payload).base64url(mac)`, where
//! the MAC is HMAC-SHA256 under the service secret over the tenant, the listing it
//! belongs to and the payload. A cursor edited by hand, or replayed by another tenant
//! or on another listing, is refused.

use crate::ids::TenantId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor this service issued for this tenant and listing.
    #[error("`cursor` is not a cursor this API issued for this listing")]
    Refused,
    /// The service secret could not be read.
    #[error("service secret unavailable: {0}")]
    Unavailable(String),
    /// The service secret is missing, too short, or this function has none.
    #[error("{0}")]
    Misconfigured(String),
}

/// How long the keys are used before they are read again: a rotation reaches a warm
/// function within this time, or at once when a cursor fails with the keys it has.
pub const KEYS_TTL: Duration = Duration::from_secs(300);
/// The least time between two forced reads (a stream of bad cursors must not become a
/// stream of Secrets Manager calls).
pub const FORCED_REFRESH_GAP: Duration = Duration::from_secs(1);

/// The service secret's versions in use: `AWSCURRENT` signs; `AWSPREVIOUS` (after a
/// rotation) and `AWSPENDING` (during one: it becomes current at its end, and other
/// containers may sign with it first) verify too.
#[derive(Clone)]
struct Keys {
    current: Vec<u8>,
    others: Vec<Vec<u8>>,
    read_at: Instant,
}

/// Signs and checks cursors. The secret is read from Secrets Manager on first use, so
/// functions that never paginate pay nothing at cold start; it is read again after
/// [`KEYS_TTL`], or sooner when a cursor fails with the keys in memory (another
/// container may have seen a rotation first).
#[derive(Clone)]
pub struct CursorSigner {
    /// `None` for a function that pages nothing: no Secrets Manager client is built.
    secrets: Option<aws_sdk_secretsmanager::Client>,
    secret_arn: String,
    keys: Arc<Mutex<Option<Keys>>>,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorSigner")
            .field("secret_arn", &self.secret_arn)
            .finish_non_exhaustive()
    }
}

/// Checks that `key` can serve as the signing key (for the rotation's test step).
pub fn check_key(key: &[u8]) -> Result<(), String> {
    let tenant = TenantId::parse("rotationT1").map_err(|e| e.to_string())?;
    let mac = || {
        CursorSigner::mac(key, &tenant, "rotation-test", "cGF5bG9hZA").map_err(|e| e.to_string())
    };
    let tag = mac()?.finalize().into_bytes();
    mac()?
        .verify_slice(&tag)
        .map_err(|_| "a signature does not verify".to_owned())
}

impl CursorSigner {
    pub fn new(secrets: aws_sdk_secretsmanager::Client, secret_arn: impl Into<String>) -> Self {
        Self {
            secrets: Some(secrets),
            secret_arn: secret_arn.into(),
            keys: Arc::default(),
        }
    }

    /// A signer for a function without the service secret: signing fails, naming it.
    pub fn unconfigured() -> Self {
        Self {
            secrets: None,
            secret_arn: String::new(),
            keys: Arc::default(),
        }
    }

    /// Runs one rotation step of the service secret (the secret rotated must be this
    /// signer's: a rotation function rotates nothing else).
    pub async fn rotate(
        &self,
        secret_id: &str,
        token: &str,
        step: crate::rotation::Step,
    ) -> Result<(), crate::rotation::RotationError> {
        let secrets = self.secrets.as_ref().ok_or_else(|| {
            crate::rotation::RotationError::Invalid("this function has no service secret".into())
        })?;
        if secret_id != self.secret_arn {
            return Err(crate::rotation::RotationError::Invalid(format!(
                "this function rotates {} only",
                self.secret_arn
            )));
        }
        crate::rotation::rotate(secrets, secret_id, token, step).await?;
        // The keys in memory are stale once a rotation finishes.
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// One stage's value (`None`: no version has that stage).
    async fn stage(&self, stage: &str) -> Result<Option<Vec<u8>>, CursorError> {
        let secrets = self.secrets.as_ref().ok_or_else(|| {
            CursorError::Misconfigured(
                "this function has no service secret (SERVICE_SECRET_ARN)".into(),
            )
        })?;
        // Always name the stage: moto answers a read without one with a stale version
        // once a stage has moved.
        let read = secrets
            .get_secret_value()
            .secret_id(&self.secret_arn)
            .version_stage(stage)
            .send()
            .await;
        let out = match read {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(CursorError::Unavailable(
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
                ));
            }
        };
        match out.secret_string {
            Some(s) if s.len() >= crate::rotation::MIN_SECRET_BYTES => Ok(Some(s.into_bytes())),
            _ => Err(CursorError::Misconfigured(
                "the service secret is missing or shorter than 32 bytes".into(),
            )),
        }
    }

    /// The keys, read again if they are older than [`KEYS_TTL`] or `force` (and not
    /// read in the last few seconds).
    async fn keys(&self, force: bool) -> Result<Keys, CursorError> {
        let cached = self.keys.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(keys) = &cached {
            let age = keys.read_at.elapsed();
            if age < KEYS_TTL && !(force && age >= FORCED_REFRESH_GAP) {
                return Ok(keys.clone());
            }
        }
        let current = self.stage(crate::rotation::CURRENT).await?.ok_or_else(|| {
            CursorError::Misconfigured("the service secret has no AWSCURRENT version".into())
        })?;
        let mut others = Vec::new();
        for stage in [crate::rotation::PREVIOUS, crate::rotation::PENDING] {
            if let Some(key) = self.stage(stage).await?
                && key != current
            {
                others.push(key);
            }
        }
        let keys = Keys {
            current,
            others,
            read_at: Instant::now(),
        };
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some(keys.clone());
        Ok(keys)
    }
    fn mac(
        key: &[u8],
        tenant: &TenantId,
        listing: &str,
        payload: &str,
    ) -> Result<HmacSha256, CursorError> {
        let mut mac = HmacSha256::new_from_slice(key)
            .map_err(|e| CursorError::Misconfigured(e.to_string()))?;
        for part in [tenant.as_str(), listing, payload] {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        Ok(mac)
    }

    pub async fn encode(
        &self,
        tenant: &TenantId,
        listing: &str,
        position: &str,
    ) -> Result<String, CursorError> {
        let payload = URL_SAFE_NO_PAD.encode(position);
        let tag = Self::mac(&self.keys(false).await?.current, tenant, listing, &payload)?
            .finalize()
            .into_bytes();
        Ok(format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag)))
    }

    /// The position a cursor carries, if this service issued it for this tenant and
    /// listing. The comparison is constant-time.
    pub async fn decode(
        &self,
        tenant: &TenantId,
        listing: &str,
        cursor: &str,
    ) -> Result<String, CursorError> {
        let refused = || CursorError::Refused;
        let (payload, tag) = cursor.split_once('.').ok_or_else(refused)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| refused())?;
        let verifies = |keys: &Keys| -> Result<bool, CursorError> {
            for key in std::iter::once(&keys.current).chain(&keys.others) {
                if Self::mac(key, tenant, listing, payload)?
                    .verify_slice(&tag)
                    .is_ok()
                {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        // Current or previous key; failing both, read the keys again once (a rotation
        // another container saw first) before refusing.
        if !verifies(&self.keys(false).await?)? && !verifies(&self.keys(true).await?)? {
            return Err(refused());
        }
        let position = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused())?;
        String::from_utf8(position).map_err(|_| refused())
    }
}
