use super::*;
use time::macros::datetime;

fn stats(requests: u64, auth_errors: u64) -> Stats {
    Stats {
        requests,
        auth_errors,
        ..Stats::default()
    }
}

#[test]
fn a_burst_needs_volume_and_a_multiple_of_the_baseline() {
    let minute = datetime!(2026-11-25 10:00 UTC);
    assert!(burst(minute, &stats(150, 0), 2.0).is_some());
    assert!(
        burst(minute, &stats(150, 0), 20.0).is_none(),
        "within 10x baseline"
    );
    assert!(
        burst(minute, &stats(99, 0), 0.0).is_none(),
        "below the volume floor"
    );
}

#[test]
fn an_error_storm_needs_count_and_ratio() {
    let minute = datetime!(2026-11-25 10:00 UTC);
    assert!(error_storm(minute, &stats(30, 20)).is_some());
    assert!(
        error_storm(minute, &stats(100, 20)).is_none(),
        "20% is not a storm"
    );
    assert!(error_storm(minute, &stats(19, 19)).is_none(), "too few");
}

#[test]
fn sources_are_learned_silently_during_the_learning_period() {
    let first = datetime!(2026-11-25 10:00 UTC);
    let early = first + Duration::minutes(59);
    assert!(new_source(AnomalyKind::NewSourceIp, "203.0.113.9", early, first).is_none());
    let later = new_source(
        AnomalyKind::NewSourceIp,
        "203.0.113.9",
        first + Duration::hours(2),
        first,
    )
    .unwrap();
    assert!(later.detail.contains("203.0.113.9"));
    assert_eq!(
        later.dedupe,
        format!(
            "{}#203.0.113.9",
            (first + Duration::hours(2)).unix_timestamp() / 3600
        )
    );
}
