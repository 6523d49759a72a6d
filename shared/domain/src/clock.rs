//! Time as a dependency, so expiry and timestamps can be tested without sleeping.

use std::sync::Arc;
use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    /// Now, in whole seconds: what stored timestamps and expiry checks use.
    fn now(&self) -> OffsetDateTime;

    /// Now, as precisely as the clock allows: orders audit events within a second.
    fn precise_now(&self) -> OffsetDateTime {
        self.now()
    }
}

/// The wall clock, truncated to whole seconds: every timestamp Gatehouse stores or
/// compares is second-precision, so expiry is exact "to the second".
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(0).unwrap_or(now)
    }

    fn precise_now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that always reads the same instant (tests, replays).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// `at` rounded up to a whole second. Stored instants are whole seconds; an end of
/// validity (an expiry, a grace period's end) is rounded up, never down, so it never
/// comes before the instant the caller asked for.
pub fn ceil_to_second(at: OffsetDateTime) -> OffsetDateTime {
    if at.nanosecond() == 0 {
        return at;
    }
    let floor = at.replace_nanosecond(0).unwrap_or(at);
    floor + time::Duration::SECOND
}

/// A time as the API writes it (RFC 3339).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A clock that tests move by hand.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(std::sync::Mutex::new(start))
    }

    pub fn advance(&self, by: time::Duration) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let now = self.precise_now();
        now.replace_nanosecond(0).unwrap_or(now)
    }

    fn precise_now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::ceil_to_second;
    use time::macros::datetime;

    #[test]
    fn an_end_of_validity_rounds_up_to_the_second() {
        assert_eq!(
            ceil_to_second(datetime!(2026-12-01 12:00:20.4 UTC)),
            datetime!(2026-12-01 12:00:21 UTC)
        );
        assert_eq!(
            ceil_to_second(datetime!(2026-12-01 12:00:20.000000001 UTC)),
            datetime!(2026-12-01 12:00:21 UTC)
        );
        assert_eq!(
            ceil_to_second(datetime!(2026-12-01 12:00:20 UTC)),
            datetime!(2026-12-01 12:00:20 UTC)
        );
    }
}
