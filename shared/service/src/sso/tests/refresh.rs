use super::*;
use time::macros::datetime;

fn tenant() -> TenantId {
    TenantId::parse("tenant0001").unwrap()
}

fn session_id() -> KeyId {
    KeyId::parse("session001").unwrap()
}

fn session(token: &RefreshToken) -> SessionRecord {
    SessionRecord {
        tenant_id: tenant(),
        session_id: session_id().to_string(),
        principal_id: "principal1".into(),
        connection_id: gatehouse_domain::ids::IntegrationId::parse("connection").unwrap(),
        scopes: vec!["keys:read".into(), "keys:write".into()],
        expires_at: datetime!(2026-12-01 10:15 UTC),
        refreshable_until: Some(datetime!(2026-12-01 18:00 UTC)),
        refresh_digest: token.digest(),
        previous_refresh_digest: None,
        refreshes: 0,
        revoked_at: None,
        revision: 0,
    }
}

#[test]
fn a_token_names_its_tenant_and_session_and_parses_back() {
    let token = RefreshToken::generate(&tenant(), &session_id()).unwrap();
    assert_eq!(token.expose().len(), TOKEN_LEN);
    let parsed = RefreshToken::parse(token.expose()).unwrap();
    assert_eq!(parsed.tenant(), &tenant());
    assert_eq!(parsed.session_id(), &session_id());
    assert_eq!(parsed.digest(), token.digest());
    assert!(!format!("{parsed:?}").contains(&token.expose()[4..]));
}

#[test]
fn anything_else_is_refused_before_a_read() {
    let token = RefreshToken::generate(&tenant(), &session_id()).unwrap();
    let text = token.expose();
    for bad in [
        "",
        "gsr_",
        &text[..text.len() - 1],
        &format!("{text}a"),
        &text.replacen("gsr_", "gsk_", 1),
        &format!("gsr_{}-", &text[4..text.len() - 1]),
        "eyJhbGciOiJFUzI1NiJ9.e30.sig",
    ] {
        assert!(RefreshToken::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn the_current_token_matches_the_retired_one_is_reuse() {
    let first = RefreshToken::generate(&tenant(), &session_id()).unwrap();
    let second = RefreshToken::generate(&tenant(), &session_id()).unwrap();
    let mut record = session(&first);
    assert_eq!(match_token(&record, &first), Presented::Current);
    assert_eq!(match_token(&record, &second), Presented::Unknown);
    record.previous_refresh_digest = Some(record.refresh_digest.clone());
    record.refresh_digest = second.digest();
    assert_eq!(match_token(&record, &second), Presented::Current);
    assert_eq!(match_token(&record, &first), Presented::Retired);
}

#[test]
fn a_session_without_a_refresh_digest_cannot_be_refreshed() {
    let token = RefreshToken::generate(&tenant(), &session_id()).unwrap();
    let mut record = session(&token);
    record.refresh_digest.clear();
    assert_eq!(match_token(&record, &token), Presented::Unknown);
}

#[test]
fn a_refresh_keeps_only_scopes_the_principal_still_has() {
    let session = vec!["keys:read".to_owned(), "keys:write".to_owned()];
    assert_eq!(
        kept_scopes(&session, &["keys:read".into(), "admin".into()]),
        vec!["keys:read".to_owned()]
    );
    assert!(kept_scopes(&session, &[]).is_empty());
}

#[test]
fn a_token_never_outlives_its_session() {
    let until = datetime!(2026-12-01 18:00 UTC);
    assert_eq!(
        token_expiry(datetime!(2026-12-01 10:00 UTC), until),
        datetime!(2026-12-01 10:15 UTC)
    );
    assert_eq!(token_expiry(datetime!(2026-12-01 17:55 UTC), until), until);
}
