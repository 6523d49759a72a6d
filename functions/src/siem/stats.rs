//! `GET /v2/integrations/siem/{destination_id}/stats` (`get_siem_ingestion_stats`):
//! per UTC day, events sent, retried, dropped by the filter and dead-lettered, the
//! commit-to-sink latency (p50, p99), and the destination's last error.

use crate::openapi::{Operation, Reply, Tag};
use gatehouse::config::Needs;
use gatehouse::http::call::Call;
use gatehouse::http::query::{Param, Query};
use gatehouse::http::schema::of;
use gatehouse::http::{ApiResult, json_response};
use gatehouse::integrations::HealthView;
use gatehouse::siem::delivery::quantile;
use gatehouse::store::siem_stats::Counts;
use schemars::JsonSchema;
use serde::Serialize;

/// What this function reads and requires at start (template.yaml gives it exactly
/// these variables).
pub const NEEDS: Needs = Needs::INTEGRATIONS
    .with(Needs::AUDIT)
    .with(Needs::EPHEMERAL);

pub const ACTION: &str = "siem.destination.stats";

const DAYS: Param = Param::number(
    "days",
    "UTC days back, today included (default 1).",
    1,
    30,
    Some(1),
);
const QUERY: &[Param] = &[DAYS];

pub const DOC: Operation = Operation {
    description: "Delivery figures per UTC day (kept 35 days) and in total. Latency is from the change's commit to the sink's acceptance, in bucket bounds (10 ms ... 1 h).",
    query: QUERY,
    ..Operation::new(
        Tag::Integrations,
        "SIEM delivery statistics",
        &[Reply::new(200, "The statistics", of::<Stats>())],
    )
};

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemDeliveryFigures")]
struct Figures {
    sent: u64,
    retried: u64,
    dropped_by_filter: u64,
    dead_lettered: u64,
    latency_p50_ms: Option<u64>,
    latency_p99_ms: Option<u64>,
}

impl Figures {
    fn of(c: &Counts) -> Self {
        Self {
            sent: c.sent,
            retried: c.retried,
            dropped_by_filter: c.dropped,
            dead_lettered: c.dead_lettered,
            latency_p50_ms: quantile(&c.latency, 0.5),
            latency_p99_ms: quantile(&c.latency, 0.99),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemDay")]
struct Day {
    /// `YYYY-MM-DD` (UTC).
    day: String,
    #[serde(flatten)]
    figures: Figures,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SiemStats")]
struct Stats {
    destination_id: gatehouse::ids::IntegrationId,
    total: Figures,
    days: Vec<Day>,
    /// The destination's health, with its last error.
    health: HealthView,
}

/// The route's logic; the framework has verified the caller and the route's scope.
pub async fn handle(call: &Call<'_>) -> ApiResult {
    let query = Query::from_request(call.req, QUERY)?;
    let days = query.number(&DAYS)?.unwrap_or(1);
    let destination = gatehouse::siem::load(call).await?;
    let today = call.now.date();
    let dates: Vec<time::Date> = (0..days)
        .filter_map(|back| today.checked_sub(time::Duration::days(back as i64)))
        .collect();
    let counts = call
        .app
        .siem
        .stats
        .days(&destination.tenant_id, &destination.destination_id, &dates)
        .await?;
    let mut total = Counts::default();
    for c in &counts {
        total.add(c);
    }
    Ok(json_response(
        200,
        &Stats {
            destination_id: destination.destination_id.clone(),
            total: Figures::of(&total),
            days: dates
                .iter()
                .zip(&counts)
                .map(|(d, c)| Day {
                    day: d.to_string(),
                    figures: Figures::of(c),
                })
                .collect(),
            health: HealthView::of(&destination.health),
        },
    ))
}
