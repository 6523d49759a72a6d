//! A per-endpoint circuit breaker, as a value stored with the endpoint and advanced by
//! each attempt's outcome (pure: the dispatcher loads, advances and stores it with a
//! conditional write).
//!
//! * **Closed**: attempts go out. Outcomes are counted in fixed windows of
//!   [`Policy::window`]; when a window holds at least [`Policy::min_volume`] attempts
//!   of which at least [`Policy::failure_ratio`] failed, the circuit opens.
//! * **Open**: nothing is sent (deliveries wait, without using their attempts) until
//!   the cool-down ends; then one probe is let through (**half-open**).
//! * **Half-open**: the probe's success closes the circuit; its failure opens it
//!   again with twice the cool-down (up to [`Policy::max_cooldown`]).
//!
//! Separately, an endpoint that has not had a success for [`Policy::disable_after`]
//! while failing is disabled (with an event): see [`Breaker::should_disable`].

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub window: Duration,
    pub min_volume: u32,
    pub failure_ratio: f64,
    pub cooldown: Duration,
    pub max_cooldown: Duration,
    pub disable_after: Duration,
}

impl Policy {
    pub const DEFAULT: Policy = Policy {
        window: Duration::minutes(5),
        min_volume: 10,
        failure_ratio: 0.5,
        cooldown: Duration::seconds(30),
        max_cooldown: Duration::hours(1),
        disable_after: Duration::days(5),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum State {
    Closed,
    Open {
        #[serde(with = "time::serde::timestamp")]
        until: OffsetDateTime,
        cooldown_seconds: i64,
    },
    HalfOpen {
        cooldown_seconds: i64,
        /// When the probe was sent; a probe with no outcome after [`PROBE_TIMEOUT`]
        /// (its dispatcher died) is replaced by another.
        #[serde(with = "time::serde::timestamp")]
        probe_at: OffsetDateTime,
    },
}

/// How long a half-open probe may be outstanding before another is sent (longer than
/// the delivery timeout).
pub const PROBE_TIMEOUT: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    pub state: State,
    /// Start of the current counting window (Unix seconds).
    pub window_start: i64,
    pub attempts: u32,
    pub failures: u32,
    /// When the current run of failures began; `None` after a success.
    #[serde(with = "time::serde::timestamp::option")]
    pub failing_since: Option<OffsetDateTime>,
    /// Success ratio of the last complete window, 0-100 (100 for a new endpoint).
    pub health: u8,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            state: State::Closed,
            window_start: 0,
            attempts: 0,
            failures: 0,
            failing_since: None,
            health: 100,
        }
    }
}

/// Whether an attempt may be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Yes,
    /// Only as the half-open probe.
    Probe,
    /// Not before this time.
    NotUntil(OffsetDateTime),
}

impl Breaker {
    pub fn admit(&self, now: OffsetDateTime) -> Admit {
        match self.state {
            State::Closed => Admit::Yes,
            State::Open { until, .. } if now < until => Admit::NotUntil(until),
            State::HalfOpen { probe_at, .. } if now < probe_at + PROBE_TIMEOUT => {
                Admit::NotUntil(probe_at + PROBE_TIMEOUT)
            }
            State::Open { .. } | State::HalfOpen { .. } => Admit::Probe,
        }
    }

    /// Marks the probe as sent (stored with a conditional write before it is sent,
    /// so only one dispatcher sends it).
    pub fn start_probe(&mut self, now: OffsetDateTime) {
        if let State::Open {
            cooldown_seconds, ..
        }
        | State::HalfOpen {
            cooldown_seconds, ..
        } = self.state
        {
            self.state = State::HalfOpen {
                cooldown_seconds,
                probe_at: now,
            };
        }
    }

    /// Counts an attempt's outcome and moves the state.
    pub fn record(&mut self, policy: &Policy, success: bool, now: OffsetDateTime) {
        let window = policy.window.whole_seconds().max(1);
        let start = now.unix_timestamp().div_euclid(window) * window;
        if start != self.window_start {
            if self.attempts > 0 {
                let ok = self.attempts - self.failures.min(self.attempts);
                self.health = (100 * ok / self.attempts) as u8;
            }
            self.window_start = start;
            self.attempts = 0;
            self.failures = 0;
        }
        self.attempts += 1;
        if success {
            self.failing_since = None;
        } else {
            self.failures += 1;
            self.failing_since.get_or_insert(now);
        }
        let reopen = |cooldown: Duration| State::Open {
            until: now + cooldown,
            cooldown_seconds: cooldown.whole_seconds(),
        };
        self.state = match (self.state, success) {
            (State::HalfOpen { .. }, true) => State::Closed,
            (
                State::HalfOpen {
                    cooldown_seconds, ..
                },
                false,
            ) => {
                let doubled: Duration = Duration::seconds(cooldown_seconds) * 2_i32;
                let next = doubled.min(policy.max_cooldown);
                reopen(next)
            }
            (State::Closed, false)
                if self.attempts >= policy.min_volume
                    && f64::from(self.failures)
                        >= policy.failure_ratio * f64::from(self.attempts) =>
            {
                reopen(policy.cooldown)
            }
            (state, _) => state,
        };
    }

    /// Failing without a success for longer than the policy allows.
    pub fn should_disable(&self, policy: &Policy, now: OffsetDateTime) -> bool {
        self.failing_since
            .is_some_and(|since| now - since >= policy.disable_after)
    }

    /// 0-100: the current window's success ratio once it has volume, else the last
    /// complete window's.
    pub fn health_score(&self, policy: &Policy) -> u8 {
        if self.attempts >= policy.min_volume {
            let ok = self.attempts - self.failures.min(self.attempts);
            (100 * ok / self.attempts) as u8
        } else {
            self.health
        }
    }
}

#[cfg(test)]
#[path = "tests/circuit.rs"]
mod tests;
