//! Webhook signing secrets at rest, sealed by the envelope helper
//! ([`crate::envelope`]) with the context `{purpose: webhook-signing-secret, tenant,
//! integration: <webhook id>}`. Secrets sealed before the helper existed (context
//! `{tenant_id, webhook_id}`, no `v` field) still open.
//!
//! Opened secrets are kept in memory for [`OPENED_TTL`], so a busy dispatcher makes
//! one KMS call per endpoint and few minutes, not one per attempt. The cache is keyed
//! by the whole sealed value and its owner: a rotated secret is a new entry, and a
//! sealed value presented under another owner is opened (and refused) by KMS again.

pub use crate::envelope::SealError;
use crate::envelope::{Envelope, SealContext};
use crate::ttl_cache::TtlCache;
use aws_sdk_kms::Client;
pub use gatehouse_domain::sealed::SealedSecret;
use gatehouse_domain::webhooks::signature::SigningSecret;
use std::time::Duration;

/// The envelope purpose of webhook signing secrets.
pub const PURPOSE: &str = "webhook-signing-secret";

/// How long an opened secret is reused without asking KMS again. Revoking
/// Gatehouse's access to the key takes effect within this time.
pub const OPENED_TTL: Duration = Duration::from_secs(300);
/// Opened secrets kept at most (each is a few dozen bytes).
const OPENED_MAX: usize = 1024;

/// Who a secret belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub tenant_id: &'a str,
    pub webhook_id: &'a str,
}

impl Owner<'_> {
    fn context(&self, sealed_version: u8) -> SealContext {
        if sealed_version == 0 {
            SealContext::legacy_webhook(self.tenant_id, self.webhook_id)
        } else {
            SealContext::new(PURPOSE)
                .with("tenant", self.tenant_id)
                .with("integration", self.webhook_id)
        }
    }
}

#[derive(Debug, Clone)]
pub struct SecretSealer {
    envelope: Envelope,
    opened: TtlCache<OpenedKey, SigningSecret>,
}

/// (tenant, webhook, sealed value) -> the secret.
type OpenedKey = (String, String, SealedSecret);

impl SecretSealer {
    pub fn new(kms: Client, key_id: impl Into<String>) -> Self {
        Self {
            envelope: Envelope::new(kms, key_id),
            opened: TtlCache::new(OPENED_TTL, OPENED_MAX),
        }
    }

    /// A sealer for a function that has no sealing key: every call fails, naming it.
    pub fn unconfigured() -> Self {
        Self {
            envelope: Envelope::unconfigured("WEBHOOK_KEY_ID"),
            opened: TtlCache::new(OPENED_TTL, OPENED_MAX),
        }
    }

    pub async fn seal(
        &self,
        secret: &SigningSecret,
        owner: Owner<'_>,
    ) -> Result<SealedSecret, SealError> {
        let context = owner.context(crate::envelope::ENVELOPE_V2);
        self.envelope.seal(secret.bytes(), &context).await
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
        let opened = self
            .envelope
            .open(sealed, &owner.context(sealed.version))
            .await?;
        let secret =
            SigningSecret::from_bytes(opened.bytes().to_vec()).map_err(|_| SealError::Corrupt)?;
        self.opened.put(key, secret.clone());
        Ok(secret)
    }
}
