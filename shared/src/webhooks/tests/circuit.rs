use super::*;
use time::macros::datetime;

const P: Policy = Policy::DEFAULT;

fn at(secs: i64) -> OffsetDateTime {
    datetime!(2026-11-25 10:00 UTC) + Duration::seconds(secs)
}

#[test]
fn opens_on_the_failure_ratio_only_with_volume() {
    let mut b = Breaker::default();
    for i in 0..9 {
        b.record(&P, false, at(i));
    }
    assert_eq!(
        b.admit(at(9)),
        Admit::Yes,
        "9 attempts are below the minimum volume"
    );
    b.record(&P, false, at(9));
    assert_eq!(b.admit(at(10)), Admit::NotUntil(at(9) + P.cooldown));

    let mut mixed = Breaker::default();
    for i in 0..20 {
        mixed.record(&P, i % 3 == 0, at(i)); // two thirds fail
    }
    assert!(matches!(mixed.state, State::Open { .. }));
    let mut healthy = Breaker::default();
    for i in 0..20 {
        healthy.record(&P, i % 3 != 0, at(i)); // one third fails
    }
    assert_eq!(healthy.state, State::Closed);
    assert_eq!(healthy.health_score(&P), 65);
}

#[test]
fn a_half_open_probe_closes_or_reopens_with_a_longer_cooldown() {
    let mut b = Breaker::default();
    for i in 0..10 {
        b.record(&P, false, at(i));
    }
    let reopened_at = at(9) + P.cooldown;
    assert_eq!(b.admit(reopened_at), Admit::Probe);
    b.start_probe(reopened_at);
    assert_eq!(
        b.admit(reopened_at),
        Admit::NotUntil(reopened_at + PROBE_TIMEOUT),
        "one probe at a time"
    );
    b.record(&P, false, reopened_at + Duration::SECOND);
    assert_eq!(
        b.state,
        State::Open {
            until: reopened_at + Duration::SECOND + P.cooldown * 2,
            cooldown_seconds: 60
        }
    );
    let later = reopened_at + Duration::minutes(5);
    b.start_probe(later);
    b.record(&P, true, later);
    assert_eq!(b.state, State::Closed);
    assert_eq!(b.failing_since, None);
}

#[test]
fn a_lost_probe_is_replaced_after_the_timeout() {
    let mut b = Breaker {
        state: State::HalfOpen {
            cooldown_seconds: 30,
            probe_at: at(0),
        },
        ..Breaker::default()
    };
    assert_eq!(b.admit(at(59)), Admit::NotUntil(at(60)));
    assert_eq!(b.admit(at(61)), Admit::Probe);
    b.start_probe(at(61));
    assert_eq!(b.admit(at(62)), Admit::NotUntil(at(121)));
}

#[test]
fn sustained_failure_disables_and_the_state_round_trips() {
    let mut b = Breaker::default();
    b.record(&P, false, at(0));
    assert!(!b.should_disable(&P, at(0) + P.disable_after - Duration::SECOND));
    assert!(b.should_disable(&P, at(0) + P.disable_after));
    b.record(&P, true, at(10));
    assert!(!b.should_disable(&P, at(0) + P.disable_after * 2));
    let text = serde_json::to_string(&b).unwrap();
    assert_eq!(serde_json::from_str::<Breaker>(&text).unwrap(), b);
}
