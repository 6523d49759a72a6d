//! Usage routes and the access-log ingest.
pub mod get;
pub mod ingest;
pub mod report;
pub mod reset;
