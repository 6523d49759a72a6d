//! Time as a dependency, so expiry and timestamps can be tested without sleeping.

use std::sync::Arc;
use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
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
