//! The append-only audit trail: the event model (domain) and its table.

pub use gatehouse_domain::audit::*;

mod store;

pub use store::{AuditPage, AuditQuery, AuditStore};
