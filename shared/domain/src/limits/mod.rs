//! Rate limits and quotas: what a request may consume, and the counters that enforce it.
//!
//! A key's [`LimitSet`] (or, window by window where the key sets nothing, its tenant's
//! plan) names per-second and per-minute rate limits and per-day and per-month quotas,
//! once for all of the key's requests together and optionally again for single routes.
//! Each applicable limit is one fixed-window counter in DynamoDB, consumed by a
//! conditional atomic update ([`counters`]); a refusal names the window and when it
//! ends (`Retry-After`).

pub mod policy;
pub mod view;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// The counting windows, aligned to UTC calendar boundaries.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Second,
    Minute,
    Day,
    Month,
}

impl Window {
    pub const ALL: [Window; 4] = [Self::Second, Self::Minute, Self::Day, Self::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Second => "second",
            Self::Minute => "minute",
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == text)
    }

    /// Seconds and minutes are rate limits; days and months are quotas.
    pub fn is_quota(self) -> bool {
        matches!(self, Self::Day | Self::Month)
    }

    /// The start of the window holding `now` (UTC).
    pub fn start(self, now: OffsetDateTime) -> OffsetDateTime {
        let now = now.to_offset(time::UtcOffset::UTC);
        let midnight = now.replace_time(time::Time::MIDNIGHT);
        match self {
            Self::Second => now.replace_nanosecond(0).unwrap_or(now),
            Self::Minute => now
                .replace_nanosecond(0)
                .and_then(|t| t.replace_second(0))
                .unwrap_or(now),
            Self::Day => midnight,
            Self::Month => midnight.replace_day(1).unwrap_or(midnight),
        }
    }

    /// The end (exclusive) of the window holding `now`.
    pub fn end(self, now: OffsetDateTime) -> OffsetDateTime {
        let start = self.start(now);
        match self {
            Self::Second => start + Duration::SECOND,
            Self::Minute => start + Duration::MINUTE,
            Self::Day => start + Duration::DAY,
            Self::Month => {
                let (year, month) = match start.month() {
                    time::Month::December => (start.year() + 1, time::Month::January),
                    m => (start.year(), m.next()),
                };
                start
                    .replace_day(1)
                    .and_then(|t| t.replace_year(year))
                    .and_then(|t| t.replace_month(month))
                    .unwrap_or(start + Duration::days(31))
            }
        }
    }
}

/// Limits for one counting scope (all of a key's requests, or one route's). Absent
/// windows are unlimited here (or inherited from the plan).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub per_second: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub per_minute: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub per_day: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub per_month: Option<u64>,
}

impl Limits {
    pub fn get(&self, window: Window) -> Option<u64> {
        match window {
            Window::Second => self.per_second,
            Window::Minute => self.per_minute,
            Window::Day => self.per_day,
            Window::Month => self.per_month,
        }
    }

    pub fn is_empty(&self) -> bool {
        Window::ALL.iter().all(|w| self.get(*w).is_none())
    }
}

/// The largest limit accepted: beyond it a limit means nothing a counter could tell.
pub const MAX_LIMIT: u64 = 1_000_000_000_000;
pub const MAX_ROUTES: usize = 100;
pub const MAX_SHARDS: u32 = 32;
pub const MAX_ROUTE_KEY_CHARS: usize = 300;
/// A route key as [`validate_route_key`] accepts it, for the document.
pub const ROUTE_KEY_PATTERN: &str =
    "^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /[^\\s\\u0000-\\u001f\\u007f-\\u009f]{0,290}$";

/// The limits of a key, or of a tenant's plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitSet {
    /// Counted over all of the key's requests together.
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub all_routes: Limits,
    /// Counted per route key (`GET /orders/{id}`), in addition to `all_routes`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = MAX_ROUTES, "propertyNames" = {"pattern": ROUTE_KEY_PATTERN}))]
    pub routes: BTreeMap<String, Limits>,
    /// Spreads each counter over this many shards, for keys hotter than about 1,000
    /// requests a second. Each shard enforces its share of the limit, so the total
    /// allowed never exceeds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_SHARDS))]
    pub counter_shards: Option<u32>,
}

impl LimitSet {
    pub fn is_empty(&self) -> bool {
        self.all_routes.is_empty() && self.routes.is_empty() && self.counter_shards.is_none()
    }

    /// Checks ranges and route keys; the message names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        let check = |field: &str, limits: &Limits| -> Result<(), String> {
            for window in Window::ALL {
                if let Some(limit) = limits.get(window)
                    && !(1..=MAX_LIMIT).contains(&limit)
                {
                    return Err(format!(
                        "`{field}.per_{}` must be between 1 and {MAX_LIMIT}",
                        window.as_str()
                    ));
                }
            }
            Ok(())
        };
        check("all_routes", &self.all_routes)?;
        if self.routes.len() > MAX_ROUTES {
            return Err(format!(
                "at most {MAX_ROUTES} routes may have their own limits"
            ));
        }
        for (route, limits) in &self.routes {
            validate_route_key(route)?;
            check(&format!("routes[\"{route}\"]"), limits)?;
        }
        if let Some(shards) = self.counter_shards
            && !(1..=MAX_SHARDS).contains(&shards)
        {
            return Err(format!(
                "`counter_shards` must be between 1 and {MAX_SHARDS}"
            ));
        }
        Ok(())
    }
}

const METHODS: &[&str] = &[
    "ANY", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
];

/// A route key as API Gateway names routes: `METHOD /path`, the path as declared
/// (`/orders/{id}`), e.g. `GET /orders/{id}`.
pub fn validate_route_key(route: &str) -> Result<(), String> {
    let valid = route.chars().count() <= MAX_ROUTE_KEY_CHARS
        && route.split_once(' ').is_some_and(|(method, path)| {
            METHODS.contains(&method)
                && path.starts_with('/')
                && !path.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a route key: give `METHOD /path` (e.g. `GET /orders/{{id}}`), at most {MAX_ROUTE_KEY_CHARS} characters",
            route.chars().take(60).collect::<String>()
        ))
    }
}

/// Which requests a counter counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CounterScope {
    AllRoutes,
    Route(String),
}

impl CounterScope {
    pub fn label(&self) -> &str {
        match self {
            Self::AllRoutes => "*",
            Self::Route(route) => route,
        }
    }
}

/// One limit that applies to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterSpec {
    pub scope: CounterScope,
    pub window: Window,
    pub limit: u64,
}

/// The counters one request to `route` consumes: window by window, the key's own
/// limit, else the plan's.
pub fn applicable(
    key: Option<&LimitSet>,
    plan: Option<&LimitSet>,
    route: &str,
) -> Vec<CounterSpec> {
    let mut specs = counters_of(CounterScope::AllRoutes, key, plan);
    specs.extend(counters_of(
        CounterScope::Route(route.to_owned()),
        key,
        plan,
    ));
    specs
}

/// The counters of one counting scope.
fn counters_of(
    scope: CounterScope,
    key: Option<&LimitSet>,
    plan: Option<&LimitSet>,
) -> Vec<CounterSpec> {
    let (own, inherited) = match &scope {
        CounterScope::AllRoutes => (key.map(|k| &k.all_routes), plan.map(|p| &p.all_routes)),
        CounterScope::Route(route) => (
            key.and_then(|k| k.routes.get(route)),
            plan.and_then(|p| p.routes.get(route)),
        ),
    };
    Window::ALL
        .into_iter()
        .filter_map(|window| {
            let limit = own
                .and_then(|l| l.get(window))
                .or_else(|| inherited.and_then(|l| l.get(window)))?;
            Some(CounterSpec {
                scope: scope.clone(),
                window,
                limit,
            })
        })
        .collect()
}

/// Every scope a key can have counters in: all routes, and each route with a limit
/// of its own or in the plan.
pub fn counting_scopes(key: Option<&LimitSet>, plan: Option<&LimitSet>) -> Vec<CounterScope> {
    let routes: std::collections::BTreeSet<&String> = key
        .iter()
        .flat_map(|l| l.routes.keys())
        .chain(plan.iter().flat_map(|p| p.routes.keys()))
        .collect();
    std::iter::once(CounterScope::AllRoutes)
        .chain(routes.into_iter().map(|r| CounterScope::Route(r.clone())))
        .collect()
}

/// Every counter a key has, each once.
pub fn all_counters(key: Option<&LimitSet>, plan: Option<&LimitSet>) -> Vec<CounterSpec> {
    counting_scopes(key, plan)
        .into_iter()
        .flat_map(|scope| counters_of(scope, key, plan))
        .collect()
}

/// How many counter shards a key uses: its own setting, else the plan's, else one.
pub fn shard_count(key: Option<&LimitSet>, plan: Option<&LimitSet>) -> u32 {
    key.and_then(|k| k.counter_shards)
        .or_else(|| plan.and_then(|p| p.counter_shards))
        .unwrap_or(1)
        .clamp(1, MAX_SHARDS)
}

/// Shard `shard`'s share of `limit` over `shards` shards; the shares sum to `limit`.
pub fn shard_share(limit: u64, shard: u32, shards: u32) -> u64 {
    let shards = u64::from(shards.max(1));
    let shard = u64::from(shard);
    limit / shards + u64::from(shard < limit % shards)
}

/// A request the limits refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub window: Window,
    pub scope: CounterScope,
    pub limit: u64,
    /// When the refusing window ends: the earliest a retry can succeed.
    pub retry_at: OffsetDateTime,
}

impl Refusal {
    /// The deny reason code: `quota_exhausted` for day and month windows,
    /// `rate_limited` for second and minute windows.
    pub fn code(&self) -> &'static str {
        if self.window.is_quota() {
            "quota_exhausted"
        } else {
            "rate_limited"
        }
    }

    /// Whole seconds until the window ends, at least one (the `Retry-After` value).
    pub fn retry_after_seconds(&self, now: OffsetDateTime) -> u64 {
        let nanos = (self.retry_at - now).whole_nanoseconds().max(0) as u128;
        nanos.div_ceil(1_000_000_000).max(1) as u64
    }
}

#[cfg(test)]
#[path = "tests/limits.rs"]
mod tests;
