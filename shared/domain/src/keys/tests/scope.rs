use super::*;

fn s(v: &str) -> Scope {
    Scope::parse(v).unwrap()
}

#[test]
fn syntax_errors_name_the_bad_part() {
    let err = Scope::parse("keys:Read").unwrap_err();
    assert!(err.to_string().contains("action `Read`"), "{err}");
    let err = Scope::parse("9keys:read").unwrap_err();
    assert!(err.to_string().contains("resource `9keys`"), "{err}");
    assert!(Scope::parse("keys").is_err());
    assert!(Scope::parse("keys:").is_err());
    assert!(Scope::parse("keys:read:extra").is_err());
    assert!(Scope::parse("").is_err());
}

#[test]
fn wildcards_and_admin_cover_what_they_should() {
    assert!(s("admin").covers(&s("keys:write")));
    assert!(s("admin").covers(&s("admin")));
    assert!(s("keys:*").covers(&s("keys:read")));
    assert!(s("*:read").covers(&s("webhooks:read")));
    assert!(!s("*:read").covers(&s("webhooks:write")));
    assert!(!s("keys:read").covers(&s("keys:write")));
    assert!(!s("keys:*").covers(&s("admin")));
    assert!(!s("*:*").covers(&s("admin")));
}

#[test]
fn sets_report_what_would_escalate() {
    let held = ScopeSet::new(vec![s("keys:*"), s("webhooks:read")]).unwrap();
    let asked = ScopeSet::new(vec![s("keys:read"), s("webhooks:write"), s("admin")]).unwrap();
    let missing: Vec<_> = held
        .missing_from(&asked)
        .into_iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(missing, ["admin", "webhooks:write"]);
}

#[test]
fn space_separated_round_trip() {
    let set = ScopeSet::parse_space_separated("keys:read  admin keys:read").unwrap();
    assert_eq!(set.to_space_separated(), "admin keys:read");
}
