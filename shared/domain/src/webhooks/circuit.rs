//! A per-endpoint circuit breaker, in two parts so that counting an attempt never
//! contends with other attempts:
//!
//! * [`Counts`]: the outcomes in the current fixed window of [`Policy::window`] (and
//!   the last window with attempts, for the health score), and when the current run
//!   of failures began. The store advances them with one atomic update per attempt
//!   (`ADD`), and [`Counts::record`] is the same arithmetic, as a model for tests.
//! * [`Breaker`]: the state, stored with the endpoint and changed with a conditional
//!   write only when it moves ([`Breaker::after`]), which is rare.
//!
//! The states:
//! * **Closed**: attempts go out. When a window holds at least
//!   [`Policy::min_volume`] attempts of which at least [`Policy::failure_ratio`]
//!   failed, the circuit opens.
//! * **Open**: nothing is sent (deliveries wait, without using their attempts) until
//!   the cool-down ends; then one probe is let through (**half-open**).
//! * **Half-open**: the probe's success closes the circuit; its failure opens it
//!   again with twice the cool-down (up to [`Policy::max_cooldown`]).
//!
//! Separately, an endpoint that has not had a success for [`Policy::disable_after`]
//! while failing is disabled (with an event): see [`Counts::should_disable`].

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

    /// The default policy with the deployment's minimum volume
    /// (`WEBHOOK_CIRCUIT_MIN_VOLUME`).
    pub fn with_min_volume(min_volume: u32) -> Policy {
        Policy {
            min_volume,
            ..Policy::DEFAULT
        }
    }
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

impl State {
    /// The state as the API names it.
    pub fn name(&self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open { .. } => "open",
            State::HalfOpen { .. } => "half_open",
        }
    }
}

/// A [`State::name`], for the document.
pub struct StateName;

crate::inline_string_schema!(StateName, "CircuitState", {
    "type": "string",
    "enum": ["closed", "open", "half_open"],
});

/// How long a half-open probe may be outstanding before another is sent (longer than
/// the delivery timeout).
pub const PROBE_TIMEOUT: Duration = Duration::seconds(60);

/// The breaker's state, stored with the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    pub state: State,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            state: State::Closed,
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

    /// The state after an attempt's outcome, given its window's counts (this attempt
    /// included); `None` when it does not move.
    pub fn after(
        &self,
        policy: &Policy,
        counts: &Counts,
        success: bool,
        now: OffsetDateTime,
    ) -> Option<State> {
        let reopen = |cooldown: Duration| State::Open {
            until: now + cooldown,
            cooldown_seconds: cooldown.whole_seconds(),
        };
        match (self.state, success) {
            (State::HalfOpen { .. }, true) => Some(State::Closed),
            (
                State::HalfOpen {
                    cooldown_seconds, ..
                },
                false,
            ) => {
                let doubled: Duration = Duration::seconds(cooldown_seconds) * 2_i32;
                Some(reopen(doubled.min(policy.max_cooldown)))
            }
            (State::Closed, false)
                if counts.attempts >= policy.min_volume
                    && f64::from(counts.failures)
                        >= policy.failure_ratio * f64::from(counts.attempts) =>
            {
                Some(reopen(policy.cooldown))
            }
            _ => None,
        }
    }
}

/// An endpoint's attempt counts: what the store's atomic update leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Start of the current counting window (Unix seconds).
    pub window_start: i64,
    pub attempts: u32,
    pub failures: u32,
    /// The last earlier window that had attempts (0 and 0: none yet).
    pub last_attempts: u32,
    pub last_failures: u32,
    /// When the current run of failures began; `None` after a success.
    pub failing_since: Option<OffsetDateTime>,
}

/// The start of the counting window holding `now`.
pub fn window_start(policy: &Policy, now: OffsetDateTime) -> i64 {
    let window = policy.window.whole_seconds().max(1);
    now.unix_timestamp().div_euclid(window) * window
}

impl Counts {
    /// Counts an attempt's outcome, as the store's update does.
    pub fn record(&mut self, policy: &Policy, success: bool, now: OffsetDateTime) {
        let start = window_start(policy, now);
        if start > self.window_start {
            if self.attempts > 0 {
                self.last_attempts = self.attempts;
                self.last_failures = self.failures;
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
    }

    /// Failing without a success for longer than the policy allows.
    pub fn should_disable(&self, policy: &Policy, now: OffsetDateTime) -> bool {
        self.failing_since
            .is_some_and(|since| now - since >= policy.disable_after)
    }

    /// 0-100: the current window's success ratio once it has volume, else the last
    /// window's with attempts, else 100 (a new endpoint).
    pub fn health_score(&self, policy: &Policy, now: OffsetDateTime) -> u8 {
        let ratio = |attempts: u32, failures: u32| {
            let ok = attempts - failures.min(attempts);
            (100 * u64::from(ok) / u64::from(attempts)) as u8
        };
        let current = window_start(policy, now) == self.window_start;
        if current && self.attempts >= policy.min_volume {
            ratio(self.attempts, self.failures)
        } else if current && self.last_attempts > 0 {
            ratio(self.last_attempts, self.last_failures)
        } else if !current && self.attempts > 0 {
            // The stored current window has ended: it is the last one now.
            ratio(self.attempts, self.failures)
        } else {
            100
        }
    }
}

#[cfg(test)]
#[path = "tests/circuit.rs"]
mod tests;
