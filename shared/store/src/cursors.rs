//! Opaque, tamper-evident pagination cursors: `base64url(payload).base64url(mac)`, where
//! the MAC is HMAC-SHA256 under the service secret over the tenant, the listing it
//! belongs to and the payload. A cursor edited by hand, or replayed by another tenant
//! or on another listing, is refused.

use crate::ids::TenantId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::OnceCell;

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

/// Signs and checks cursors. The secret is read from Secrets Manager on first use, so
/// functions that never paginate pay nothing at cold start.
#[derive(Debug, Clone)]
pub struct CursorSigner {
    /// `None` for a function that pages nothing: no Secrets Manager client is built.
    secrets: Option<aws_sdk_secretsmanager::Client>,
    secret_arn: String,
    key: std::sync::Arc<OnceCell<Vec<u8>>>,
}

impl CursorSigner {
    pub fn new(secrets: aws_sdk_secretsmanager::Client, secret_arn: impl Into<String>) -> Self {
        Self {
            secrets: Some(secrets),
            secret_arn: secret_arn.into(),
            key: std::sync::Arc::new(OnceCell::new()),
        }
    }

    /// A signer for a function without the service secret: signing fails, naming it.
    pub fn unconfigured() -> Self {
        Self {
            secrets: None,
            secret_arn: String::new(),
            key: std::sync::Arc::new(OnceCell::new()),
        }
    }

    async fn key(&self) -> Result<&[u8], CursorError> {
        self.key
            .get_or_try_init(|| async {
                let secrets = self.secrets.as_ref().ok_or_else(|| {
                    CursorError::Misconfigured(
                        "this function has no service secret (SERVICE_SECRET_ARN)".into(),
                    )
                })?;
                let out = secrets
                    .get_secret_value()
                    .secret_id(&self.secret_arn)
                    .send()
                    .await
                    .map_err(|e| {
                        CursorError::Unavailable(
                            aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
                        )
                    })?;
                match out.secret_string {
                    Some(s) if s.len() >= 32 => Ok(s.into_bytes()),
                    _ => Err(CursorError::Misconfigured(
                        "the service secret is missing or shorter than 32 bytes".into(),
                    )),
                }
            })
            .await
            .map(Vec::as_slice)
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
        let tag = Self::mac(self.key().await?, tenant, listing, &payload)?
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
        Self::mac(self.key().await?, tenant, listing, payload)?
            .verify_slice(&tag)
            .map_err(|_| refused())?;
        let position = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused())?;
        String::from_utf8(position).map_err(|_| refused())
    }
}
