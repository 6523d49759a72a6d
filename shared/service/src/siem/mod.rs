//! SIEM forwarding: the security-event model and encoders (`gatehouse_domain::siem`),
//! routing committed audit events to the destinations that want them (the event
//! publisher), forwarding them (the SIEM forwarder), the transports, and the
//! connectivity check behind `/test` and the health report.

pub use gatehouse_domain::siem::*;

pub mod check;
pub mod forward;
pub mod route;
pub mod sinks;
pub mod syslog_transport;

use crate::ids::{IntegrationId, TenantId};
use crate::store::envelope::SealContext;
use crate::store::siem_queue::SiemQueue;
use crate::store::siem_stats::SiemStats;
use crate::store::siem_table::SiemDestinations;
use crate::store::ttl_cache::TtlCache;
use destination::Destination;
use std::sync::Arc;

/// How long the publisher uses a tenant's list of destinations before reading it
/// again: a new, changed or deleted destination takes effect within this.
pub const ROUTES_TTL: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Clone)]
pub struct Siem {
    pub destinations: SiemDestinations,
    pub stats: SiemStats,
    pub queue: SiemQueue,
    /// The publisher's cache of each tenant's destinations.
    pub routes: Arc<TtlCache<TenantId, Arc<Vec<Destination>>>>,
}

/// The cache the publisher starts with.
pub fn new_routes() -> Arc<TtlCache<TenantId, Arc<Vec<Destination>>>> {
    Arc::new(TtlCache::new(ROUTES_TTL, 10_000))
}

/// The envelope purpose of destination credentials (HEC tokens, API keys, bearer
/// tokens) and of mTLS client keys.
pub const CREDENTIAL_PURPOSE: &str = "siem-credential";
pub const CLIENT_KEY_PURPOSE: &str = "siem-client-key";

pub fn credential_context(tenant: &TenantId, destination: &IntegrationId) -> SealContext {
    SealContext::new(CREDENTIAL_PURPOSE)
        .with("tenant", tenant.as_str())
        .with("destination", destination.as_str())
}

pub fn client_key_context(tenant: &TenantId, destination: &IntegrationId) -> SealContext {
    SealContext::new(CLIENT_KEY_PURPOSE)
        .with("tenant", tenant.as_str())
        .with("destination", destination.as_str())
}
