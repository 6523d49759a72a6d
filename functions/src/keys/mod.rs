//! API key routes and the expiry scan.
pub mod compromise;
pub mod create;
pub mod expiry_notifier;
pub mod get;
pub mod leak_report;
pub mod list;
pub mod revoke;
pub mod rotate;
pub mod scanner_report;
pub mod update;
