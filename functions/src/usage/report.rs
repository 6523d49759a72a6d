//! `GET /v2/usage/report`: the tenant's usage over a period, per key and per day
//! (`generate_usage_report`). `period` is a month (`2026-11`, the default: the current
//! month) or a day (`2026-11-25`), UTC.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::Param;
use gatehouse::http::query::Query;
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, Problem, json_response};
use gatehouse::limits::Window;
use gatehouse::schema::CalendarDate;
use gatehouse::usage::Stats;
use gatehouse::usage::stats::StatsView;
use schemars::JsonSchema;
use std::collections::BTreeMap;
use time::{Date, Duration, OffsetDateTime};

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::AUDIT.with(Needs::USAGE);

/// Requests per key and per day over the period (UTC).
#[derive(serde::Serialize, JsonSchema)]
struct UsageReport {
    tenant_id: gatehouse::ids::TenantId,
    period: String,
    totals: StatsView,
    keys: Vec<KeyLine>,
    days: Vec<DayLine>,
}

#[derive(serde::Serialize, JsonSchema)]
struct KeyLine {
    key_id: String,
    usage: StatsView,
}

#[derive(serde::Serialize, JsonSchema)]
struct DayLine {
    #[schemars(with = "CalendarDate")]
    day: String,
    usage: StatsView,
}

pub const ACTION: &str = "usage.report";

const PERIOD: Param = Param::text(
    "period",
    "A month (`2026-11`, default: the current one) or a day (`2026-11-25`).",
    of::<Period>(),
);

/// `period`: a month or a day ([`period`] checks that it exists).
struct Period;

gatehouse::inline_string_schema!(Period, "Period", {
    "type": "string",
    "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$",
});

pub const DOC: Operation = Operation {
    description: "Requests per key and per day over a month or a day (UTC).",
    query: &[PERIOD],
    ..Operation::new(
        Tag::Usage,
        "Tenant usage report",
        &[Reply::new(200, "The report", of::<UsageReport>())],
    )
};

/// The period's label and `[start, end)`.
fn period(
    text: Option<&str>,
    now: OffsetDateTime,
) -> Result<(String, OffsetDateTime, OffsetDateTime), Problem> {
    let bad = || {
        Problem::invalid_parameter("`period` must be a month (`2026-11`) or a day (`2026-11-25`)")
    };
    let day_format = time::macros::format_description!("[year]-[month]-[day]");
    match text {
        None => {
            let start = Window::Month.start(now);
            Ok((label(start, false), start, Window::Month.end(now)))
        }
        Some(t) if t.len() == 10 => {
            let day = Date::parse(t, &day_format).map_err(|_| bad())?;
            let start = day.midnight().assume_utc();
            Ok((t.to_owned(), start, start + Duration::DAY))
        }
        Some(t) if t.len() == 7 => {
            let day = Date::parse(&format!("{t}-01"), &day_format).map_err(|_| bad())?;
            let start = day.midnight().assume_utc();
            Ok((t.to_owned(), start, Window::Month.end(start)))
        }
        Some(_) => Err(bad()),
    }
}

fn label(start: OffsetDateTime, day: bool) -> String {
    let text = format!(
        "{:04}-{:02}-{:02}",
        start.year(),
        u8::from(start.month()),
        start.day()
    );
    if day { text } else { text[..7].to_owned() }
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, &[PERIOD])?;
    let (name, start, end) = period(query.text(&PERIOD), call.now)?;
    let rows = call
        .app
        .usage
        .report(
            call.caller.tenant_id.as_str(),
            start.unix_timestamp(),
            end.unix_timestamp(),
        )
        .await?;
    let mut totals = Stats::default();
    let mut keys: BTreeMap<String, Stats> = BTreeMap::new();
    let mut days: BTreeMap<i64, Stats> = BTreeMap::new();
    for (day, key, stats) in rows {
        totals.merge(&stats);
        keys.entry(key).or_default().merge(&stats);
        days.entry(day).or_default().merge(&stats);
    }
    let keys: Vec<_> = keys
        .into_iter()
        .map(|(key_id, stats)| KeyLine {
            key_id,
            usage: stats.view(),
        })
        .collect();
    let days: Vec<_> = days
        .into_iter()
        .map(|(day, stats)| {
            let at = OffsetDateTime::from_unix_timestamp(day).unwrap_or(start);
            DayLine {
                day: label(at, true),
                usage: stats.view(),
            }
        })
        .collect();
    Ok(json_response(
        200,
        &UsageReport {
            tenant_id: call.caller.tenant_id.clone(),
            period: name,
            totals: totals.view(),
            keys,
            days,
        },
    ))
}
