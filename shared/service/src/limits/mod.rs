//! Rate limits and quotas: the domain (windows, limit sets, the access policy) and the
//! counters that enforce them.

pub use gatehouse_domain::limits::*;

pub use gatehouse_store::counters;
