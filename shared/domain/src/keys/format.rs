//! The API key format, a public contract:
//!
//! ```text
//! <prefix>_<env>_<body>
//! body = tenant id (10) | key id (10) | secret (29) | checksum (6)    all base62
//! ```
//!
//! * `prefix`: 2-10 lowercase ASCII letters or digits, per tenant, with a service default.
//! * `env`: `live` or `test`.
//! * The secret is 29 uniformly random base62 characters from the OS CSPRNG
//!   (29 x log2(62) = 172.7 bits).
//! * The checksum is CRC32 (IEEE) of every character before it, as 6 base62 digits, so a
//!   typo or a random string is rejected before any storage read.
//!
//! The tenant id and key id give the storage key for a single GetItem.

use super::base62;
use crate::ids::{ID_LEN, KeyId, TenantId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub const SECRET_LEN: usize = 29;
pub const CHECKSUM_LEN: usize = 6;
pub const BODY_LEN: usize = 2 * ID_LEN + SECRET_LEN + CHECKSUM_LEN;
/// Longest possible key: a 10-character prefix, `test`/`live`, two separators, the body.
pub const MAX_KEY_LEN: usize = 10 + 1 + 4 + 1 + BODY_LEN;

/// Why a string is not an API key. Each variant is a deny reason the authorizer can log
/// without ever logging the string itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("the key is longer than any Gatehouse key")]
    TooLong,
    #[error("the key must look like <prefix>_<env>_<body>")]
    Shape,
    #[error("the key prefix must be 2-10 lowercase letters or digits")]
    Prefix,
    #[error("the key environment must be `live` or `test`")]
    Environment,
    #[error("the key body must be {BODY_LEN} base62 characters")]
    Body,
    #[error("the key checksum does not match: the key was mistyped or truncated")]
    Checksum,
}

/// A tenant's key prefix, e.g. `gh` or `acme`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyPrefix(String);

impl KeyPrefix {
    pub fn parse(value: &str) -> Result<Self, KeyFormatError> {
        let ok = (2..=10).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(KeyFormatError::Prefix)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyPrefix {
    type Error = KeyFormatError;
    fn try_from(value: String) -> Result<Self, KeyFormatError> {
        Self::parse(&value)
    }
}

impl From<KeyPrefix> for String {
    fn from(p: KeyPrefix) -> String {
        p.0
    }
}

impl fmt::Debug for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPrefix({})", self.0)
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which deployment a key belongs to: a `test` key is refused by a `live` deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyEnvironment {
    Live,
    Test,
}

impl KeyEnvironment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }
}

impl FromStr for KeyEnvironment {
    type Err = KeyFormatError;
    fn from_str(s: &str) -> Result<Self, KeyFormatError> {
        match s {
            "live" => Ok(Self::Live),
            "test" => Ok(Self::Test),
            _ => Err(KeyFormatError::Environment),
        }
    }
}

impl fmt::Display for KeyEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A complete API key. It holds the secret, so its `Debug` is redacted and there is no
/// `Display`: the only way to the full string is [`ApiKey::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    token: String,
    prefix: KeyPrefix,
    environment: KeyEnvironment,
    tenant_id: TenantId,
    key_id: KeyId,
}

impl ApiKey {
    /// A new key with a fresh secret from the OS CSPRNG.
    pub fn generate(
        prefix: &KeyPrefix,
        environment: KeyEnvironment,
        tenant_id: &TenantId,
        key_id: &KeyId,
    ) -> Result<Self, getrandom::Error> {
        let secret = base62::random_string(SECRET_LEN)?;
        let mut token = format!("{prefix}_{environment}_{tenant_id}{key_id}{secret}");
        token.push_str(&checksum(&token));
        Ok(Self {
            token,
            prefix: prefix.clone(),
            environment,
            tenant_id: tenant_id.clone(),
            key_id: key_id.clone(),
        })
    }

    /// Parses and checks a presented key without touching storage.
    pub fn parse(token: &str) -> Result<Self, KeyFormatError> {
        if token.len() > MAX_KEY_LEN {
            return Err(KeyFormatError::TooLong);
        }
        let mut parts = token.splitn(3, '_');
        let (Some(prefix), Some(env), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyFormatError::Shape);
        };
        let prefix = KeyPrefix::parse(prefix)?;
        let environment = env.parse()?;
        if body.len() != BODY_LEN || !base62::is_base62(body) {
            return Err(KeyFormatError::Body);
        }
        let (signed, sum) = token.split_at(token.len() - CHECKSUM_LEN);
        if checksum(signed) != sum {
            return Err(KeyFormatError::Checksum);
        }
        let tenant_id = TenantId::parse(&body[..ID_LEN]).map_err(|_| KeyFormatError::Body)?;
        let key_id = KeyId::parse(&body[ID_LEN..2 * ID_LEN]).map_err(|_| KeyFormatError::Body)?;
        Ok(Self {
            token: token.to_owned(),
            prefix,
            environment,
            tenant_id,
            key_id,
        })
    }

    /// The full key. Show it to its owner once; never log or store it.
    pub fn expose(&self) -> &str {
        &self.token
    }

    /// The secret part, which is what the argon2id verifier hashes.
    pub fn secret(&self) -> &[u8] {
        let start = self.token.len() - CHECKSUM_LEN - SECRET_LEN;
        &self.token.as_bytes()[start..self.token.len() - CHECKSUM_LEN]
    }

    /// What is safe to show and store: the prefix, the environment and the last four
    /// characters (part of the checksum, so they reveal nothing of the secret).
    pub fn hint(&self) -> String {
        let tail = &self.token[self.token.len() - 4..];
        format!("{}_{}_...{tail}", self.prefix, self.environment)
    }

    pub fn prefix(&self) -> &KeyPrefix {
        &self.prefix
    }

    pub fn environment(&self) -> KeyEnvironment {
        self.environment
    }

    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant_id
    }

    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("hint", &self.hint())
            .field("tenant_id", &self.tenant_id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A regular expression that finds candidate keys in text, for secret scanners. A match
/// is a key only if its checksum holds ([`validate_key_format`]).
pub const KEY_PATTERN: &str = r"\b[a-z0-9]{2,10}_(?:live|test)_[0-9A-Za-z]{55}\b";

/// What a well-formed key says about itself, without its secret: what
/// [`validate_key_format`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    pub prefix: KeyPrefix,
    pub environment: KeyEnvironment,
    pub tenant_id: TenantId,
    pub key_id: KeyId,
}

/// Checks a string's format and checksum offline (no storage read, nothing kept of the
/// secret): a scanner's or a support engineer's first question about a candidate.
pub fn validate_key_format(text: &str) -> Result<KeyFacts, KeyFormatError> {
    let key = ApiKey::parse(text)?;
    Ok(KeyFacts {
        prefix: key.prefix,
        environment: key.environment,
        tenant_id: key.tenant_id,
        key_id: key.key_id,
    })
}

/// How much randomness a key carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyEntropy {
    /// What the generator puts in: 29 uniform base62 characters, 172.7 bits.
    pub designed_bits: f64,
    /// The secret's empirical (Shannon) entropy per character times its length. For a
    /// generated key it is lower than `designed_bits` (29 characters cannot show all 62
    /// symbols); a secret typed or patterned by hand shows far less.
    pub observed_bits: f64,
}

/// The entropy of a well-formed key's secret.
pub fn calculate_key_entropy(text: &str) -> Result<KeyEntropy, KeyFormatError> {
    let key = ApiKey::parse(text)?;
    let secret = key.secret();
    let mut counts = [0u32; 256];
    for &b in secret {
        counts[usize::from(b)] += 1;
    }
    let len = secret.len() as f64;
    let per_char: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum();
    Ok(KeyEntropy {
        designed_bits: SECRET_LEN as f64 * 62f64.log2(),
        observed_bits: per_char * len,
    })
}

fn checksum(signed: &str) -> String {
    base62::encode_fixed(u64::from(crc32fast::hash(signed.as_bytes())), CHECKSUM_LEN)
}

#[cfg(test)]
#[path = "tests/format.rs"]
mod tests;
