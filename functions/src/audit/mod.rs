//! The audit trail route.
pub mod list;
