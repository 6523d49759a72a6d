//! Security events for SIEMs: one model ([`SecurityEvent`], aligned with OCSF 1.x),
//! the mapping from every audit event onto it, the redaction every event passes
//! before an encoder sees it ([`redact`]), and the encoders (CEF, LEEF, RFC 5424
//! syslog, Splunk HEC, Elastic ECS, OCSF JSON). Pure: transports live elsewhere.

pub mod cef;
pub mod classify;
pub mod delivery;
pub mod destination;
pub mod ecs;
pub mod event;
pub mod hec;
pub mod leef;
pub mod ocsf;
pub mod redact;
pub mod syslog;
mod text;

pub use classify::{Classification, classify};
pub use event::{EventClass, SecurityEvent, Severity, Status};
pub use redact::{EmailPolicy, IpPolicy, Redacted, Redaction, redact};

/// Who the events say produced them.
pub const VENDOR: &str = "Gatehouse";
pub const PRODUCT: &str = "Gatehouse";
pub const PRODUCT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests;
