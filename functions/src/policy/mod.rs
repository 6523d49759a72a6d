//! The tenant access policy routes.
pub mod get;
pub mod put;
