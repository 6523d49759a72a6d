use super::*;
use crate::ids::TenantId;
use crate::keys::format::KeyPrefix;
use crate::keys::model::{DisplayName, Principal};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

fn scopes(names: &[&str]) -> ScopeSet {
    ScopeSet::new(names.iter().map(|n| Scope::parse(n).unwrap()).collect()).unwrap()
}

fn key(
    principal: &str,
    names: &[&str],
    expires_at: Option<OffsetDateTime>,
    age_days: i64,
) -> KeyRecord {
    KeyRecord {
        tenant_id: TenantId::parse("T3nant0001").unwrap(),
        key_id: KeyId::generate().unwrap(),
        name: DisplayName::parse("k").unwrap(),
        prefix: KeyPrefix::parse("gh").unwrap(),
        environment: KeyEnvironment::Live,
        hint: "gh_live_...".into(),
        verifier: String::new(),
        scopes: scopes(names),
        status: KeyStatus::Active,
        principal: Principal::parse(principal).unwrap(),
        created_at: NOW - Duration::days(age_days),
        created_by: None,
        expires_at,
        updated_at: None,
        rotated_from: None,
        rotated_to: None,
        revocation: None,
        limits: None,
        restrictions: None,
        last_used_at: None,
        anomalies: None,
        version: 1,
    }
}

fn strict() -> KeyPolicy {
    KeyPolicy {
        live: EnvironmentRules {
            max_lifetime_days: Some(90),
            require_expiry: true,
            allowed_scopes: Some(vec!["keys:read".into(), "usage:*".into()]),
        },
        test: EnvironmentRules::default(),
        max_active_keys_per_principal: Some(2),
        max_active_keys_per_tenant: Some(3),
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
