//! Standard Webhooks signatures (<https://www.standardwebhooks.com>):
//!
//! * headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`,
//!   a space-separated list of `v1,<base64 HMAC-SHA256>`;
//! * the signed content is `<id>.<timestamp>.<body>`, over the exact bytes sent;
//! * secrets are `whsec_` + base64 of 32 random bytes; during a rotation both the new
//!   and the old secret sign, so receivers holding either verify.
//!
//! [`verify`] is the receiving side for Rust receivers: constant-time comparison and a
//! timestamp tolerance in both directions.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

pub const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;
/// The spec's bounds on a secret's decoded length (64 is also SHA-256's block size,
/// which [`SigningSecret::mac`] relies on).
const MIN_SECRET_BYTES: usize = 24;
const MAX_SECRET_BYTES: usize = 64;
/// How far a timestamp may be from the receiver's clock, either way.
pub const DEFAULT_TOLERANCE: time::Duration = time::Duration::minutes(5);

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// A signing secret. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a signing secret starts with `whsec_`")]
    Prefix,
    #[error("a signing secret is base64 after `whsec_`")]
    Encoding,
    #[error("a signing secret holds 24 to 64 bytes")]
    Length,
}

impl SigningSecret {
    /// A fresh secret from the OS CSPRNG.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::Prefix)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::Encoding)?;
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            return Err(SecretError::Length);
        }
        Ok(Self(bytes))
    }

    /// `whsec_<base64>`: shown to the endpoint's owner once, never logged.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, SecretError> {
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            return Err(SecretError::Length);
        }
        Ok(Self(bytes))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        // HMAC pads a key shorter than the hash's block (64 bytes for SHA-256) with
        // zeros, so padding here gives the same MAC, without a fallible constructor.
        let mut key = [0u8; 64];
        key[..self.0.len()].copy_from_slice(&self.0);
        let mut mac = HmacSha256::new(&key.into());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// `v1,<base64 signature>` of one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }
}

/// The `webhook-signature` value: one signature per secret (the current one first).
pub fn signature_header(
    secrets: &[&SigningSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the webhook-timestamp header is not a Unix time in seconds")]
    BadTimestamp,
    #[error("the message is too old")]
    TooOld,
    #[error("the message is timestamped in the future")]
    TooNew,
    #[error("no v1 signature matches")]
    NoMatch,
}

/// Checks a received message: the timestamp within `tolerance` of `now` either way,
/// and at least one `v1` signature in `signature_header` made with one of `secrets`
/// (compared in constant time).
pub fn verify(
    secrets: &[&SigningSecret],
    id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: OffsetDateTime,
    tolerance: time::Duration,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    let skew = ts - now.unix_timestamp();
    if skew < -tolerance.whole_seconds() {
        return Err(VerifyError::TooOld);
    }
    if skew > tolerance.whole_seconds() {
        return Err(VerifyError::TooNew);
    }
    for candidate in signature_header.split_whitespace() {
        let Some(("v1", encoded)) = candidate.split_once(',') else {
            continue;
        };
        let Ok(tag) = STANDARD.decode(encoded) else {
            continue;
        };
        if secrets
            .iter()
            .any(|s| s.mac(id, ts, body).verify_slice(&tag).is_ok())
        {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

#[cfg(test)]
#[path = "tests/signature.rs"]
mod tests;
