use super::{check_expiry, grace_end};
use time::Duration;
use time::macros::datetime;

#[test]
fn a_grace_period_is_never_cut_short() {
    // A 20 s grace started 0.4 s into a second used to end 19.6 s later.
    let rotated_at = datetime!(2026-12-01 12:00:00.4 UTC);
    let end = grace_end(rotated_at, Duration::seconds(20), None);
    assert!(end - rotated_at >= Duration::seconds(20), "{end}");
    assert_eq!(end, datetime!(2026-12-01 12:00:21 UTC));
    assert_eq!(end.nanosecond(), 0, "stored instants are whole seconds");
}

#[test]
fn a_grace_period_ends_at_the_keys_own_expiry_if_sooner() {
    let rotated_at = datetime!(2026-12-01 12:00:00 UTC);
    let expires = datetime!(2026-12-01 12:00:05 UTC);
    assert_eq!(
        grace_end(rotated_at, Duration::seconds(20), Some(expires)),
        expires
    );
}

#[test]
fn an_expiry_keeps_the_instant_asked_for_or_later() {
    let now = datetime!(2026-12-01 12:00:00 UTC);
    let asked = datetime!(2026-12-01 13:00:00.25 +01:00);
    let stored = check_expiry(asked, now).unwrap();
    assert!(stored >= asked);
    assert_eq!(stored, datetime!(2026-12-01 12:00:01 UTC));
}
