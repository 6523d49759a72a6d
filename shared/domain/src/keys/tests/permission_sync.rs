use super::*;
use crate::keys::fixture::scopes;

fn key(principal: &str, owner: Option<&str>, names: &[&str], status: KeyStatus) -> KeyRecord {
    KeyRecord {
        owner: owner.map(|o| crate::keys::model::Principal::parse(o).unwrap()),
        status,
        ..crate::keys::fixture::key(principal, names)
    }
}

#[test]
fn keys_bound_to_a_principal_act_as_it_or_are_its_service_keys() {
    let own = key("sso:P1", None, &["keys:read"], KeyStatus::Active);
    let service = key(
        "service:billing",
        Some("sso:P1"),
        &["keys:read"],
        KeyStatus::Active,
    );
    let other = key("sso:P2", None, &["keys:read"], KeyStatus::Active);
    assert!(is_bound_to(&own, "sso:P1"));
    assert!(is_bound_to(&service, "sso:P1"));
    assert!(!is_bound_to(&other, "sso:P1"));
    // A service key made by an API key caller has no SSO holder: nothing syncs it.
    let by_api_key = key(
        "service:billing",
        Some("user:admin@example.com"),
        &["keys:read"],
        KeyStatus::Active,
    );
    assert_eq!(sso_holder(&by_api_key), None);
    assert_eq!(sso_holder(&service), Some("sso:P1"));
    assert_eq!(sso_holder(&own), Some("sso:P1"));
}

#[test]
fn a_key_loses_the_scopes_its_holder_lost() {
    let k = key(
        "sso:P1",
        None,
        &["keys:read", "usage:read", "webhooks:write"],
        KeyStatus::Active,
    );
    let held = scopes(&["keys:*", "usage:read"]);
    assert_eq!(
        reconcile(&k, Holder::Active(&held), PermissionLoss::NarrowScopes),
        Some(KeyChange::NarrowScopes {
            kept: scopes(&["keys:read", "usage:read"]),
            lost: vec![Scope::parse("webhooks:write").unwrap()],
        })
    );
    // Still within: nothing to do (admin covers everything).
    assert_eq!(
        reconcile(
            &k,
            Holder::Active(&scopes(&["admin"])),
            PermissionLoss::Disable
        ),
        None
    );
}

#[test]
fn the_tenant_policy_may_disable_instead() {
    let k = key(
        "sso:P1",
        None,
        &["keys:read", "webhooks:write"],
        KeyStatus::Active,
    );
    let held = scopes(&["keys:read"]);
    let Some(KeyChange::Disable { why }) =
        reconcile(&k, Holder::Active(&held), PermissionLoss::Disable)
    else {
        panic!("disabled")
    };
    assert_eq!(why, "its principal no longer holds `webhooks:write`");
}

#[test]
fn a_key_left_with_no_scope_or_a_disabled_holder_is_disabled() {
    let k = key("sso:P1", None, &["webhooks:write"], KeyStatus::Active);
    assert!(matches!(
        reconcile(
            &k,
            Holder::Active(&scopes(&["keys:read"])),
            PermissionLoss::NarrowScopes
        ),
        Some(KeyChange::Disable { .. })
    ));
    assert_eq!(
        reconcile(&k, Holder::Disabled, PermissionLoss::NarrowScopes),
        Some(KeyChange::Disable {
            why: "its principal is disabled".into()
        })
    );
}

#[test]
fn disabled_keys_are_only_narrowed_and_revoked_keys_left_alone() {
    let disabled = key(
        "sso:P1",
        None,
        &["keys:read", "webhooks:write"],
        KeyStatus::Disabled,
    );
    let held = scopes(&["keys:read"]);
    assert!(matches!(
        reconcile(&disabled, Holder::Active(&held), PermissionLoss::Disable),
        Some(KeyChange::NarrowScopes { .. })
    ));
    assert_eq!(
        reconcile(&disabled, Holder::Disabled, PermissionLoss::Disable),
        None
    );
    let only_lost = key("sso:P1", None, &["webhooks:write"], KeyStatus::Disabled);
    assert_eq!(
        reconcile(
            &only_lost,
            Holder::Active(&held),
            PermissionLoss::NarrowScopes
        ),
        None
    );
    let revoked = key("sso:P1", None, &["webhooks:write"], KeyStatus::Revoked);
    assert_eq!(
        reconcile(&revoked, Holder::Disabled, PermissionLoss::Disable),
        None
    );
}

#[test]
fn a_key_beyond_its_holder_is_named_with_the_reason() {
    let k = key(
        "sso:P1",
        None,
        &["keys:read", "keys:write"],
        KeyStatus::Active,
    );
    let held = scopes(&["keys:read"]);
    assert_eq!(
        beyond_holder(&k, Holder::Active(&held)).as_deref(),
        Some("its principal no longer holds `keys:write`")
    );
    assert_eq!(
        beyond_holder(&k, Holder::Active(&scopes(&["keys:*"]))),
        None
    );
    assert_eq!(
        beyond_holder(&k, Holder::Disabled).as_deref(),
        Some("its principal is disabled")
    );
    // A disabled key, too, holds only what its holder does; both disabled is within.
    let off = KeyRecord {
        status: KeyStatus::Disabled,
        ..k
    };
    assert!(beyond_holder(&off, Holder::Active(&held)).is_some());
    assert_eq!(beyond_holder(&off, Holder::Disabled), None);
}
