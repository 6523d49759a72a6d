//! Proving that a connection speaks for an email domain, for home-realm discovery
//! (`POST /v2/sso/discover`): the domain's DNS holds a TXT record
//! `_gatehouse-challenge.<domain>` whose text is `gatehouse-domain-verification=` and
//! the connection's own token. Only a verified domain sends people to a connection, so
//! a tenant cannot draw another's users to its identity provider by naming their domain.
//!
//! One connection holds a domain at a time. A newer proof takes it over only once the
//! holder's record is gone from DNS (the domain changed hands); while both records are
//! there, the holder keeps it.

pub const CHALLENGE_LABEL: &str = "_gatehouse-challenge";
pub const VALUE_PREFIX: &str = "gatehouse-domain-verification=";

/// Where the record goes: `_gatehouse-challenge.<domain>`.
pub fn challenge_name(domain: &str) -> String {
    format!("{CHALLENGE_LABEL}.{domain}")
}

/// What the record says for a connection whose token is `token`.
pub fn challenge_value(token: &str) -> String {
    format!("{VALUE_PREFIX}{token}")
}

/// Whether any of a name's TXT records is the value for `token`.
pub fn proves(records: &[String], token: &str) -> bool {
    let expected = challenge_value(token);
    !token.is_empty() && records.iter().any(|r| r.trim() == expected)
}

/// What one verification found for a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// The record is there and the connection holds the domain.
    Verified,
    /// No TXT record with the connection's value.
    RecordMissing,
    /// Proven, but another connection holds the domain and its record is still there.
    ClaimedElsewhere,
    /// DNS did not answer; the domain keeps the state it had.
    DnsError,
}

#[cfg(test)]
#[path = "tests/sso_domains.rs"]
mod tests;
