//! The authorizer's warm-container cache.
//!
//! * Positive entries: a key record and the SHA-256 of the full key that last verified
//!   against it. Within `ttl` of the read, a hit skips the GetItem and the argon2id
//!   verification; status and expiry (to the second) still apply from the cached
//!   record. After `ttl` and until `memory_ttl`, the record is read again (so status
//!   changes are seen) but argon2id is skipped if the stored verifier is unchanged:
//!   a secret that verified once always verifies against the same verifier.
//! * Negative entries: the SHA-256 of a presented key that failed (unknown key id or
//!   wrong secret), for `memory_ttl`. A failed key can never start to verify (secrets
//!   never change; rotation makes a new key id), so repeats are refused without I/O or
//!   argon2 work.
//!
//! Both maps are bounded. Revocation bound: a key revoked or disabled at time T is
//! refused by every container from T + `ttl` at the latest (plus API Gateway's own
//! authorizer cache TTL, if that is turned on).
//!
//! Only digests of presented keys are held, in memory, never logged or stored.

use crate::ids::{KeyId, TenantId};
use crate::keys::KeyRecord;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

pub type TokenDigest = [u8; 32];

pub fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

struct Positive {
    digest: TokenDigest,
    record: KeyRecord,
    fetched_at: OffsetDateTime,
}

/// What the cache knows about a presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Verified within the TTL: use this record as it is.
    Fresh(Box<KeyRecord>),
    /// Verified earlier against this stored verifier: read the record again, and skip
    /// argon2id if its verifier is still this one.
    Verified {
        verifier: String,
    },
    Miss,
}

pub struct KeyCache {
    ttl: Duration,
    negative_ttl: Duration,
    capacity: usize,
    positive: Mutex<HashMap<(TenantId, KeyId), Positive>>,
    negative: Mutex<HashMap<TokenDigest, OffsetDateTime>>,
}

impl KeyCache {
    /// `ttl`: how long a verified record is used without reading it again;
    /// `memory_ttl`: how long verified and failed keys are remembered.
    pub fn new(ttl: Duration, memory_ttl: Duration, capacity: usize) -> Self {
        let negative_ttl = memory_ttl.max(ttl);
        Self {
            ttl,
            negative_ttl,
            capacity: capacity.max(1),
            positive: Mutex::new(HashMap::new()),
            negative: Mutex::new(HashMap::new()),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// What is known about `digest` presented for this key id.
    pub fn lookup(
        &self,
        tenant: &TenantId,
        key: &KeyId,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Lookup {
        let Ok(map) = self.positive.lock() else {
            return Lookup::Miss;
        };
        let Some(entry) = map.get(&(tenant.clone(), key.clone())) else {
            return Lookup::Miss;
        };
        let same_key: bool = entry.digest.ct_eq(digest).into();
        let age = now - entry.fetched_at;
        if !same_key || age >= self.negative_ttl {
            Lookup::Miss
        } else if age < self.ttl {
            Lookup::Fresh(Box::new(entry.record.clone()))
        } else {
            Lookup::Verified {
                verifier: entry.record.verifier.clone(),
            }
        }
    }

    pub fn put(&self, digest: TokenDigest, record: KeyRecord, now: OffsetDateTime) {
        if self.negative_ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.positive.lock() {
            if map.len() >= self.capacity {
                let ttl = self.negative_ttl;
                map.retain(|_, e| now - e.fetched_at < ttl);
                if map.len() >= self.capacity
                    && let Some(oldest) = map
                        .iter()
                        .min_by_key(|(_, e)| e.fetched_at)
                        .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
            let id = (record.tenant_id.clone(), record.key_id.clone());
            map.insert(
                id,
                Positive {
                    digest,
                    record,
                    fetched_at: now,
                },
            );
        }
    }

    /// Whether this exact key failed recently.
    pub fn is_known_bad(&self, digest: &TokenDigest, now: OffsetDateTime) -> bool {
        self.negative
            .lock()
            .ok()
            .and_then(|map| map.get(digest).map(|at| now - *at < self.negative_ttl))
            .unwrap_or(false)
    }

    pub fn put_bad(&self, digest: TokenDigest, now: OffsetDateTime) {
        if self.negative_ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.negative.lock() {
            if map.len() >= self.capacity {
                let ttl = self.negative_ttl;
                map.retain(|_, at| now - *at < ttl);
                if map.len() >= self.capacity {
                    // Under a flood of distinct bad keys, forget the older half rather
                    // than grow: a forgotten entry only costs one more verification.
                    let mut ages: Vec<OffsetDateTime> = map.values().copied().collect();
                    ages.sort();
                    let cutoff = ages[ages.len() / 2];
                    map.retain(|_, at| *at > cutoff);
                }
            }
            map.insert(digest, now);
        }
    }

    pub fn len(&self) -> (usize, usize) {
        (
            self.positive.lock().map(|m| m.len()).unwrap_or(0),
            self.negative.lock().map(|m| m.len()).unwrap_or(0),
        )
    }
}

#[cfg(test)]
#[path = "tests/cache.rs"]
mod tests;
