use super::*;
use serde_json::json;

fn map(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn userinfo_fills_only_the_missing_profile_claims() {
    let mut claims = map(json!({"iss": "https://idp.example", "sub": "u1", "name": "Signed"}));
    let userinfo = map(json!({
        "sub": "u1", "name": "Unsigned", "email": "a@acme.example", "email_verified": true,
        "groups": ["admins"], "hd": "evil.example", "tid": "other",
    }));
    fill_profile(&mut claims, &userinfo, &["email", "groups"]);
    assert_eq!(
        Value::Object(claims),
        json!({
            "iss": "https://idp.example", "sub": "u1", "name": "Signed",
            "email": "a@acme.example", "email_verified": true, "groups": ["admins"],
        })
    );
}

#[test]
fn an_email_from_userinfo_never_keeps_the_id_tokens_verification_flag() {
    let mut claims = map(json!({"sub": "u1", "email_verified": true}));
    fill_profile(
        &mut claims,
        &map(json!({"sub": "u1", "email": "a@acme.example"})),
        &["email"],
    );
    assert_eq!(claims.get("email_verified"), None);
    assert_eq!(claims["email"], "a@acme.example");
}
