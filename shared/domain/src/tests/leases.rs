use super::*;
use time::macros::datetime;

fn tenant() -> TenantId {
    TenantId::parse("T000000001").unwrap()
}

fn lease(now: OffsetDateTime) -> Lease {
    Lease {
        lease_id: LeaseId::parse("L000000001").unwrap(),
        tenant_id: tenant(),
        backend: LeaseBackend::Aws,
        role: "tenant-files".into(),
        ttl_seconds: 3600,
        issued_at: now,
        expires_at: now + Duration::hours(1),
        max_expires_at: Some(now + AWS_MAX_LIFETIME),
        renewable: true,
        renewed_at: None,
        revoked_at: None,
        vault_lease_id: None,
        created_by: "key:K000000001".into(),
        revision: 1,
    }
}

const POLICY: &str = r#"[{"name":"tenant-files","role_arn":"arn:aws:iam::123456789012:role/lease",
  "session_policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
  "Resource":"arn:aws:s3:::files/tenants/{tenant}/*"}]}}]"#;

#[test]
fn states_follow_revocation_then_expiry() {
    let now = datetime!(2026-12-01 12:00 UTC);
    let mut l = lease(now);
    assert_eq!(l.state(now), LeaseState::Active);
    assert_eq!(l.state(now + Duration::hours(1)), LeaseState::Expired);
    assert!(l.revoke(now));
    assert!(
        !l.revoke(now + Duration::minutes(1)),
        "revoking twice changes nothing"
    );
    assert_eq!(l.revoked_at, Some(now));
    assert_eq!(l.state(now), LeaseState::Revoked);
    assert_eq!(l.check_renew(now), Err(LeaseError::Revoked));
}

#[test]
fn aws_renewal_is_bounded_by_sts_and_the_maximum_lifetime() {
    let now = datetime!(2026-12-01 12:00 UTC);
    let l = lease(now);
    assert_eq!(
        l.aws_renewal_ttl(None, now),
        Ok(3600),
        "default: the first lifetime"
    );
    assert_eq!(l.aws_renewal_ttl(Some(7200), now), Ok(7200));
    assert!(matches!(
        l.aws_renewal_ttl(Some(60), now),
        Err(LeaseError::InvalidTtl(_))
    ));
    // Near the end of its 24 hours, a renewal gets only what is left...
    let late = now + AWS_MAX_LIFETIME - Duration::minutes(30);
    let mut near = l.clone();
    near.expires_at = late + Duration::minutes(10);
    assert_eq!(near.aws_renewal_ttl(None, late), Ok(1800));
    // ... and none once less than STS's minimum is left.
    let later = now + AWS_MAX_LIFETIME - Duration::minutes(5);
    near.expires_at = later + Duration::minutes(1);
    assert!(matches!(
        near.aws_renewal_ttl(None, later),
        Err(LeaseError::MaxLifetime(_))
    ));
    // An expired lease is not renewed.
    assert!(matches!(
        l.check_renew(now + Duration::hours(2)),
        Err(LeaseError::Expired(_))
    ));
    let mut fixed = lease(now);
    fixed.renewable = false;
    assert_eq!(fixed.check_renew(now), Err(LeaseError::NotRenewable));
}

#[test]
fn vault_roles_are_engine_paths_only() {
    assert_eq!(
        vault_role("database/creds/readonly").as_deref(),
        Ok("database/creds/readonly")
    );
    assert!(vault_role("aws/sts/deploy").is_ok());
    for bad in [
        "database",
        "database/../sys/raw",
        "database//creds",
        "sys/leases/lookup",
        "auth/token/create",
        "cubbyhole/x",
        "database/creds/a b",
        "database/creds/\u{0}",
        &"a/".repeat(200),
    ] {
        assert!(
            matches!(vault_role(bad), Err(LeaseError::InvalidRole(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn declared_roles_give_a_tenant_scoped_session_policy() {
    let roles = AwsLeaseRole::parse_list(POLICY).unwrap();
    assert_eq!(roles[0].name, "tenant-files");
    let policy = roles[0].session_policy(&tenant());
    assert!(
        policy.contains("arn:aws:s3:::files/tenants/T000000001/*"),
        "{policy}"
    );
    assert!(!policy.contains(' '), "compact JSON: {policy}");
    assert!(AwsLeaseRole::parse_list("[]").unwrap().is_empty());
}

#[test]
fn declared_roles_are_checked() {
    let cases = [
        ("{}", "not a JSON array"),
        (
            r#"[{"name":"Bad Name","role_arn":"arn:aws:iam::1:role/x","session_policy":{"Version":"1","Statement":[]}}]"#,
            "role name",
        ),
        (
            r#"[{"name":"a","role_arn":"arn:aws:iam::1:user/x","session_policy":{"Version":"1","Statement":"{tenant}"}}]"#,
            "not a role ARN",
        ),
        (
            r#"[{"name":"a","role_arn":"arn:aws:iam::1:role/x","session_policy":{"Statement":"{tenant}"}}]"#,
            "`Version` and `Statement`",
        ),
        (
            r#"[{"name":"a","role_arn":"arn:aws:iam::1:role/x","session_policy":{"Version":"1","Statement":[]}}]"#,
            "must name the tenant",
        ),
        (
            r#"[{"name":"a","role_arn":"arn:aws:iam::1:role/x","session_policy":{"Version":"1","Statement":"{tenant}"}},
            {"name":"a","role_arn":"arn:aws:iam::1:role/x","session_policy":{"Version":"1","Statement":"{tenant}"}}]"#,
            "declared twice",
        ),
    ];
    for (text, why) in cases {
        let err = AwsLeaseRole::parse_list(text).unwrap_err();
        assert!(err.contains(why), "{text}: {err}");
    }
    // Too long once the 10-character tenant id replaces the 8-character placeholder.
    let overhead = r#"{"Statement":"{tenant}","Version":""}"#.len();
    let filler = "x".repeat(MAX_SESSION_POLICY_CHARS - overhead - 1);
    let text = format!(
        r#"[{{"name":"a","role_arn":"arn:aws:iam::1:role/x","session_policy":{{"Version":"{filler}","Statement":"{{tenant}}"}}}}]"#
    );
    let compact_len = format!(r#"{{"Statement":"{{tenant}}","Version":"{filler}"}}"#).len();
    assert!(
        compact_len <= MAX_SESSION_POLICY_CHARS,
        "fits before the tenant id goes in"
    );
    let err = AwsLeaseRole::parse_list(&text).unwrap_err();
    assert!(err.contains("2048"), "{err}");
}

#[test]
fn the_revocation_policy_names_its_cutoff() {
    let at = datetime!(2026-12-01 12:34:56 UTC);
    let policy = revocation_policy(at);
    assert_eq!(revocation_cutoff(&policy), Some(at));
    assert!(
        policy.contains(r#""aws:TokenIssueTime":"2026-12-01T12:34:56Z""#),
        "{policy}"
    );
    assert_eq!(revocation_cutoff("{}"), None);
}
