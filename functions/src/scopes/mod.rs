//! Custom scope routes.
pub mod create;
pub mod list;
