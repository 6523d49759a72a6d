use super::*;
use time::macros::datetime;

#[test]
fn the_default_schedule_spans_about_three_days() {
    let total: Duration = DEFAULT_SCHEDULE.iter().copied().sum();
    assert!(
        total > Duration::days(3) && total < Duration::days(4),
        "{total}"
    );
    assert_eq!(DEFAULT_SCHEDULE.len() + 1, 11, "attempts in all");
}

#[test]
fn failures_follow_the_schedule_with_bounded_jitter() {
    let s = DEFAULT_SCHEDULE;
    assert_eq!(
        after_attempt(s, 1, AttemptResult::Failed, 0.5),
        Next::RetryIn(Duration::seconds(5))
    );
    let Next::RetryIn(low) = after_attempt(s, 5, AttemptResult::Failed, 0.0) else {
        panic!()
    };
    let Next::RetryIn(high) = after_attempt(s, 5, AttemptResult::Failed, 0.999_999) else {
        panic!()
    };
    assert!(low >= Duration::hours(2) * 0.8 && high <= Duration::hours(2) * 1.2);
    assert!(high - low > Duration::minutes(40));
    assert_eq!(
        after_attempt(s, 11, AttemptResult::Failed, 0.5),
        Next::GiveUp
    );
}

#[test]
fn status_classes_decide() {
    let s = DEFAULT_SCHEDULE;
    assert_eq!(
        after_attempt(s, 3, AttemptResult::from_status(204, None), 0.5),
        Next::Done
    );
    assert_eq!(
        after_attempt(s, 1, AttemptResult::from_status(410, None), 0.5),
        Next::GiveUp
    );
    let wait = Some(Duration::seconds(120));
    assert_eq!(
        after_attempt(s, 1, AttemptResult::from_status(429, wait), 0.5),
        Next::RetryIn(Duration::seconds(120))
    );
    assert_eq!(
        after_attempt(
            s,
            1,
            AttemptResult::from_status(503, Some(Duration::days(9))),
            0.5
        ),
        Next::RetryIn(MAX_RETRY_AFTER)
    );
    assert_eq!(AttemptResult::from_status(500, None), AttemptResult::Failed);
    assert_eq!(
        AttemptResult::from_status(301, None),
        AttemptResult::Failed,
        "redirects are not followed"
    );
}

#[test]
fn long_waits_hop_through_sqs_in_fifteen_minute_steps() {
    assert_eq!(next_hop(Duration::hours(5)), MAX_SQS_DELAY);
    assert_eq!(next_hop(Duration::minutes(3)), Duration::minutes(3));
    assert_eq!(next_hop(Duration::seconds(-4)), Duration::ZERO);
}

#[test]
fn retry_after_takes_seconds_or_a_date() {
    let now = datetime!(2026-11-25 10:00:00 UTC);
    assert_eq!(parse_retry_after("120", now), Some(Duration::minutes(2)));
    assert_eq!(
        parse_retry_after("Wed, 25 Nov 2026 10:05:00 GMT", now),
        Some(Duration::minutes(5))
    );
    assert_eq!(
        parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("-5", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
}
