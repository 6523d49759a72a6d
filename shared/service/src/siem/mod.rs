//! SIEM forwarding: the security-event model and encoders (`gatehouse_domain::siem`)
//! and the transports that carry encoded events to a destination.

pub use gatehouse_domain::siem::*;

pub mod syslog_transport;
