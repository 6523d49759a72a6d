use super::*;

use crate::keys::fixture::{NOW, scopes};

fn key(
    principal: &str,
    names: &[&str],
    expires_at: Option<OffsetDateTime>,
    age_days: i64,
) -> KeyRecord {
    KeyRecord {
        expires_at,
        created_at: NOW - Duration::days(age_days),
        ..crate::keys::fixture::key(principal, names)
    }
}

fn strict() -> KeyPolicy {
    KeyPolicy {
        live: EnvironmentRules {
            max_lifetime_days: Some(90),
            require_expiry: true,
            allowed_scopes: Some(vec!["keys:read".into(), "usage:*".into()]),
            ..EnvironmentRules::default()
        },
        test: EnvironmentRules::default(),
        max_active_keys_per_principal: Some(2),
        max_active_keys_per_tenant: Some(3),
        ..KeyPolicy::default()
    }
}

#[test]
fn expiry_rules_name_the_rule_broken() {
    let p = strict();
    let live = KeyEnvironment::Live;
    assert_eq!(
        p.check_expiry(live, None, NOW).unwrap_err().rule,
        Rule::MaxLifetime
    );
    let too_late = p
        .check_expiry(live, Some(NOW + Duration::days(91)), NOW)
        .unwrap_err();
    assert_eq!(too_late.rule, Rule::MaxLifetime);
    assert!(
        too_late.detail.contains("2027-03-07T12:00:00Z"),
        "{}",
        too_late.detail
    );
    assert!(
        p.check_expiry(live, Some(NOW + Duration::days(90)), NOW)
            .is_ok()
    );
    // Test keys follow their own (empty) rules.
    assert!(p.check_expiry(KeyEnvironment::Test, None, NOW).is_ok());
    let only_required = KeyPolicy {
        live: EnvironmentRules {
            require_expiry: true,
            ..EnvironmentRules::default()
        },
        ..KeyPolicy::default()
    };
    assert_eq!(
        only_required
            .check_expiry(live, None, NOW)
            .unwrap_err()
            .rule,
        Rule::RequireExpiry
    );
}

#[test]
fn scopes_are_allowed_when_a_listed_scope_covers_them() {
    let p = strict();
    assert!(
        p.check_scopes(KeyEnvironment::Live, &scopes(&["keys:read"]))
            .is_ok()
    );
    // `usage:*` covers `usage:read`.
    assert!(
        p.check_scopes(KeyEnvironment::Live, &scopes(&["usage:read"]))
            .is_ok()
    );
    let refused = p
        .check_scopes(KeyEnvironment::Live, &scopes(&["keys:read", "keys:write"]))
        .unwrap_err();
    assert_eq!(refused.rule, Rule::AllowedScopes);
    assert!(refused.detail.contains("`keys:write`") && !refused.detail.contains("`keys:read`"));
    assert!(
        p.check_scopes(KeyEnvironment::Test, &scopes(&["admin"]))
            .is_ok()
    );
}

#[test]
fn counts_refuse_the_key_past_the_limit() {
    let p = strict();
    assert!(p.check_counts("user:a", 1, 2).is_ok());
    assert_eq!(
        p.check_counts("user:a", 2, 2).unwrap_err().rule,
        Rule::MaxActiveKeysPerPrincipal
    );
    assert_eq!(
        p.check_counts("user:a", 0, 3).unwrap_err().rule,
        Rule::MaxActiveKeysPerTenant
    );
    assert!(
        KeyPolicy::default()
            .check_counts("user:a", 1_000, 1_000)
            .is_ok()
    );
    assert!(!KeyPolicy::default().counts_keys() && strict().counts_keys());
}

#[test]
fn replacements_are_brought_into_line() {
    let p = strict();
    let live = KeyEnvironment::Live;
    assert_eq!(
        p.replacement_expiry(live, None, NOW),
        Some(NOW + Duration::days(90))
    );
    assert_eq!(
        p.replacement_expiry(live, Some(NOW + Duration::days(400)), NOW),
        Some(NOW + Duration::days(90))
    );
    assert_eq!(
        p.replacement_expiry(live, Some(NOW + Duration::days(10)), NOW),
        Some(NOW + Duration::days(10))
    );
    assert_eq!(p.replacement_expiry(KeyEnvironment::Test, None, NOW), None);
}

#[test]
fn violations_list_existing_keys_and_when_they_comply() {
    let p = strict();
    let fine = key("user:a", &["keys:read"], Some(NOW + Duration::days(30)), 10);
    let forever = key("user:a", &["keys:read"], None, 5);
    let broad = key("user:b", &["admin"], Some(NOW + Duration::days(30)), 1);
    let mut revoked = key("user:c", &["admin"], None, 1);
    revoked.status = KeyStatus::Revoked;
    let mut third = key("user:a", &["keys:read"], Some(NOW + Duration::days(30)), 0);
    third.created_at = NOW;
    let found = p.violations(
        &[
            fine.clone(),
            forever.clone(),
            broad.clone(),
            revoked,
            third.clone(),
        ],
        NOW,
    );
    let rules: Vec<(KeyId, Rule)> = found.iter().map(|v| (v.key_id.clone(), v.rule)).collect();
    assert!(rules.contains(&(forever.key_id.clone(), Rule::MaxLifetime)));
    assert!(rules.contains(&(broad.key_id.clone(), Rule::AllowedScopes)));
    // user:a holds three active keys, two allowed: reported on the newest.
    assert!(rules.contains(&(third.key_id.clone(), Rule::MaxActiveKeysPerPrincipal)));
    // Four active keys, three allowed.
    assert!(rules.contains(&(third.key_id.clone(), Rule::MaxActiveKeysPerTenant)));
    assert!(!rules.iter().any(|(id, _)| *id == fine.key_id));
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found.iter().all(|v| !v.brought_into_line.is_empty()));
}

#[test]
fn policies_are_validated() {
    assert!(strict().validate().is_ok());
    let mut bad = strict();
    bad.live.max_lifetime_days = Some(0);
    assert!(
        bad.validate()
            .unwrap_err()
            .contains("live.max_lifetime_days")
    );
    let mut bad = strict();
    bad.test.allowed_scopes = Some(vec!["Not A Scope".into()]);
    assert!(bad.validate().unwrap_err().contains("test.allowed_scopes"));
    let mut bad = strict();
    bad.max_active_keys_per_tenant = Some(0);
    assert!(bad.validate().is_err());
}

fn upkeep_policy(max_idle_days: Option<u32>, rotate_after_days: Option<u32>) -> KeyPolicy {
    KeyPolicy {
        live: EnvironmentRules {
            max_idle_days,
            rotate_after_days,
            ..EnvironmentRules::default()
        },
        ..KeyPolicy::default()
    }
}

#[test]
fn an_idle_key_is_warned_then_disabled() {
    let policy = upkeep_policy(Some(30), None);
    assert!(policy.needs_upkeep());
    let mut key = key("user:a", &["keys:read"], None, 100);
    key.last_used_at = Some(NOW - Duration::days(20));
    let long_ago = Some(NOW - Duration::days(365));
    assert_eq!(policy.upkeep(&key, NOW, long_ago), vec![]);
    let used = key.last_used_at.unwrap();
    let warned = policy.upkeep(&key, NOW + Duration::days(3), long_ago);
    assert_eq!(
        warned,
        vec![Upkeep::IdleWarning {
            idle_since: used,
            disable_at: used + Duration::days(30)
        }]
    );
    assert_eq!(
        policy.upkeep(&key, used + Duration::days(30), long_ago),
        vec![Upkeep::DisableIdle {
            idle_since: used,
            max_idle_days: 30
        }]
    );
    // Used again: the period starts over.
    key.last_used_at = Some(NOW + Duration::days(9));
    assert_eq!(
        policy.upkeep(&key, NOW + Duration::days(10), long_ago),
        vec![]
    );
}

#[test]
fn a_new_idle_rule_warns_before_it_disables() {
    let policy = upkeep_policy(Some(30), None);
    let mut key = key("user:a", &["keys:read"], None, 400);
    key.last_used_at = Some(NOW - Duration::days(200));
    // The policy changed just now: a week's notice first.
    assert_eq!(
        policy.upkeep(&key, NOW, Some(NOW)),
        vec![Upkeep::IdleWarning {
            idle_since: NOW - Duration::days(200),
            disable_at: NOW + IDLE_NOTICE
        }]
    );
    assert!(matches!(
        policy.upkeep(&key, NOW + IDLE_NOTICE, Some(NOW))[..],
        [Upkeep::DisableIdle { .. }]
    ));
    // A short idle period warns half-way through it.
    let short = upkeep_policy(Some(2), None);
    let fresh = key_used(NOW - Duration::hours(23));
    assert_eq!(short.upkeep(&fresh, NOW, None), vec![]);
    assert!(matches!(
        short.upkeep(&fresh, NOW + Duration::hours(2), None)[..],
        [Upkeep::IdleWarning { .. }]
    ));
}

fn key_used(at: OffsetDateTime) -> KeyRecord {
    let mut k = key("user:a", &["keys:read"], None, 10);
    k.last_used_at = Some(at);
    k
}

#[test]
fn rotation_falls_due_with_age_and_only_active_keys_owe_upkeep() {
    let policy = upkeep_policy(None, Some(90));
    let young = key("user:a", &["keys:read"], None, 89);
    assert_eq!(policy.upkeep(&young, NOW, None), vec![]);
    let old = key("user:a", &["keys:read"], None, 91);
    assert_eq!(
        policy.upkeep(&old, NOW, None),
        vec![Upkeep::RotationDue {
            due_since: old.created_at + Duration::days(90),
            rotate_after_days: 90
        }]
    );
    let mut rotated = old.clone();
    rotated.rotated_to = Some(KeyId::generate().unwrap());
    assert_eq!(policy.upkeep(&rotated, NOW, None), vec![]);
    let mut disabled = old.clone();
    disabled.status = KeyStatus::Disabled;
    assert_eq!(policy.upkeep(&disabled, NOW, None), vec![]);
    let mut expired = old.clone();
    expired.expires_at = Some(NOW - Duration::SECOND);
    assert_eq!(policy.upkeep(&expired, NOW, None), vec![]);
    // Test keys follow the test rules (none here).
    let mut test_key = old;
    test_key.environment = KeyEnvironment::Test;
    assert_eq!(policy.upkeep(&test_key, NOW, None), vec![]);
    assert!(!KeyPolicy::default().needs_upkeep());
}

#[test]
fn idle_and_old_keys_are_reported_as_violations() {
    let policy = upkeep_policy(Some(30), Some(90));
    let mut idle = key("user:a", &["keys:read"], None, 40);
    idle.last_used_at = Some(NOW - Duration::days(31));
    let old = key_used(NOW - Duration::days(1));
    let old = KeyRecord {
        created_at: NOW - Duration::days(100),
        ..old
    };
    let found = policy.violations(&[idle.clone(), old.clone()], NOW);
    let rules: Vec<(KeyId, Rule)> = found.iter().map(|v| (v.key_id.clone(), v.rule)).collect();
    assert_eq!(
        rules,
        vec![
            (idle.key_id, Rule::MaxIdle),
            (old.key_id, Rule::RotateAfter)
        ]
    );
    let mut bad = policy;
    bad.live.max_idle_days = Some(0);
    assert!(bad.validate().unwrap_err().contains("live.max_idle_days"));
}
