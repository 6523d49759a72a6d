//! Usage statistics: per-bucket counters and how a batch of access records folds
//! into them (pure; [`super::store`] writes them with atomic ADDs).

use super::log::AccessRecord;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use time::{Duration, OffsetDateTime};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Minute,
    Hour,
    Day,
}

impl Granularity {
    pub const ALL: [Granularity; 3] = [Self::Minute, Self::Hour, Self::Day];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "minute" => Some(Self::Minute),
            "hour" => Some(Self::Hour),
            "day" => Some(Self::Day),
            _ => None,
        }
    }

    /// The sort-key prefix of this granularity's items.
    pub fn code(self) -> &'static str {
        match self {
            Self::Minute => "m",
            Self::Hour => "h",
            Self::Day => "d",
        }
    }

    pub fn length(self) -> Duration {
        match self {
            Self::Minute => Duration::MINUTE,
            Self::Hour => Duration::HOUR,
            Self::Day => Duration::DAY,
        }
    }

    /// How long buckets of this granularity are kept (DynamoDB TTL).
    pub fn retention(self) -> Duration {
        match self {
            Self::Minute => Duration::days(3),
            Self::Hour => Duration::days(62),
            Self::Day => Duration::days(400),
        }
    }

    /// The start of the bucket holding `at`, as Unix seconds.
    pub fn bucket(self, at: OffsetDateTime) -> i64 {
        let step = self.length().whole_seconds();
        at.unix_timestamp().div_euclid(step) * step
    }
}

/// Upper bounds (ms) of the latency histogram's buckets; one more bucket holds the rest.
pub const LATENCY_BOUNDS_MS: [u64; 7] = [10, 25, 50, 100, 250, 500, 1000];
pub const LATENCY_BUCKETS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// Counters of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: u64,
    /// Responses by status class: 2xx, 3xx, 4xx, 5xx.
    pub by_class: [u64; 4],
    /// 401 and 403 responses (part of 4xx).
    pub auth_errors: u64,
    pub latency_sum_ms: u64,
    pub latency_histogram: [u64; LATENCY_BUCKETS],
}

impl Stats {
    pub const CLASS_NAMES: [&'static str; 4] = ["2xx", "3xx", "4xx", "5xx"];

    pub fn add(&mut self, record: &AccessRecord) {
        self.requests += 1;
        if let Some(class) = (record.status / 100).checked_sub(2).map(usize::from)
            && class < 4
        {
            self.by_class[class] += 1;
        }
        if matches!(record.status, 401 | 403) {
            self.auth_errors += 1;
        }
        self.latency_sum_ms += record.latency_ms;
        let slot = LATENCY_BOUNDS_MS
            .iter()
            .position(|bound| record.latency_ms <= *bound)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        self.latency_histogram[slot] += 1;
    }

    pub fn merge(&mut self, other: &Stats) {
        self.requests += other.requests;
        for (a, b) in self.by_class.iter_mut().zip(other.by_class) {
            *a += b;
        }
        self.auth_errors += other.auth_errors;
        self.latency_sum_ms += other.latency_sum_ms;
        for (a, b) in self
            .latency_histogram
            .iter_mut()
            .zip(other.latency_histogram)
        {
            *a += b;
        }
    }

    /// The histogram bound at or below which `q` (0..1) of requests completed; `None`
    /// without requests or when the quantile is in the open-ended top bucket.
    pub fn latency_quantile_ms(&self, q: f64) -> Option<u64> {
        let total: u64 = self.latency_histogram.iter().sum();
        if total == 0 {
            return None;
        }
        let target = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, count) in self.latency_histogram.iter().enumerate() {
            seen += count;
            if seen >= target {
                return LATENCY_BOUNDS_MS.get(i).copied();
            }
        }
        None
    }

    pub fn view(&self) -> StatsView {
        StatsView {
            requests: self.requests,
            status: Self::CLASS_NAMES
                .iter()
                .zip(self.by_class)
                .map(|(name, n)| ((*name).to_owned(), n))
                .collect(),
            auth_errors: self.auth_errors,
            avg_latency_ms: (self.requests > 0)
                .then(|| self.latency_sum_ms as f64 / self.requests as f64),
            p50_latency_ms_at_most: self.latency_quantile_ms(0.5),
            p99_latency_ms_at_most: self.latency_quantile_ms(0.99),
        }
    }
}

/// Requests, status classes and latency over a period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StatsView {
    pub requests: u64,
    pub status: BTreeMap<String, u64>,
    pub auth_errors: u64,
    pub avg_latency_ms: Option<f64>,
    /// Histogram bounds: the quantile is at most this many ms (`null`: over 1000 ms).
    pub p50_latency_ms_at_most: Option<u64>,
    pub p99_latency_ms_at_most: Option<u64>,
}

/// The route a bucket counts, `*` for all of the key's routes together.
pub const ALL_ROUTES: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRef {
    pub tenant_id: String,
    pub key_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BucketKey {
    pub key: KeyRef,
    pub granularity: Granularity,
    pub start: i64,
    /// `GET /orders/{id}` or [`ALL_ROUTES`].
    pub route: String,
}

/// Where a key was used from in a batch: each source with its first time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub ips: BTreeMap<String, OffsetDateTime>,
    pub user_agents: BTreeMap<String, OffsetDateTime>,
}

/// A batch of access records folded into what must be written.
#[derive(Debug, Default)]
pub struct Batch {
    pub buckets: BTreeMap<BucketKey, Stats>,
    /// Per tenant, day and key: the tenant's usage report.
    pub report: BTreeMap<(String, i64, String), Stats>,
    pub last_used: BTreeMap<KeyRef, OffsetDateTime>,
    pub sources: BTreeMap<KeyRef, Sources>,
    /// Minutes each key was seen in (for anomaly checks on the all-routes bucket).
    pub minutes: BTreeMap<KeyRef, BTreeSet<i64>>,
}

pub fn fold(records: &[AccessRecord]) -> Batch {
    let mut batch = Batch::default();
    for record in records {
        let key = KeyRef {
            tenant_id: record.tenant_id.clone(),
            key_id: record.key_id.clone(),
        };
        for granularity in Granularity::ALL {
            let start = granularity.bucket(record.at);
            for route in [record.route.as_str(), ALL_ROUTES] {
                batch
                    .buckets
                    .entry(BucketKey {
                        key: key.clone(),
                        granularity,
                        start,
                        route: route.to_owned(),
                    })
                    .or_default()
                    .add(record);
            }
        }
        let day = Granularity::Day.bucket(record.at);
        batch
            .report
            .entry((key.tenant_id.clone(), day, key.key_id.clone()))
            .or_default()
            .add(record);
        let last = batch.last_used.entry(key.clone()).or_insert(record.at);
        *last = (*last).max(record.at);
        let sources = batch.sources.entry(key.clone()).or_default();
        if let Some(ip) = &record.source_ip {
            let first = sources.ips.entry(ip.clone()).or_insert(record.at);
            *first = (*first).min(record.at);
        }
        if let Some(ua) = &record.user_agent {
            let first = sources.user_agents.entry(ua.clone()).or_insert(record.at);
            *first = (*first).min(record.at);
        }
        batch
            .minutes
            .entry(key)
            .or_default()
            .insert(Granularity::Minute.bucket(record.at));
    }
    batch
}
