//! Anomaly detection over a key's usage. The model and its thresholds:
//!
//! * **Burst**: a minute with at least [`BURST_MIN_REQUESTS`] requests and at least
//!   [`BURST_FACTOR`] times the key's baseline, the average requests per minute over
//!   the 24 hours before the current hour. Needs [`LEARNING_PERIOD`] of history.
//! * **Error storm**: a minute with at least [`STORM_MIN_ERRORS`] 401/403 responses
//!   making up at least [`STORM_MIN_RATIO`] of the key's requests in that minute.
//! * **New source**: a source IP address or user agent the key has not been used
//!   from, once the key has [`LEARNING_PERIOD`] of history (before that, sources are
//!   learned silently). A key remembers up to [`MAX_KNOWN_SOURCES`] of each.
//!
//! Each finding is reported once per key, kind and hour (and source, for new ones).

use super::stats::Stats;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

pub const BURST_MIN_REQUESTS: u64 = 100;
pub const BURST_FACTOR: f64 = 10.0;
pub const STORM_MIN_ERRORS: u64 = 20;
pub const STORM_MIN_RATIO: f64 = 0.5;
pub const LEARNING_PERIOD: Duration = Duration::HOUR;
pub const MAX_KNOWN_SOURCES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    Burst,
    ErrorStorm,
    NewSourceIp,
    NewUserAgent,
}

impl AnomalyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Burst => "burst",
            Self::ErrorStorm => "error_storm",
            Self::NewSourceIp => "new_source_ip",
            Self::NewUserAgent => "new_user_agent",
        }
    }
}

/// One finding about one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub kind: AnomalyKind,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "crate::schema::Rfc3339")]
    pub at: OffsetDateTime,
    pub detail: String,
    /// Findings with the same key, kind and `dedupe` are reported once.
    #[serde(skip)]
    pub dedupe: String,
}

fn hour_of(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(3600)
}

/// A burst in the minute starting at `minute`, given the baseline per minute.
pub fn burst(minute: OffsetDateTime, stats: &Stats, baseline_per_minute: f64) -> Option<Finding> {
    let high = stats.requests >= BURST_MIN_REQUESTS
        && stats.requests as f64 >= BURST_FACTOR * baseline_per_minute;
    high.then(|| Finding {
        kind: AnomalyKind::Burst,
        at: minute,
        detail: format!(
            "{} requests in one minute against a baseline of {baseline_per_minute:.1} per minute",
            stats.requests
        ),
        dedupe: hour_of(minute).to_string(),
    })
}

pub fn error_storm(minute: OffsetDateTime, stats: &Stats) -> Option<Finding> {
    let storm = stats.auth_errors >= STORM_MIN_ERRORS
        && stats.auth_errors as f64 >= STORM_MIN_RATIO * stats.requests as f64;
    storm.then(|| Finding {
        kind: AnomalyKind::ErrorStorm,
        at: minute,
        detail: format!(
            "{} of {} requests in one minute were refused with 401/403",
            stats.auth_errors, stats.requests
        ),
        dedupe: hour_of(minute).to_string(),
    })
}

/// A source seen for the first time at `at`, by a key first seen at `first_seen`.
pub fn new_source(
    kind: AnomalyKind,
    value: &str,
    at: OffsetDateTime,
    first_seen: OffsetDateTime,
) -> Option<Finding> {
    (at - first_seen >= LEARNING_PERIOD).then(|| Finding {
        kind,
        at,
        detail: match kind {
            AnomalyKind::NewUserAgent => format!("first use with user agent `{value}`"),
            _ => format!("first use from {value}"),
        },
        dedupe: format!("{}#{value}", hour_of(at)),
    })
}

#[cfg(test)]
#[path = "tests/anomaly.rs"]
mod tests;
