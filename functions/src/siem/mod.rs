//! SIEM forwarding: the destinations' routes and the forwarder.

pub mod create;
pub mod delete;
pub mod forwarder;
pub mod get;
pub mod list;
pub mod preview;
pub mod stats;
pub mod test;
pub mod update;
