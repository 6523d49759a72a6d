//! `GET /v2/api-keys/{key_id}/usage`: a key's usage statistics over a time range at
//! minute, hour or day granularity (per bucket: totals and a per-route breakdown),
//! how much of each rate limit and quota its current window has used, `last_used_at`,
//! and recent anomaly findings.
//!
//! Query: `granularity` (`minute`, `hour` (default), `day`), and either `time_range`
//! (`<n>m`, `<n>h` or `<n>d` back from now; default 60m, 24h or 30d by granularity)
//! or `from` and `to` (RFC 3339). At most [`MAX_BUCKETS`] buckets.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Param;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::keys::lifecycle::load_key;
use gatehouse::schema::Rfc3339;
use gatehouse::usage::stats::{ALL_ROUTES, StatsView};
use gatehouse::usage::{Granularity, KeyRef, Stats};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::KEYS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL)
    .with(Needs::USAGE);

pub const ACTION: &str = "api_key.usage_read";

const GRANULARITY: Param = Param::text(
    "granularity",
    "`minute`, `hour` (default) or `day`.",
    of::<Granularity>(),
);
const TIME_RANGE: Param = Param::text(
    "time_range",
    "How far back from now: `90m`, `24h`, `7d`. Not with `from`/`to`.",
    of::<TimeRange>(),
);
const FROM: Param = Param::time("from", "Start (RFC 3339).");
const TO: Param = Param::time("to", "End, exclusive (RFC 3339; default now).");
const QUERY: &[Param] = &[GRANULARITY, TIME_RANGE, FROM, TO];

/// `time_range`: a whole number and a unit ([`span`]).
struct TimeRange;

gatehouse::inline_string_schema!(TimeRange, "TimeRange", {
    "type": "string",
    "pattern": "^[1-9][0-9]{0,4}[mhd]$",
});

pub const DOC: Operation = Operation {
    description: "Requests per bucket (minute, hour or day) with status classes, latency and a per-route breakdown; the current use of every rate limit and quota; `last_used_at`; anomaly findings of the last 30 days.",
    query: QUERY,
    ..Operation::new(
        Tag::Usage,
        "Usage statistics of a key",
        &[Reply::new(200, "The key's usage", of::<KeyUsage>())],
    )
};
pub const MAX_BUCKETS: i64 = 1500;
const ANOMALY_WINDOW: Duration = Duration::days(30);

/// A key's usage over `[from, to)`, its limits' current use and recent anomalies.
#[derive(Serialize, JsonSchema)]
struct KeyUsage {
    key_id: gatehouse::ids::KeyId,
    granularity: Granularity,
    #[schemars(with = "Rfc3339")]
    from: String,
    #[schemars(with = "Rfc3339")]
    to: String,
    totals: StatsView,
    buckets: Vec<Bucket>,
    #[schemars(with = "Option<Rfc3339>")]
    last_used_at: Option<String>,
    limits: Vec<LimitUse>,
    anomalies: Vec<gatehouse::usage::anomaly::Finding>,
}

/// One bucket: its totals and the same figures per route.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "UsageBucket")]
struct Bucket {
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Rfc3339")]
    start: OffsetDateTime,
    #[serde(flatten)]
    totals: StatsView,
    routes: BTreeMap<String, StatsView>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct LimitUse {
    scope: String,
    #[schemars(with = "gatehouse::limits::Window")]
    window: &'static str,
    limit: u64,
    used: u64,
    remaining: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "Rfc3339")]
    resets_at: OffsetDateTime,
}

/// `[from, to)` and the granularity the query asks for.
pub fn range(
    query: &Query,
    now: OffsetDateTime,
) -> Result<(Granularity, OffsetDateTime, OffsetDateTime), Problem> {
    let granularity = match query.text(&GRANULARITY) {
        None => Granularity::Hour,
        Some(text) => Granularity::parse(text).ok_or_else(|| {
            Problem::invalid_parameter("`granularity` must be `minute`, `hour` or `day`")
        })?,
    };
    let (from, to) = match (
        query.text(&TIME_RANGE),
        query.time(&FROM)?,
        query.time(&TO)?,
    ) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(Problem::invalid_parameter(
                "give either `time_range` or `from`/`to`, not both",
            ));
        }
        (Some(text), None, None) => (now - span(text)?, now),
        (None, from, to) => {
            let to = to.unwrap_or(now);
            let default = match granularity {
                Granularity::Minute => Duration::HOUR,
                Granularity::Hour => Duration::DAY,
                Granularity::Day => Duration::days(30),
            };
            (from.unwrap_or(to - default), to)
        }
    };
    if from >= to {
        return Err(Problem::invalid_parameter("`from` must be before `to`"));
    }
    if (to - from).whole_seconds() / granularity.length().whole_seconds() > MAX_BUCKETS {
        return Err(Problem::invalid_parameter(format!(
            "the range holds more than {MAX_BUCKETS} buckets; narrow it or use a coarser `granularity`"
        )));
    }
    Ok((granularity, from, to))
}

/// `90m`, `24h`, `7d`.
fn span(text: &str) -> Result<Duration, Problem> {
    let bad = || {
        Problem::invalid_parameter(
            "`time_range` must be a whole number and a unit: `90m`, `24h`, `7d`",
        )
    };
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = digits
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n <= 100_000)
        .ok_or_else(bad)?;
    match unit {
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        _ => Err(bad()),
    }
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, QUERY)?;
    let (granularity, from, to) = range(&query, call.now)?;
    let key = load_key(call).await?;
    let key_ref = KeyRef {
        tenant_id: key.tenant_id.to_string(),
        key_id: key.key_id.to_string(),
    };
    let rows = call
        .app
        .usage
        .key_buckets(
            &key_ref,
            granularity,
            granularity.bucket(from),
            to.unix_timestamp(),
        )
        .await?;
    let mut totals = Stats::default();
    let mut buckets: BTreeMap<i64, (Stats, BTreeMap<String, StatsView>)> = BTreeMap::new();
    for row in rows {
        let (bucket_totals, routes) = buckets.entry(row.start).or_default();
        if row.route == ALL_ROUTES {
            totals.merge(&row.stats);
            *bucket_totals = row.stats;
        } else {
            routes.insert(row.route, row.stats.view());
        }
    }
    let buckets: Vec<Bucket> = buckets
        .into_iter()
        .map(|(start, (stats, routes))| Bucket {
            start: OffsetDateTime::from_unix_timestamp(start).unwrap_or(from),
            totals: stats.view(),
            routes,
        })
        .collect();

    let plan = call.app.policies.get(&key.tenant_id).await?.policy.plan;
    let now = call.app.clock.precise_now();
    let limits: Vec<LimitUse> = call
        .app
        .counters
        .key_counters(&key, &plan, now)
        .await?
        .into_iter()
        .map(|(spec, used)| LimitUse {
            scope: spec.scope.label().to_owned(),
            window: spec.window.as_str(),
            limit: spec.limit,
            used,
            remaining: spec.limit.saturating_sub(used),
            resets_at: spec.window.end(now),
        })
        .collect();
    let anomalies = call
        .app
        .usage
        .findings(&key_ref, call.now - ANOMALY_WINDOW, 20)
        .await?;
    Ok(json_response(
        200,
        &KeyUsage {
            key_id: key.key_id,
            granularity,
            from: rfc3339(from),
            to: rfc3339(to),
            totals: totals.view(),
            buckets,
            last_used_at: key.last_used_at.map(rfc3339),
            limits,
            anomalies,
        },
    ))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
