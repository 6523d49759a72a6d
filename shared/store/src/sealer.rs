//! Webhook signing secrets at rest: envelope encryption with KMS.
//!
//! Sealing asks KMS for a fresh AES-256 data key (`GenerateDataKey`) under the
//! deployment's key, with the encryption context `{tenant_id, webhook_id}`, and
//! encrypts the secret with AES-256-GCM under it (the same context as associated
//! data). Only the KMS-encrypted data key, the nonce and the ciphertext are stored.
//! Opening needs `kms:Decrypt` with the same context, so a sealed secret copied to
//! another tenant's or webhook's item does not open. Plaintext data keys and
//! secrets live only in memory, and their `Debug` never shows them.
//!
//! Opened secrets are kept in memory for [`OPENED_TTL`], so a busy dispatcher makes
//! one KMS call per endpoint and few minutes, not one per attempt. The cache is keyed
//! by the whole sealed value and its owner: a rotated secret is a new entry, and a
//! sealed value presented under another owner is opened (and refused) by KMS again.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
pub use gatehouse_domain::webhooks::sealed::SealedSecret;
use gatehouse_domain::webhooks::signature::SigningSecret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an opened secret is reused without asking KMS again. Revoking
/// Gatehouse's access to the key takes effect within this time.
pub const OPENED_TTL: Duration = Duration::from_secs(300);
/// Opened secrets kept at most (each is a few dozen bytes).
const OPENED_MAX: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("KMS: {0}")]
    Kms(String),
    #[error("the sealed secret does not open (wrong context or tampered)")]
    Corrupt,
    #[error("random generation failed")]
    Random,
}

/// Who a secret belongs to: the KMS encryption context and the AEAD associated data.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub tenant_id: &'a str,
    pub webhook_id: &'a str,
}

impl Owner<'_> {
    fn aad(&self) -> Vec<u8> {
        format!(
            "gatehouse-webhook-secret\0{}\0{}",
            self.tenant_id, self.webhook_id
        )
        .into_bytes()
    }
}

#[derive(Debug, Clone)]
pub struct SecretSealer {
    /// `None` for a function that seals nothing (no `WEBHOOK_KEY_ID`): no KMS client is built.
    kms: Option<Client>,
    key_id: String,
    opened: OpenedSecrets,
}

/// (tenant, webhook, sealed value) -> the secret and when it was opened.
type OpenedKey = (String, String, SealedSecret);

#[derive(Clone, Default)]
struct OpenedSecrets(Arc<Mutex<HashMap<OpenedKey, (SigningSecret, Instant)>>>);

impl std::fmt::Debug for OpenedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenedSecrets(..)")
    }
}

impl OpenedSecrets {
    fn get(&self, key: &OpenedKey) -> Option<SigningSecret> {
        let entries = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < OPENED_TTL)
            .map(|(secret, _)| secret.clone())
    }

    fn put(&self, key: OpenedKey, secret: SigningSecret) {
        let mut entries = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= OPENED_MAX {
            entries.retain(|_, (_, at)| at.elapsed() < OPENED_TTL);
        }
        if entries.len() >= OPENED_MAX {
            entries.clear(); // all fresh: a burst over many endpoints; start again
        }
        entries.insert(key, (secret, Instant::now()));
    }
}

impl SecretSealer {
    pub fn new(kms: Client, key_id: impl Into<String>) -> Self {
        Self {
            kms: Some(kms),
            key_id: key_id.into(),
            opened: OpenedSecrets::default(),
        }
    }

    /// A sealer for a function that has no sealing key: every call fails, naming it.
    pub fn unconfigured() -> Self {
        Self {
            kms: None,
            key_id: String::new(),
            opened: OpenedSecrets::default(),
        }
    }

    fn kms(&self) -> Result<&Client, SealError> {
        self.kms.as_ref().ok_or_else(|| {
            SealError::Kms("this function has no sealing key (WEBHOOK_KEY_ID)".into())
        })
    }

    pub async fn seal(
        &self,
        secret: &SigningSecret,
        owner: Owner<'_>,
    ) -> Result<SealedSecret, SealError> {
        let out = self
            .kms()?
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .encryption_context("tenant_id", owner.tenant_id)
            .encryption_context("webhook_id", owner.webhook_id)
            .send()
            .await
            .map_err(|e| SealError::Kms(aws_sdk_kms::error::DisplayErrorContext(e).to_string()))?;
        let (Some(plain), Some(wrapped)) = (out.plaintext, out.ciphertext_blob) else {
            return Err(SealError::Kms("GenerateDataKey returned no key".into()));
        };
        let cipher = Aes256Gcm::new_from_slice(plain.as_ref()).map_err(|_| SealError::Corrupt)?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = owner.aad();
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        Ok(SealedSecret {
            data_key: STANDARD.encode(wrapped.as_ref()),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        })
    }

    /// The secret, from memory if it was opened less than [`OPENED_TTL`] ago.
    pub async fn open(
        &self,
        sealed: &SealedSecret,
        owner: Owner<'_>,
    ) -> Result<SigningSecret, SealError> {
        let key = (
            owner.tenant_id.to_owned(),
            owner.webhook_id.to_owned(),
            sealed.clone(),
        );
        if let Some(secret) = self.opened.get(&key) {
            return Ok(secret);
        }
        let secret = self.open_with_kms(sealed, owner).await?;
        self.opened.put(key, secret.clone());
        Ok(secret)
    }

    async fn open_with_kms(
        &self,
        sealed: &SealedSecret,
        owner: Owner<'_>,
    ) -> Result<SigningSecret, SealError> {
        let decode = |text: &str| STANDARD.decode(text).map_err(|_| SealError::Corrupt);
        let (wrapped, nonce, ciphertext) = (
            decode(&sealed.data_key)?,
            decode(&sealed.nonce)?,
            decode(&sealed.ciphertext)?,
        );
        if nonce.len() != 12 {
            return Err(SealError::Corrupt);
        }
        let out = self
            .kms()?
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .encryption_context("tenant_id", owner.tenant_id)
            .encryption_context("webhook_id", owner.webhook_id)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(service) if service.is_invalid_ciphertext_exception() => SealError::Corrupt,
                _ => SealError::Kms(aws_sdk_kms::error::DisplayErrorContext(e).to_string()),
            })?;
        let plain = out.plaintext.ok_or(SealError::Corrupt)?;
        let cipher = Aes256Gcm::new_from_slice(plain.as_ref()).map_err(|_| SealError::Corrupt)?;
        let aad = owner.aad();
        let secret = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        SigningSecret::from_bytes(secret).map_err(|_| SealError::Corrupt)
    }
}
