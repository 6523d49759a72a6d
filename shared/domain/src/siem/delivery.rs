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
