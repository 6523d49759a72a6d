use super::*;
use time::macros::datetime;

const P: Policy = Policy::DEFAULT;

fn at(secs: i64) -> OffsetDateTime {
    datetime!(2026-11-25 10:00 UTC) + Duration::seconds(secs)
}

/// The breaker and its counts as the dispatcher advances them.
#[derive(Default)]
struct Model {
    breaker: Breaker,
    counts: Counts,
}

impl Model {
    fn record(&mut self, success: bool, now: OffsetDateTime) {
        self.counts.record(&P, success, now);
        if let Some(state) = self.breaker.after(&P, &self.counts, success, now) {
            self.breaker.state = state;
        }
    }
}

#[test]
fn opens_on_the_failure_ratio_only_with_volume() {
    let mut b = Model::default();
    for i in 0..9 {
        b.record(false, at(i));
    }
    assert_eq!(
        b.breaker.admit(at(9)),
        Admit::Yes,
        "9 attempts are below the minimum volume"
    );
    b.record(false, at(9));
    assert_eq!(b.breaker.admit(at(10)), Admit::NotUntil(at(9) + P.cooldown));

    let mut mixed = Model::default();
    for i in 0..20 {
        mixed.record(i % 3 == 0, at(i)); // two thirds fail
    }
    assert!(matches!(mixed.breaker.state, State::Open { .. }));
    let mut healthy = Model::default();
    for i in 0..20 {
        healthy.record(i % 3 != 0, at(i)); // one third fails
    }
    assert_eq!(healthy.breaker.state, State::Closed);
    assert_eq!(healthy.counts.health_score(&P, at(20)), 65);
}

#[test]
fn a_half_open_probe_closes_or_reopens_with_a_longer_cooldown() {
    let mut b = Model::default();
    for i in 0..10 {
        b.record(false, at(i));
    }
    let reopened_at = at(9) + P.cooldown;
    assert_eq!(b.breaker.admit(reopened_at), Admit::Probe);
    b.breaker.start_probe(reopened_at);
    assert_eq!(
        b.breaker.admit(reopened_at),
        Admit::NotUntil(reopened_at + PROBE_TIMEOUT),
        "one probe at a time"
    );
    b.record(false, reopened_at + Duration::SECOND);
    assert_eq!(
        b.breaker.state,
        State::Open {
            until: reopened_at + Duration::SECOND + P.cooldown * 2,
            cooldown_seconds: 60
        }
    );
    let later = reopened_at + Duration::minutes(5);
    b.breaker.start_probe(later);
    b.record(true, later);
    assert_eq!(b.breaker.state, State::Closed);
    assert_eq!(b.counts.failing_since, None);
}

#[test]
fn a_lost_probe_is_replaced_after_the_timeout() {
    let mut b = Breaker {
        state: State::HalfOpen {
            cooldown_seconds: 30,
            probe_at: at(0),
        },
    };
    assert_eq!(b.admit(at(59)), Admit::NotUntil(at(60)));
    assert_eq!(b.admit(at(61)), Admit::Probe);
    b.start_probe(at(61));
    assert_eq!(b.admit(at(62)), Admit::NotUntil(at(121)));
}

#[test]
fn sustained_failure_disables_and_the_state_round_trips() {
    let mut b = Model::default();
    b.record(false, at(0));
    assert!(
        !b.counts
            .should_disable(&P, at(0) + P.disable_after - Duration::SECOND)
    );
    assert!(b.counts.should_disable(&P, at(0) + P.disable_after));
    b.record(true, at(10));
    assert!(!b.counts.should_disable(&P, at(0) + P.disable_after * 2));
    let text = serde_json::to_string(&b.breaker).unwrap();
    assert_eq!(serde_json::from_str::<Breaker>(&text).unwrap(), b.breaker);
    // Items written before the counts moved out still read.
    let old = r#"{"state":{"state":"closed"},"window_start":0,"attempts":3,"failures":1,"failing_since":null,"health":100}"#;
    assert_eq!(
        serde_json::from_str::<Breaker>(old).unwrap(),
        Breaker::default()
    );
}

#[test]
fn health_uses_the_last_window_until_the_current_one_has_volume() {
    let mut b = Model::default();
    assert_eq!(b.counts.health_score(&P, at(0)), 100, "a new endpoint");
    for i in 0..4 {
        b.record(i == 0, at(i)); // 1 of 4 succeeds
    }
    assert_eq!(
        b.counts.health_score(&P, at(5)),
        100,
        "no volume, no history"
    );
    let next = at(0) + P.window;
    assert_eq!(
        b.counts.health_score(&P, next),
        25,
        "the ended window counts"
    );
    b.record(true, next);
    assert_eq!(
        b.counts.health_score(&P, next),
        25,
        "until this one has volume"
    );
    for i in 1..10 {
        b.record(true, next + Duration::seconds(i));
    }
    assert_eq!(b.counts.health_score(&P, next + Duration::seconds(10)), 100);
    assert_eq!((b.counts.last_attempts, b.counts.last_failures), (4, 3));
}
