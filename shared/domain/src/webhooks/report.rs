//! Per-endpoint delivery statistics over a time range (`GET /v2/webhooks/report`),
//! computed from the delivery index rows: what happened to the deliveries created in
//! the range, how many attempts they took, and how long their last attempts took.

use super::delivery::DeliverySummary;
use crate::webhooks::delivery::DeliveryStatus;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DeliveryStats {
    pub deliveries: u64,
    pub delivered: u64,
    pub failed: u64,
    pub pending: u64,
    pub skipped: u64,
    /// Delivered out of the deliveries that ended delivered or failed, in percent;
    /// `null` when none have ended.
    pub success_rate: Option<f64>,
    /// Attempts made, in all.
    pub attempts: u64,
    /// Attempts after the first, in all.
    pub retries: u64,
    /// Attempts per delivered delivery, on average.
    pub attempts_per_delivery: Option<f64>,
    pub latency_ms: Option<LatencyStats>,
}

/// The last attempt's duration across deliveries with an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LatencyStats {
    pub p50: u64,
    pub p95: u64,
    pub max: u64,
}

impl DeliveryStats {
    pub fn of(rows: &[DeliverySummary]) -> Self {
        let mut stats = Self::default();
        let mut latencies = Vec::new();
        let mut delivered_attempts = 0u64;
        for row in rows {
            stats.deliveries += 1;
            match row.status {
                DeliveryStatus::Delivered => {
                    stats.delivered += 1;
                    delivered_attempts += u64::from(row.attempts);
                }
                DeliveryStatus::Failed => stats.failed += 1,
                DeliveryStatus::Pending => stats.pending += 1,
                DeliveryStatus::Skipped => stats.skipped += 1,
            }
            stats.attempts += u64::from(row.attempts);
            stats.retries += u64::from(row.attempts.saturating_sub(1));
            latencies.extend(row.last_latency_ms);
        }
        let ended = stats.delivered + stats.failed;
        stats.success_rate = (ended > 0).then(|| percent(stats.delivered, ended));
        stats.attempts_per_delivery = (stats.delivered > 0)
            .then(|| round2(delivered_attempts as f64 / stats.delivered as f64));
        latencies.sort_unstable();
        stats.latency_ms = latencies.last().map(|&max| LatencyStats {
            p50: nearest_rank(&latencies, 0.50),
            p95: nearest_rank(&latencies, 0.95),
            max,
        });
        stats
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    round2(100.0 * part as f64 / whole as f64)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The nearest-rank quantile of sorted, non-empty values.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
#[path = "tests/report.rs"]
mod tests;
