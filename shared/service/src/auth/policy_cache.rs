//! Tenants' access policies, held by a warm authorizer for the same short TTL as
//! verified keys: a policy change reaches every container within that bound.

use crate::ids::TenantId;
use crate::limits::policy::AccessPolicy;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

pub struct PolicyCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<TenantId, (OffsetDateTime, Arc<AccessPolicy>)>>,
}

impl PolicyCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, tenant: &TenantId, now: OffsetDateTime) -> Option<Arc<AccessPolicy>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(tenant)
            .filter(|(fetched, _)| now - *fetched < self.ttl)
            .map(|(_, policy)| Arc::clone(policy))
    }

    pub fn put(&self, tenant: TenantId, policy: Arc<AccessPolicy>, now: OffsetDateTime) {
        if self.ttl <= Duration::ZERO {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&tenant) {
            let ttl = self.ttl;
            entries.retain(|_, (fetched, _)| now - *fetched < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(tenant, (now, policy));
    }
}
