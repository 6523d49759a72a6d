use super::*;
use time::macros::datetime;

fn row(status: DeliveryStatus, attempts: u32, latency: Option<u64>) -> DeliverySummary {
    DeliverySummary {
        delivery_id: "dlv".into(),
        event_type: "api_key.created".into(),
        created_at: datetime!(2026-11-25 10:00 UTC),
        status,
        attempts,
        last_status: None,
        last_latency_ms: latency,
    }
}

#[test]
fn counts_rates_retries_and_latency() {
    let mut rows = vec![
        row(DeliveryStatus::Delivered, 1, Some(40)),
        row(DeliveryStatus::Delivered, 3, Some(10)),
        row(DeliveryStatus::Failed, 11, Some(15_000)),
        row(DeliveryStatus::Pending, 0, None),
        row(DeliveryStatus::Skipped, 2, Some(20)),
    ];
    let stats = DeliveryStats::of(&rows);
    assert_eq!(
        (
            stats.deliveries,
            stats.delivered,
            stats.failed,
            stats.pending,
            stats.skipped
        ),
        (5, 2, 1, 1, 1)
    );
    assert_eq!(stats.success_rate, Some(66.67));
    assert_eq!((stats.attempts, stats.retries), (17, 13));
    assert_eq!(stats.attempts_per_delivery, Some(2.0));
    assert_eq!(
        stats.latency_ms,
        Some(LatencyStats {
            p50: 20,
            p95: 15_000,
            max: 15_000
        })
    );

    rows.truncate(0);
    let empty = DeliveryStats::of(&rows);
    assert_eq!(empty.deliveries, 0);
    assert_eq!(
        empty.success_rate, None,
        "nothing ended: no rate, not 0 or 100"
    );
    assert_eq!(empty.latency_ms, None);
}
