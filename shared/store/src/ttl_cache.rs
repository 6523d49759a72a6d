//! A small in-memory cache whose entries expire: opened secrets and secret versions
//! kept for a while so a busy function does not ask KMS (or Secrets Manager) again
//! for every use. Bounded: when full, expired entries go; if all are fresh, all go
//! (a burst over many keys; the cache fills again).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    max: usize,
    entries: Arc<Mutex<HashMap<K, (V, Instant)>>>,
}

impl<K, V> std::fmt::Debug for TtlCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values: they are secrets.
        write!(f, "TtlCache(ttl {:?}, max {})", self.ttl, self.max)
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            entries: Arc::default(),
        }
    }

    /// The value, if it was put less than the TTL ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(value, _)| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.max {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        if entries.len() >= self.max {
            entries.clear();
        }
        entries.insert(key, (value, Instant::now()));
    }
}
