//! Session tokens: what an SSO login ends in. A JWT signed with ES256 by a KMS key
//! (`ECC_NIST_P256`, `SIGN_VERIFY`; the private key never leaves KMS), at most
//! [`MAX_SESSION_SECONDS`] long. The public keys are published as a JWKS (`kid` = the
//! KMS key id), and the authorizer verifies locally with them, cached per container.
//!
//! Rotation: `SESSION_KEY_IDS` lists the keys, the first signs, every listed key
//! verifies; add a new key first, move it to the front, drop the old one once the
//! longest session signed with it has expired (15 minutes). Only listed keys are ever
//! used: a token naming another `kid` is refused without a KMS call.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// The longest a session token lives.
pub const MAX_SESSION_SECONDS: i64 = 900;
/// The `aud` of every session token.
pub const AUDIENCE: &str = "gatehouse";

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    pub iss: String,
    pub aud: String,
    /// The principal (`PRINCIPAL` id).
    pub sub: String,
    /// The tenant.
    pub tid: String,
    /// The session id: logout and disablement revoke it.
    pub sid: String,
    /// The connection the login came through.
    pub conn: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("not a session token")]
    Malformed,
    #[error("signed by a key this deployment does not use")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("issued by another issuer or for another audience")]
    WrongIssuer,
    #[error("expired")]
    Expired,
    #[error("KMS: {0}")]
    Kms(String),
    #[error("no session signing key is configured")]
    Unconfigured,
}

#[derive(Clone)]
pub struct SessionSigner {
    kms: Option<aws_sdk_kms::Client>,
    /// The keys: the first signs, all verify.
    key_ids: Vec<String>,
    issuer: String,
    public_keys: Arc<Mutex<HashMap<String, VerifyingKey>>>,
}

impl std::fmt::Debug for SessionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSigner")
            .field("key_ids", &self.key_ids)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

fn kms_error<E: std::error::Error>(e: E) -> SessionError {
    SessionError::Kms(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
}

/// A JWT token looks like `xxx.yyy.zzz` with a JSON header: cheap to tell from an API key.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.bytes().filter(|b| *b == b'.').count() == 2
}

impl SessionSigner {
    pub fn new(kms: aws_sdk_kms::Client, key_ids: Vec<String>, issuer: String) -> Self {
        Self {
            kms: Some(kms),
            key_ids,
            issuer,
            public_keys: Arc::default(),
        }
    }

    pub fn unconfigured() -> Self {
        Self {
            kms: None,
            key_ids: Vec::new(),
            issuer: String::new(),
            public_keys: Arc::default(),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn kms(&self) -> Result<&aws_sdk_kms::Client, SessionError> {
        self.kms.as_ref().ok_or(SessionError::Unconfigured)
    }

    /// A signed token with `claims`.
    pub async fn sign(&self, claims: &SessionClaims) -> Result<String, SessionError> {
        let kid = self.key_ids.first().ok_or(SessionError::Unconfigured)?;
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default())
        );
        let out = self
            .kms()?
            .sign()
            .key_id(kid)
            .message(aws_sdk_kms::primitives::Blob::new(signing_input.as_bytes()))
            .message_type(aws_sdk_kms::types::MessageType::Raw)
            .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(kms_error)?;
        let der = out
            .signature()
            .ok_or_else(|| SessionError::Kms("no signature".into()))?;
        // KMS answers DER; JOSE wants r || s, 32 bytes each.
        let signature = Signature::from_der(der.as_ref())
            .map_err(|e| SessionError::Kms(format!("signature: {e}")))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }

    /// A key's public half: from memory, or once from KMS.
    async fn public_key(&self, kid: &str) -> Result<VerifyingKey, SessionError> {
        if !self.key_ids.iter().any(|k| k == kid) {
            return Err(SessionError::UnknownKey);
        }
        if let Some(key) = self
            .public_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(kid)
        {
            return Ok(*key);
        }
        let out = self
            .kms()?
            .get_public_key()
            .key_id(kid)
            .send()
            .await
            .map_err(kms_error)?;
        let der = out
            .public_key()
            .ok_or_else(|| SessionError::Kms("no public key".into()))?;
        let key = VerifyingKey::from_public_key_der(der.as_ref())
            .map_err(|e| SessionError::Kms(format!("public key: {e}")))?;
        self.public_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(kid.to_owned(), key);
        Ok(key)
    }

    /// The claims of a token this deployment signed, not expired at `now`.
    pub async fn verify(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<SessionClaims, SessionError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SessionError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| SessionError::Malformed)
        };
        let header: Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| SessionError::Malformed)?;
        // Only ES256 with a listed key: `alg` is never taken from the token otherwise.
        if header["alg"] != "ES256" {
            return Err(SessionError::BadSignature);
        }
        let kid = header["kid"].as_str().ok_or(SessionError::UnknownKey)?;
        let key = self.public_key(kid).await?;
        let signature =
            Signature::from_slice(&decode(signature)?).map_err(|_| SessionError::BadSignature)?;
        let signed = &token[..token.len() - token.rsplit('.').next().map_or(0, str::len) - 1];
        key.verify(signed.as_bytes(), &signature)
            .map_err(|_| SessionError::BadSignature)?;
        let claims: SessionClaims =
            serde_json::from_slice(&decode(payload)?).map_err(|_| SessionError::Malformed)?;
        if claims.iss != self.issuer || claims.aud != AUDIENCE {
            return Err(SessionError::WrongIssuer);
        }
        if claims.exp <= now.unix_timestamp() {
            return Err(SessionError::Expired);
        }
        Ok(claims)
    }

    /// The public keys as a JWKS (`GET /v2/.well-known/jwks.json`).
    pub async fn jwks(&self) -> Result<Value, SessionError> {
        let mut keys = Vec::new();
        for kid in &self.key_ids {
            let key = self.public_key(kid).await?;
            let point = key.to_sec1_point(false);
            let bytes = point.as_bytes();
            if bytes.len() != 65 {
                return Err(SessionError::Kms("an unexpected public key".into()));
            }
            keys.push(json!({
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(&bytes[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&bytes[33..65]),
            }));
        }
        Ok(json!({ "keys": keys }))
    }
}
