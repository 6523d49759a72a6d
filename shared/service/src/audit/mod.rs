//! The append-only audit trail: the event model (domain) and its table.

pub use gatehouse_domain::audit::*;

pub use gatehouse_store::audit::{AuditPage, AuditQuery, AuditStore};
