//! Envelope encryption, the one way Gatehouse keeps a value it must read back
//! (webhook signing secrets, integration credentials, tenant secrets on the AWS
//! backend).
//!
//! Sealing asks KMS for a fresh AES-256 data key (`GenerateDataKey`) under the
//! deployment's key with an encryption context, and encrypts the value with
//! AES-256-GCM under it. Only the KMS-wrapped data key, the nonce and the ciphertext
//! are kept. The context names what the value is for and whose it is (`purpose`,
//! `tenant` and the object): opening needs `kms:Decrypt` with the same context, so a
//! sealed value copied to another tenant's or object's record does not open.
//!
//! The context is bound twice: as the KMS encryption context, and as the AEAD's
//! associated data in an unambiguous encoding (each key and value length-prefixed).
//! The second binding does not depend on how a KMS implementation compares contexts
//! (moto joins the pairs into one string, so `{"a": "bc"}` and `{"ab": "c"}` look the
//! same to it); AWS KMS also checks the first.
//!
//! Plaintext data keys and values live only in memory, zeroed on drop, and their
//! `Debug` never shows them.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
pub use gatehouse_domain::sealed::{ENVELOPE_V2, Sealed};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("KMS: {0}")]
    Kms(String),
    #[error("the sealed value does not open (wrong context or tampered)")]
    Corrupt,
    #[error("random generation failed")]
    Random,
}

/// What a sealed value is for and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealContext {
    pairs: BTreeMap<&'static str, String>,
    /// Webhook secrets sealed before this helper: their old context and AAD.
    legacy_webhook: bool,
}

impl SealContext {
    /// A context for `purpose` (e.g. `webhook-signing-secret`, `vault-token`).
    pub fn new(purpose: &str) -> Self {
        Self {
            pairs: BTreeMap::from([("purpose", purpose.to_owned())]),
            legacy_webhook: false,
        }
    }

    /// Adds one more name (`tenant`, `integration`, `secret`, `version`, ...).
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.pairs.insert(key, value.into());
        self
    }

    /// How webhook signing secrets were sealed before this helper (context
    /// `{tenant_id, webhook_id}`); only for opening values written then.
    pub fn legacy_webhook(tenant_id: &str, webhook_id: &str) -> Self {
        Self {
            pairs: BTreeMap::from([
                ("tenant_id", tenant_id.to_owned()),
                ("webhook_id", webhook_id.to_owned()),
            ]),
            legacy_webhook: true,
        }
    }

    /// The associated data: a version tag, then every pair in key order, each key
    /// and value preceded by its length (so no two contexts encode alike).
    fn aad(&self) -> Vec<u8> {
        if self.legacy_webhook {
            let get = |k| self.pairs.get(k).map(String::as_str).unwrap_or_default();
            return format!(
                "gatehouse-webhook-secret\0{}\0{}",
                get("tenant_id"),
                get("webhook_id")
            )
            .into_bytes();
        }
        let mut aad = b"gatehouse-envelope-v2".to_vec();
        for (key, value) in &self.pairs {
            for part in [key.as_bytes(), value.as_bytes()] {
                aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
                aad.extend_from_slice(part);
            }
        }
        aad
    }
}

/// A plaintext value out of an envelope: zeroed on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Opened(Zeroizing<Vec<u8>>);

impl Opened {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Opened({} bytes)", self.0.len())
    }
}

/// The deployment's envelope: KMS with its key.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// `None` for a function that seals nothing: no KMS client is built.
    kms: Option<Client>,
    key_id: String,
    /// The variable that names the key, for the error of an unconfigured envelope.
    variable: &'static str,
}

impl Envelope {
    pub fn new(kms: Client, key_id: impl Into<String>) -> Self {
        Self {
            kms: Some(kms),
            key_id: key_id.into(),
            variable: "",
        }
    }

    /// An envelope for a function without a sealing key: every call fails, naming
    /// the variable it would need.
    pub fn unconfigured(variable: &'static str) -> Self {
        Self {
            kms: None,
            key_id: String::new(),
            variable,
        }
    }

    fn kms(&self) -> Result<&Client, SealError> {
        self.kms.as_ref().ok_or_else(|| {
            SealError::Kms(format!(
                "this function has no sealing key ({})",
                self.variable
            ))
        })
    }

    fn kms_context(
        &self,
        context: &SealContext,
    ) -> Option<std::collections::HashMap<String, String>> {
        Some(
            context
                .pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    pub async fn seal(&self, value: &[u8], context: &SealContext) -> Result<Sealed, SealError> {
        let out = self
            .kms()?
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(self.kms_context(context))
            .send()
            .await
            .map_err(|e| SealError::Kms(aws_sdk_kms::error::DisplayErrorContext(e).to_string()))?;
        let (Some(plain), Some(wrapped)) = (out.plaintext, out.ciphertext_blob) else {
            return Err(SealError::Kms("GenerateDataKey returned no key".into()));
        };
        let plain = Zeroizing::new(plain.into_inner());
        let cipher = Aes256Gcm::new_from_slice(&plain).map_err(|_| SealError::Corrupt)?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = context.aad();
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        Ok(Sealed {
            version: if context.legacy_webhook {
                0
            } else {
                ENVELOPE_V2
            },
            data_key: STANDARD.encode(wrapped.as_ref()),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ciphertext),
        })
    }

    pub async fn open(&self, sealed: &Sealed, context: &SealContext) -> Result<Opened, SealError> {
        let decode = |text: &str| STANDARD.decode(text).map_err(|_| SealError::Corrupt);
        let (wrapped, nonce, ciphertext) = (
            decode(&sealed.data_key)?,
            decode(&sealed.nonce)?,
            decode(&sealed.ciphertext)?,
        );
        // A value sealed one way is opened only that way: a v2 value presented as a
        // legacy one (or the reverse) is refused before KMS is asked.
        if nonce.len() != 12 || (sealed.version == 0) != context.legacy_webhook {
            return Err(SealError::Corrupt);
        }
        let out = self
            .kms()?
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(self.kms_context(context))
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(service) if service.is_invalid_ciphertext_exception() => SealError::Corrupt,
                _ => SealError::Kms(aws_sdk_kms::error::DisplayErrorContext(e).to_string()),
            })?;
        let plain = Zeroizing::new(out.plaintext.ok_or(SealError::Corrupt)?.into_inner());
        let cipher = Aes256Gcm::new_from_slice(&plain).map_err(|_| SealError::Corrupt)?;
        let aad = context.aad();
        let value = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        Ok(Opened::new(value))
    }
}

#[cfg(test)]
#[path = "tests/envelope.rs"]
mod tests;
