//! Delivery of security events to a destination: the queue message, what an outcome
//! means (delivered, retry later, dead-letter), the retry schedule, and the latency
//! buckets the statistics keep.
//!
//! Retries: 408, 429 and every 5xx but 501, and every failure to connect or send, are
//! retried with capped exponential backoff and jitter, for up to [`MAX_AGE`] after the
//! event was first queued (an outage keeps events, it does not drop them). Any other
//! answer is final: the event goes to the dead-letter queue with the reason.

use super::event::SecurityEvent;
use crate::ids::{IntegrationId, TenantId};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// One event on its way to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiemMessage {
    /// The destination's own tenant (a platform destination's is the operator's).
    pub destination_tenant: TenantId,
    pub destination_id: IntegrationId,
    pub event: SecurityEvent,
    /// Attempts made so far.
    pub attempt: u32,
    #[serde(with = "time::serde::timestamp")]
    pub first_queued_at: OffsetDateTime,
    /// Not to be attempted before (the queue's delay is at most 15 minutes).
    #[serde(with = "time::serde::timestamp")]
    pub due_at: OffsetDateTime,
}

/// How long an event is retried before it is dead-lettered.
pub const MAX_AGE: Duration = Duration::hours(72);
/// The first retry's delay by default; each further one doubles, up to [`MAX_DELAY`].
pub const BASE_DELAY: Duration = Duration::seconds(5);
pub const MAX_DELAY: Duration = Duration::minutes(15);
const JITTER: f64 = 0.2;

/// What happened to one event at one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Worth trying again (the reason is kept as the destination's last error).
    Retry(String),
    /// Final: the reason goes with the event to the dead-letter queue.
    Reject(String),
}

/// Whether an HTTP status is worth retrying: 408, 429, and 5xx but 501.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429) || (500..=599).contains(&status) && status != 501
}

/// The outcome of an HTTP answer to a whole request.
pub fn outcome_of_status(status: u16, detail: &str) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        s if retryable_status(s) => Outcome::Retry(format!("HTTP {s}: {detail}")),
        s => Outcome::Reject(format!("HTTP {s}: {detail}")),
    }
}

/// The next attempt of `message` after a retryable failure at `now`, `base` after the
/// first attempt and doubling, or `None` when it has been retried for [`MAX_AGE`].
/// `unit_random` in [0, 1) drives the jitter.
pub fn retry(
    message: &SiemMessage,
    now: OffsetDateTime,
    base: Duration,
    unit_random: f64,
) -> Option<SiemMessage> {
    let exponent = message.attempt.min(16);
    let delay = (base * 2f64.powi(i32::try_from(exponent).unwrap_or(16))).min(MAX_DELAY);
    let factor = 1.0 + JITTER * (2.0 * unit_random.clamp(0.0, 1.0) - 1.0);
    let due_at = now + delay * factor;
    (due_at - message.first_queued_at <= MAX_AGE).then(|| SiemMessage {
        attempt: message.attempt + 1,
        due_at,
        ..message.clone()
    })
}

/// Jitter that differs per event and attempt, repeatable for the same pair.
pub fn jitter_of(message: &SiemMessage) -> f64 {
    let seed = crc32fast::hash(format!("{}#{}", message.event.id, message.attempt).as_bytes());
    f64::from(seed) / f64::from(u32::MAX)
}

/// Upper bounds (milliseconds) of the latency buckets the statistics count in; the
/// last bucket is everything above.
pub const LATENCY_BUCKETS_MS: [u64; 14] = [
    10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 3_600_000,
];

/// The bucket a latency falls in (0..=LATENCY_BUCKETS_MS.len()).
pub fn bucket_of(latency_ms: u64) -> usize {
    LATENCY_BUCKETS_MS
        .iter()
        .position(|&bound| latency_ms <= bound)
        .unwrap_or(LATENCY_BUCKETS_MS.len())
}

/// The `q` quantile (0-1) of counts per bucket, as the bucket's upper bound (`None`
/// with no counts; the open last bucket reports its lower bound).
pub fn quantile(counts: &[u64], q: f64) -> Option<u64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, &count) in counts.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return Some(
                LATENCY_BUCKETS_MS
                    .get(i)
                    .copied()
                    .unwrap_or(LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 1]),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siem::event::SecurityEvent;
    use time::macros::datetime;

    fn message(attempt: u32, first: OffsetDateTime) -> SiemMessage {
        let audit = crate::audit::AuditEvent::new(
            &TenantId::parse("acme000001").unwrap(),
            "api_key.create",
            crate::audit::Actor {
                principal: "ops@example.com".into(),
                key_id: None,
            },
            crate::audit::Origin::default(),
            first,
        );
        SiemMessage {
            destination_tenant: TenantId::parse("acme000001").unwrap(),
            destination_id: IntegrationId::parse("siem000001").unwrap(),
            event: SecurityEvent::from_audit(&audit),
            attempt,
            first_queued_at: first,
            due_at: first,
        }
    }

    #[test]
    fn only_408_429_and_5xx_but_501_are_retried() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 413, 501] {
            assert!(!retryable_status(status), "{status}");
        }
        assert_eq!(outcome_of_status(204, ""), Outcome::Delivered);
        assert!(matches!(outcome_of_status(503, "busy"), Outcome::Retry(_)));
        assert!(matches!(outcome_of_status(501, "no"), Outcome::Reject(_)));
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap_and_ends_after_72_hours() {
        let first = datetime!(2026-12-07 09:00 UTC);
        let base = Duration::seconds(5);
        let delay = |attempt, random| {
            retry(&message(attempt, first), first, base, random)
                .unwrap()
                .due_at
                - first
        };
        assert_eq!(delay(0, 0.5), Duration::seconds(5));
        assert_eq!(delay(1, 0.5), Duration::seconds(10));
        assert_eq!(delay(3, 0.5), Duration::seconds(40));
        assert_eq!(delay(12, 0.5), MAX_DELAY, "capped");
        assert_eq!(delay(0, 0.0), Duration::seconds(4), "-20 %");
        assert!(delay(0, 0.999) < Duration::seconds(6), "+20 %");
        let next = retry(&message(2, first), first, base, 0.5).unwrap();
        assert_eq!(next.attempt, 3);
        // Past the maximum age, no further attempt: the caller dead-letters it.
        let old = message(40, first);
        assert!(retry(&old, first + MAX_AGE, base, 0.5).is_none());
        assert!(retry(&old, first + MAX_AGE - Duration::hours(1), base, 0.5).is_some());
    }

    #[test]
    fn quantiles_come_from_the_bucket_bounds() {
        let mut counts = [0u64; LATENCY_BUCKETS_MS.len() + 1];
        assert_eq!(quantile(&counts, 0.5), None);
        counts[bucket_of(7)] += 98;
        counts[bucket_of(700)] += 1;
        counts[bucket_of(9_999_999)] += 1;
        assert_eq!(bucket_of(10), 0);
        assert_eq!(bucket_of(11), 1);
        assert_eq!(quantile(&counts, 0.5), Some(10));
        assert_eq!(quantile(&counts, 0.99), Some(1_000));
        assert_eq!(quantile(&counts, 1.0), Some(3_600_000));
    }
}
