//! Webhook signing secrets at rest: envelope encryption with KMS.
//!
//! Sealing asks KMS for a fresh AES-256 data key (`GenerateDataKey`) under the
//! deployment's key, with the encryption context `{tenant_id, webhook_id}`, and
//! encrypts the secret with AES-256-GCM under it (the same context as associated
//! data). Only the KMS-encrypted data key, the nonce and the ciphertext are stored.
//! Opening needs `kms:Decrypt` with the same context, so a sealed secret copied to
//! another tenant's or webhook's item does not open. Plaintext data keys and
//! secrets live only in memory, and their `Debug` never shows them.

use super::signature::SigningSecret;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// What is stored: all base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSecret {
    /// The data key, encrypted by KMS.
    pub data_key: String,
    pub nonce: String,
    pub ciphertext: String,
}

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
    kms: Client,
    key_id: String,
}

impl SecretSealer {
    pub fn new(kms: Client, key_id: impl Into<String>) -> Self {
        Self {
            kms,
            key_id: key_id.into(),
        }
    }

    pub async fn seal(
        &self,
        secret: &SigningSecret,
        owner: Owner<'_>,
    ) -> Result<SealedSecret, SealError> {
        let out = self
            .kms
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

    pub async fn open(
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
            .kms
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
