//! The argon2id verifier of a key's secret.
//!
//! Only the PHC string (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`) is stored, so the
//! parameters travel with each verifier and can be raised later: a successful
//! verification under weaker parameters than the configured ones yields a fresh
//! verifier for the caller to store ("rehash on use").
//!
//! Why cheap parameters are sound here: the secret is 172 bits from a CSPRNG, not a
//! password. NIST SP 800-63B 5.1.2.2 asks only that look-up secrets of at least 112 bits
//! be hashed with an approved one-way function; the key-stretching cost that protects
//! human-chosen passwords buys nothing against a 2^172 search space. argon2id with a
//! per-key salt is kept as defence in depth (a leaked table stays useless and no two
//! verifiers match), tuned to stay under 5 ms on one core so the authorizer can afford
//! a verification on a cache miss. See bench/RESULTS.md for the measurement.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Argon2Params {
    /// 2 MiB, one pass, one lane: p99 about 2.3 ms on one x86 core, leaving headroom
    /// under the 5 ms budget for Lambda's fractional vCPUs (bench/RESULTS.md).
    pub const DEFAULT: Self = Self {
        memory_kib: 2048,
        iterations: 1,
        parallelism: 1,
    };

    fn to_params(self) -> Result<Params, argon2::Error> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
    }

    /// Checks the values argon2 accepts, so configuration fails at start, not at use.
    pub fn validate(self) -> Result<Self, String> {
        self.to_params().map(|_| self).map_err(|e| e.to_string())
    }

    fn weaker_than(self, other: Self) -> bool {
        self.memory_kib < other.memory_kib
            || self.iterations < other.iterations
            || self.parallelism < other.parallelism
    }
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    #[error("the OS random number generator failed: {0}")]
    Random(String),
    #[error("argon2 failed: {0}")]
    Argon2(String),
}

#[derive(Debug, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// The secret matches. `rehashed` is a new verifier when the stored one used weaker
    /// parameters than the current configuration.
    Valid { rehashed: Option<String> },
    /// The secret does not match.
    Mismatch,
    /// The stored verifier is not a valid argon2id PHC string.
    CorruptVerifier,
}

/// Hashes and checks key secrets with the configured argon2id parameters.
#[derive(Debug, Clone)]
pub struct KeyVerifier {
    params: Argon2Params,
    argon2: Argon2<'static>,
}

impl KeyVerifier {
    pub fn new(params: Argon2Params) -> Result<Self, VerifierError> {
        let p = params
            .to_params()
            .map_err(|e| VerifierError::Argon2(e.to_string()))?;
        Ok(Self {
            params,
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
        })
    }

    pub fn params(&self) -> Argon2Params {
        self.params
    }

    /// A PHC string for `secret` with a fresh 16-byte salt.
    pub fn hash(&self, secret: &[u8]) -> Result<String, VerifierError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| VerifierError::Random(e.to_string()))?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| VerifierError::Argon2(e.to_string()))?;
        self.argon2
            .hash_password(secret, &salt)
            .map(|h| h.to_string())
            .map_err(|e| VerifierError::Argon2(e.to_string()))
    }

    /// Checks `secret` against a stored PHC string, in constant time with respect to
    /// the hash output (the comparison is argon2's own constant-time one).
    pub fn verify(&self, secret: &[u8], phc: &str) -> VerifyOutcome {
        let Ok(stored) = PasswordHash::new(phc) else {
            return VerifyOutcome::CorruptVerifier;
        };
        if stored.algorithm != Algorithm::Argon2id.ident() {
            return VerifyOutcome::CorruptVerifier;
        }
        let Ok(stored_params) = Params::try_from(&stored) else {
            return VerifyOutcome::CorruptVerifier;
        };
        match self.argon2.verify_password(secret, &stored) {
            Ok(()) => {
                let used = Argon2Params {
                    memory_kib: stored_params.m_cost(),
                    iterations: stored_params.t_cost(),
                    parallelism: stored_params.p_cost(),
                };
                let rehashed = if used.weaker_than(self.params) {
                    self.hash(secret).ok()
                } else {
                    None
                };
                VerifyOutcome::Valid { rehashed }
            }
            Err(argon2::password_hash::Error::Password) => VerifyOutcome::Mismatch,
            Err(_) => VerifyOutcome::CorruptVerifier,
        }
    }
}

#[cfg(test)]
#[path = "tests/verifier.rs"]
mod tests;
