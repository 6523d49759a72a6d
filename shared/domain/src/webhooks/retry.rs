//! When a failed delivery is tried again.
//!
//! The default schedule, after the first attempt: 5 s, 1 min, 5 min, 30 min, 2 h, 5 h,
//! 10 h, 14 h, 20 h and 24 h (11 attempts over about 3 days and 3 hours), each delay
//! with up to ±20 % jitter so that many endpoints failing together do not retry
//! together. A `Retry-After` on a 429 or 503 replaces the scheduled delay (capped at
//! [`MAX_RETRY_AFTER`]). SQS delays a message by at most 15 minutes, so a longer wait
//! is a chain of hops: [`next_hop`].

use time::Duration;

/// Delays before attempts 2, 3, ... (attempt 1 is immediate).
pub const DEFAULT_SCHEDULE: &[Duration] = &[
    Duration::seconds(5),
    Duration::minutes(1),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(14),
    Duration::hours(20),
    Duration::hours(24),
];

pub const MAX_RETRY_AFTER: Duration = Duration::hours(24);
/// SQS's longest `DelaySeconds`.
pub const MAX_SQS_DELAY: Duration = Duration::minutes(15);
const JITTER: f64 = 0.2;

/// What an attempt's result means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// 2xx.
    Delivered,
    /// 410 Gone: the endpoint asks to be disabled; no retry.
    Gone,
    /// 429 or 503, with the server's `Retry-After` if it gave one.
    Throttled(Option<Duration>),
    /// Any other status, a timeout, a refused or dropped connection.
    Failed,
}

impl AttemptResult {
    pub fn from_status(status: u16, retry_after: Option<Duration>) -> Self {
        match status {
            200..=299 => Self::Delivered,
            410 => Self::Gone,
            429 | 503 => Self::Throttled(retry_after),
            _ => Self::Failed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Done,
    /// Try again after this long.
    RetryIn(Duration),
    /// The schedule is used up (or the endpoint is gone): the delivery has failed.
    GiveUp,
}

/// After attempt number `attempt` (1-based) ended with `result`: what next.
/// `unit_random` is uniform in [0, 1) and drives the jitter.
pub fn after_attempt(
    schedule: &[Duration],
    attempt: u32,
    result: AttemptResult,
    unit_random: f64,
) -> Next {
    let scheduled = schedule.get(attempt.saturating_sub(1) as usize).copied();
    match (result, scheduled) {
        (AttemptResult::Delivered, _) => Next::Done,
        (AttemptResult::Gone, _) | (_, None) => Next::GiveUp,
        (AttemptResult::Throttled(Some(wait)), Some(_)) => {
            Next::RetryIn(wait.clamp(Duration::SECOND, MAX_RETRY_AFTER))
        }
        (AttemptResult::Throttled(None) | AttemptResult::Failed, Some(delay)) => {
            let factor = 1.0 + JITTER * (2.0 * unit_random.clamp(0.0, 1.0) - 1.0);
            Next::RetryIn(delay * factor)
        }
    }
}

/// How long to delay the next SQS message of a wait that has `remaining` left:
/// at most 15 minutes; the message carries the due time and is delayed again on
/// arrival until it is due.
pub fn next_hop(remaining: Duration) -> Duration {
    remaining.clamp(Duration::ZERO, MAX_SQS_DELAY)
}

/// The `Retry-After` header: delay-seconds or an HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return (seconds >= 0).then(|| Duration::seconds(seconds));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    Some((at - now).max(Duration::ZERO))
}

#[cfg(test)]
#[path = "tests/retry.rs"]
mod tests;
