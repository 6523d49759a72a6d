use super::*;
use time::macros::datetime;

#[test]
fn windows_align_to_utc_calendar_boundaries() {
    let now = datetime!(2026-12-31 23:59:59.250 UTC);
    assert_eq!(
        Window::Second.start(now),
        datetime!(2026-12-31 23:59:59 UTC)
    );
    assert_eq!(Window::Second.end(now), datetime!(2027-01-01 00:00:00 UTC));
    assert_eq!(
        Window::Minute.start(now),
        datetime!(2026-12-31 23:59:00 UTC)
    );
    assert_eq!(Window::Day.start(now), datetime!(2026-12-31 00:00:00 UTC));
    assert_eq!(Window::Month.start(now), datetime!(2026-12-01 00:00:00 UTC));
    assert_eq!(Window::Month.end(now), datetime!(2027-01-01 00:00:00 UTC));
    let feb = datetime!(2028-02-29 12:00 UTC);
    assert_eq!(Window::Month.end(feb), datetime!(2028-03-01 00:00 UTC));
    let offset = datetime!(2026-11-25 01:30 +02:00);
    assert_eq!(Window::Day.start(offset), datetime!(2026-11-24 00:00 UTC));
}

#[test]
fn shard_shares_sum_to_the_limit() {
    for limit in [1, 7, 100, 1001] {
        for shards in 1..=MAX_SHARDS {
            let total: u64 = (0..shards).map(|s| shard_share(limit, s, shards)).sum();
            assert_eq!(total, limit, "limit {limit} over {shards} shards");
        }
    }
    assert_eq!(shard_share(3, 3, 4), 0);
}

fn limits(per_second: Option<u64>, per_day: Option<u64>) -> Limits {
    Limits {
        per_second,
        per_day,
        ..Limits::default()
    }
}

#[test]
fn a_key_overrides_its_plan_window_by_window() {
    let plan = LimitSet {
        all_routes: limits(Some(10), Some(1000)),
        routes: BTreeMap::from([("POST /orders".to_owned(), limits(None, Some(50)))]),
        counter_shards: Some(4),
    };
    let key = LimitSet {
        all_routes: limits(Some(2), None),
        ..LimitSet::default()
    };
    let specs = applicable(Some(&key), Some(&plan), "POST /orders");
    let summary: Vec<(&str, Window, u64)> = specs
        .iter()
        .map(|s| (s.scope.label(), s.window, s.limit))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("*", Window::Second, 2),
            ("*", Window::Day, 1000),
            ("POST /orders", Window::Day, 50),
        ]
    );
    assert!(applicable(None, None, "GET /x").is_empty());
    assert_eq!(shard_count(Some(&key), Some(&plan)), 4);
    assert_eq!(shard_count(None, None), 1);
}

#[test]
fn validation_names_the_bad_field() {
    let mut set = LimitSet {
        all_routes: limits(Some(0), None),
        ..LimitSet::default()
    };
    assert!(
        set.validate()
            .unwrap_err()
            .contains("all_routes.per_second")
    );
    set.all_routes = limits(Some(5), None);
    set.routes
        .insert("orders".to_owned(), limits(None, Some(1)));
    assert!(set.validate().unwrap_err().contains("not a route key"));
    set.routes.clear();
    set.counter_shards = Some(0);
    assert!(set.validate().unwrap_err().contains("counter_shards"));
    set.counter_shards = Some(8);
    assert_eq!(set.validate(), Ok(()));
    assert!(validate_route_key("GET /orders/{id}").is_ok());
    assert!(validate_route_key("FETCH /orders").is_err());
    assert!(validate_route_key("GET orders").is_err());
}

#[test]
fn unknown_fields_are_refused() {
    let err = serde_json::from_str::<LimitSet>(r#"{"all_routes":{"per_hour":5}}"#).unwrap_err();
    assert!(err.to_string().contains("per_hour"));
}

#[test]
fn a_refusal_says_why_and_when_to_retry() {
    let now = datetime!(2026-11-25 10:00:59.200 UTC);
    let refusal = Refusal {
        window: Window::Minute,
        scope: CounterScope::AllRoutes,
        limit: 5,
        retry_at: Window::Minute.end(now),
    };
    assert_eq!(refusal.code(), "rate_limited");
    assert_eq!(refusal.retry_after_seconds(now), 1);
    let quota = Refusal {
        window: Window::Day,
        retry_at: Window::Day.end(now),
        ..refusal
    };
    assert_eq!(quota.code(), "quota_exhausted");
    assert_eq!(quota.retry_after_seconds(now), 13 * 3600 + 59 * 60 + 1);
}
